"""One parse per Python source: the reach analysis and the file scanner read the same syntax tree.

A package's files are parsed first by ``reach`` (which file runs at import or install) and then by
``pyscan`` (what each file does); parsing is a third of the Python analysis, so the second reader
takes the first one's tree. Trees are read-only to both. The cache is per process and bounded by the
source bytes it holds, so a package with huge generated files cannot make it grow without limit.
"""

from __future__ import annotations

import ast
from collections import OrderedDict

CACHE_SOURCE_BYTES = 4 * 1024 * 1024  # source bytes whose trees are kept (trees take ~10-20x that)

_trees: OrderedDict[str, ast.Module] = OrderedDict()
_held = 0


def parse(text: str) -> ast.Module:
    """``ast.parse(text)``, shared with the previous reader of the same text. Raises what it raises."""
    global _held
    tree = _trees.get(text)
    if tree is not None:
        _trees.move_to_end(text)
        return tree
    tree = ast.parse(text)
    if len(text) <= CACHE_SOURCE_BYTES // 4:
        _trees[text] = tree
        _held += len(text)
        while _held > CACHE_SOURCE_BYTES and _trees:
            old, _ = _trees.popitem(last=False)
            _held -= len(old)
    return tree


# fields that never hold a node: names and flags, and the context and operator singletons (Load, Add, the
# Compare ``ops``), which passes read through their parent (``node.op``), never as nodes of their own
_SCALAR_FIELDS = frozenset(("ctx", "op", "ops", "id", "attr", "kind", "name", "type_comment", "asname", "module",
                            "level", "conversion", "is_async", "kwd_attrs", "rest", "arg"))
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in field order, like ``ast.iter_child_nodes`` without the context and
    operator singletons; a list built in one call instead of two nested generators (the tree walks of
    reach and pyscan call this for every node)."""
    cls = node.__class__
    fields = _NODE_FIELDS.get(cls)
    if fields is None:
        fields = _NODE_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SCALAR_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def clear() -> None:
    global _held
    _trees.clear()
    _held = 0
