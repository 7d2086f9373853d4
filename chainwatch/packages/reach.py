"""Install-time and import-time reach across the files of a Python package (a small static call graph).

``setup.py`` runs at install: the package modules it imports run their top-level code then, and the
functions it calls in them (and what those call, across files, by name) run then too. Likewise a
package's ``__init__.py`` runs at import: functions it calls in sibling modules run at import.
Nothing is imported or executed; files are parsed with ``ast`` under limits on depth, file count and size.
"""

from __future__ import annotations

import ast
from collections.abc import Container
from dataclasses import dataclass, field

from chainwatch.packages import pyparse
from chainwatch.packages import signals as sg
from chainwatch.packages.pyscan import (
    TEST_PATH_RE,
    dotted_name,
    foreign_object,
    setuptools_fallbacks,
    without_script_blocks,
)

MAX_DEPTH = 4  # hops of module-to-module calls followed from an entry file
MAX_FILES = 40  # files reached per entry kind
MAX_PARSE_BYTES = 1024 * 1024  # larger files are not parsed for reach (they are still scanned)
MAX_NAMES = 200  # entry function names kept per file
CLASS_ENTRY_METHODS = ("__init__", "__new__", "run")  # as chainwatch.packages.pyscan counts them


@dataclass
class Reach:
    """What one file runs because an entry file reached it: its top-level code (always) and these functions."""

    phase: str
    functions: set[str] = field(default_factory=set)
    via: str = ""  # the file that reached it first (evidence)


def _parse(text: str) -> ast.Module | None:
    try:
        return pyparse.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _module_file(dotted: str, files: set[str]) -> str | None:
    """The file of a dotted module name in the package (flat, or under ``src/``)."""
    path = dotted.replace(".", "/")
    for root in ("", "src/"):
        for cand in (f"{root}{path}.py", f"{root}{path}/__init__.py"):
            if cand in files:
                return cand
    return None


def _package_inits(dotted: str, files: set[str]) -> list[str]:
    """``import a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first."""
    parts = dotted.split(".")
    out = []
    for i in range(1, len(parts)):
        f = _module_file(".".join(parts[:i]), files)
        if f and f.endswith("__init__.py"):
            out.append(f)
    return out


def _module_name(rel: str) -> str:
    """Dotted name of a file (``src/`` dropped, ``__init__`` meaning the package)."""
    path = rel[4:] if rel.startswith("src/") else rel
    path = path[:-3] if path.endswith(".py") else path
    parts = path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve_from(rel: str, module: str | None, level: int) -> str | None:
    """Absolute dotted module of ``from <level dots><module> import ...`` inside file ``rel``."""
    if level == 0:
        return module
    pkg = _module_name(rel)
    parts = pkg.split(".") if pkg else []
    if not rel.endswith("__init__.py"):
        parts = parts[:-1]
    drop = level - 1
    if drop > len(parts):
        return None
    parts = parts[:len(parts) - drop] if drop else parts
    if module:
        parts = parts + module.split(".")
    return ".".join(parts) or None


CALLBACK_CALLEES = {"register", "Thread", "Timer", "Process", "signal", "start_new_thread", "call_soon",
                    "run_in_executor", "apply_async", "setup"}  # calls that run (or register to run) a passed callable
CALLBACK_KEYWORDS = {"target", "callback", "func", "function", "cmdclass"}


def _callee_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _callables_passed(node: ast.Call) -> list[ast.AST]:
    """Callables handed over to run: Thread(target=f), atexit.register(f), setup(cmdclass={'install': C}).

    Other arguments (``isinstance(x, C)``, registries) are not counted: a class named is not a class run.
    """
    out: list[ast.AST] = []
    if _callee_name(node.func) in CALLBACK_CALLEES:
        out.extend(node.args)
    for kw in node.keywords:
        if kw.arg in CALLBACK_KEYWORDS:
            out.extend(kw.value.values if isinstance(kw.value, ast.Dict) else [kw.value])
    return [v for v in out if v is not None]


def _calls_in(nodes: list[ast.AST], dict_values: bool = False, imported: Container[str] = ()) -> set[str]:
    """Names called or handed over to run; with ``dict_values`` (setup.py) also names in dict values (cmdclass).
    A method of another module's object (``re.search``, ``t.start()`` after ``t = threading.Thread(...)``)
    names no function of this file."""
    out: set[str] = set()
    foreign = _foreign_names(nodes, imported) if imported else set()
    for node in nodes:
        if isinstance(node, ast.Call):
            for c in (node.func, *_callables_passed(node)):
                if isinstance(c, ast.Attribute) and (foreign_object(c.value, imported) or (
                        isinstance(c.value, ast.Name) and (c.value.id in imported or c.value.id in foreign))):
                    continue
                name = _callee_name(c)
                if name:
                    out.add(name)
        elif dict_values and isinstance(node, ast.Dict):  # cmdclass = {'install': mod.Evil}
            for v in node.values:
                name = _callee_name(v) if v is not None else None
                if name:
                    out.add(name)
    return out


def _foreign_names(nodes: list[ast.AST], imported: Container[str]) -> set[str]:
    """Names that ``nodes`` only ever assign objects of other modules (``t = threading.Thread(...)``)."""
    foreign: set[str] = set()
    other: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            (foreign if foreign_object(node.value, imported) else other).add(node.targets[0].id)
    return foreign - other


def _qualified_calls(nodes: list[ast.AST], dict_values: bool = False) -> set[str]:
    """Callees as written (``f``, ``mod.f``, ``pkg.mod.f``), callables handed over to run included."""
    out: set[str] = set()
    for node in nodes:
        cands: list[ast.AST] = []
        if isinstance(node, ast.Call):
            cands = [node.func, *_callables_passed(node)]
        elif dict_values and isinstance(node, ast.Dict):
            cands = [v for v in node.values if v is not None]
        for c in cands:
            d = dotted_name(c) if isinstance(c, ast.Name | ast.Attribute) else None
            if d:
                out.add(d)
    return out


def _top_nodes(tree: ast.Module, script: bool = False) -> list[ast.AST]:
    """Nodes of module-level code (function bodies excluded; class bodies run). Unless the file runs as a
    script (setup.py), the body of ``if __name__ == "__main__":`` is left out: importing does not run it."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(tree.body) if script else [without_script_blocks(n) for n in tree.body]
    skipped = {id(h) for h in setuptools_fallbacks(tree)} if script else set()
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) or id(node) in skipped:
            continue
        stack.extend(pyparse.children(node))
    return out


def _fn_nodes(fn: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(getattr(fn, "body", []))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(pyparse.children(node))
    return out


@dataclass
class _FileInfo:
    top_calls: set[str]
    defs: dict[str, list[ast.AST]]  # function or class name -> function nodes (class: its methods)
    imports: dict[str, tuple[str, str | None]]  # local name -> (absolute module, imported attribute or None)


_BODY_FIELDS = frozenset(("body", "orelse", "finalbody", "handlers", "cases"))
_STMT_FIELDS: dict[type, tuple[str, ...]] = {}


def _statements(tree: ast.Module) -> list[ast.AST]:
    """The statements of ``tree`` (and except/case clauses) in ``ast.walk`` order, without expressions
    (nine nodes in ten): definitions and imports are statements, and statements only sit in body fields."""
    from collections import deque

    out: list[ast.AST] = []
    todo: deque[ast.AST] = deque(tree.body)
    while todo:
        node = todo.popleft()
        out.append(node)
        cls = type(node)
        fields = _STMT_FIELDS.get(cls)
        if fields is None:
            fields = _STMT_FIELDS[cls] = tuple(f for f in cls._fields if f in _BODY_FIELDS)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                todo.extend(value)
    return out


def _info(rel: str, tree: ast.Module, dict_values: bool = False) -> _FileInfo:
    defs: dict[str, list[ast.AST]] = {}
    imports: dict[str, tuple[str, str | None]] = {}
    for node in _statements(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):  # the methods that run when the class is used as a command
            defs.setdefault(node.name, []).extend(
                item for item in node.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name in CLASS_ENTRY_METHODS)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    imports[a.asname] = (a.name, None)
                else:
                    head = a.name.split(".")[0]
                    imports[head] = (head, None)
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve_from(rel, node.module, node.level)
            if not mod:
                continue
            for a in node.names:
                if a.name != "*":
                    imports[a.asname or a.name] = (mod, a.name)
    return _FileInfo(_calls_in(_top_nodes(tree, script=dict_values), dict_values, imports), defs, imports)


def _local_imports_at_top(rel: str, tree: ast.Module, script: bool = False) -> list[str]:
    """Absolute module names imported by module-level code (function-local imports run only when called)."""
    return _imports_in(rel, _top_nodes(tree, script))


def _fn_imports(rel: str, fns: list[ast.AST]) -> list[str]:
    return _imports_in(rel, [node for fn in fns for node in _fn_nodes(fn)])


def _imports_in(rel: str, nodes: list[ast.AST]) -> list[str]:
    """Absolute module names the import statements among ``nodes`` load (``from pkg import sub`` too)."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve_from(rel, node.module, node.level)
            if mod:
                out.append(mod)
                out.extend(f"{mod}.{a.name}" for a in node.names if a.name != "*")  # from pkg import submodule
    return out


def compute_reach(sources: dict[str, str], entries: list[str], phase: str,
                  whole_entry: bool = False) -> dict[str, Reach]:
    """Files (other than the entries) reached from the entry files' code, with the functions reached in each.

    ``sources`` maps every Python file of the package to its text. An entry file runs as a whole
    (setup.py) or at import (``__init__.py``): its top-level code and functions it calls run.
    """
    files = set(sources)
    infos: dict[str, _FileInfo | None] = {}
    trees: dict[str, ast.Module | None] = {}

    def info(rel: str) -> _FileInfo | None:
        if rel not in infos:
            text = sources.get(rel, "")
            tree = _parse(text) if len(text) <= MAX_PARSE_BYTES else None
            trees[rel] = tree
            infos[rel] = _info(rel, tree, whole_entry and rel in entry_set) if tree is not None else None
        return infos[rel]

    out: dict[str, Reach] = {}
    # queue of (file, function names to run there (None: whole file as entry), depth, via)
    queue: list[tuple[str, set[str] | None, int, str]] = [(e, None, 0, e) for e in entries if e in files]
    done_funcs: dict[str, set[str]] = {}
    entry_set = set(entries)
    steps = 0
    while queue and steps < MAX_FILES * 8:
        steps += 1
        rel, funcs, depth, via = queue.pop(0)
        new_file = rel not in entry_set and rel not in out
        if new_file and (len(out) >= MAX_FILES or TEST_PATH_RE.search(rel)):
            continue  # decided before parsing: a file past the limit is not worth a tree
        fi = info(rel)
        if fi is None:
            continue
        tree = trees[rel]
        first_visit = rel not in done_funcs
        seen = done_funcs.setdefault(rel, set())
        if new_file:
            out[rel] = Reach(phase, set(), via)
        # names run in this file: top-level calls (first visit) plus the requested functions, closed over
        # calls within the file
        pending = set(fi.top_calls) if first_visit else set()
        if funcs:
            pending |= funcs
        if whole_entry and rel in entry_set and funcs is None:  # setup.py: any function it defines may run (cmdclass)
            pending |= set(fi.defs)
        reached: set[str] = set()
        while pending:
            name = pending.pop()
            if name in reached or name in seen:
                continue
            reached.add(name)
            for fn in fi.defs.get(name, []):
                pending |= _calls_in(_fn_nodes(fn), imported=fi.imports)
        seen |= reached
        if rel in out:
            out[rel].functions |= {n for n in reached if n in fi.defs}
            if len(out[rel].functions) > MAX_NAMES:
                out[rel].functions = set(sorted(out[rel].functions)[:MAX_NAMES])
        if depth >= MAX_DEPTH:
            continue
        # modules this file pulls in: top-level imports (first visit) and imports inside reached functions
        as_script = whole_entry and rel in entry_set
        mods = _local_imports_at_top(rel, tree, as_script) if first_visit and tree is not None else []
        mods += _fn_imports(rel, [fn for n in reached for fn in fi.defs.get(n, [])])
        targets: dict[str, set[str]] = {}
        for mod in mods:
            target = _module_file(mod, files)
            if target and target != rel:
                targets.setdefault(target, set())
            for init in _package_inits(mod, files):
                if init != rel:
                    targets.setdefault(init, set())
        # calls of imported names: `from pkg.mod import f; f()`, `import pkg.mod; pkg.mod.f()`, `mod.f()`
        run_nodes = (_top_nodes(tree, as_script) if first_visit and tree is not None else []) + \
            [node for n in reached for fn in fi.defs.get(n, []) for node in _fn_nodes(fn)]
        for callee in _qualified_calls(run_nodes, whole_entry and rel in entry_set):
            head, _, rest = callee.partition(".")
            if head not in fi.imports:
                continue
            mod, attr = fi.imports[head]
            base = mod if attr is None else f"{mod}.{attr}"
            path = f"{base}.{rest}" if rest else base
            module, _, func = path.rpartition(".")
            target = _module_file(module, files) if module else None
            if target is None and module.count(".") >= 1:  # `from .utils import Tool; Tool.run()`: a class method
                module = module.rpartition(".")[0]
                target = _module_file(module, files)
            if target and target != rel:
                targets.setdefault(target, set()).add(func)
        for target, names in targets.items():
            if target in entry_set:
                continue
            new_names = names - done_funcs.get(target, set())
            if target not in done_funcs or new_names:
                queue.append((target, new_names, depth + 1, via))
    return out


def install_reach(sources: dict[str, str], backends: list[str] | None = None) -> dict[str, Reach]:
    """Files that ``setup.py`` or an in-tree build backend module reaches (they run at install)."""
    entries = [e for e in ["setup.py", *(backends or [])] if e in sources]
    if not entries:
        return {}
    return compute_reach(sources, entries, sg.INSTALL, whole_entry=True)


def import_reach(sources: dict[str, str]) -> dict[str, Reach]:
    """Functions in other files that a top-level package's ``__init__.py`` calls when it is imported."""
    inits = sorted(r for r in sources if r.endswith("__init__.py") and r.count("/") <= 2
                   and not TEST_PATH_RE.search(r))
    if not inits:
        return {}
    return compute_reach(sources, inits[:20], sg.IMPORT)
