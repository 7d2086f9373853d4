"""Shortcuts taken for speed answer exactly what the plain computation answers, on real text and trees."""

from __future__ import annotations

import ast
import gc
import io
import random
import re
import sysconfig
import tokenize
from pathlib import Path

import pytest

from chainwatch.packages import decode as dec
from chainwatch.packages import pygate, pyparse
from tests.packages.helpers import facts_of, sdist

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _stdlib_texts(limit: int) -> list[str]:
    files = sorted(STDLIB.glob("*.py"))[:limit]
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


@pytest.mark.parametrize("text", [
    "x" * 5000 + " undefined default xdef f(",  # needles inside words: no hint
    "x" * 5000 + " def f(",
    "x" * 5000 + "\nimport os",
    "x" * 5000 + " __import__",
    "x" * 5000 + " cmd.exe /c del",
    "x" * 5000 + " see http://example.org",
    "x" * 5000 + "_os.system",  # \b before os fails
    "x" * 5000 + " os.system",
])
def test_looks_like_code_matches_the_whole_pattern_on_edge_cases(text: str) -> None:
    assert dec.looks_like_code(text) is bool(dec.CODE_HINTS.search(text))


def test_looks_like_code_matches_the_whole_pattern_on_real_text() -> None:
    rng = random.Random(7)
    texts = _stdlib_texts(120)
    assert len(texts) > 50
    checked = hits = 0
    for text in texts:
        # the file, a random slice, and the file with the hints defaced (so long texts without one occur)
        defaced = text.replace("import", "imp0rt").replace("def", "d3f").replace("http", "htt")
        start = rng.randrange(len(text) or 1)
        for piece in (text, text[start:start + rng.randrange(4096, 60000)], defaced):
            expected = bool(dec.CODE_HINTS.search(piece[:200_000]))
            assert dec.looks_like_code(piece) is expected
            checked += 1
            hits += expected
    assert 0 < hits < checked  # both answers occurred


def test_children_are_ast_children_without_context_and_operators() -> None:
    skipped = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
    nodes = 0
    for text in _stdlib_texts(40):
        for node in ast.walk(ast.parse(text)):
            expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, skipped)]
            assert pyparse.children(node) == expected
            nodes += 1
    assert nodes > 10_000


def test_trees_are_not_kept_after_a_package() -> None:
    """reach and pyscan share trees within a package; kept after it, every later cyclic collection of
    the process would walk their millions of nodes (1.7 of 16 CPU s on the evaluation sample)."""
    files = {"pkg/__init__.py": "from .core import run\nrun()\n",
             "pkg/core.py": "import os\n\ndef run():\n    return os.getenv('HOME')\n",
             "setup.py": "from setuptools import setup\nsetup(name='pkg', version='1.0', packages=['pkg'])\n"}
    gc_was_enabled = gc.isenabled()
    facts = facts_of(sdist("pkg", "1.0", files))
    assert facts.code_files >= 3
    assert not pyparse._trees
    assert gc.isenabled() is gc_was_enabled  # the pause during the analysis is undone


def _code_of(text: str) -> str | None:
    """``text`` with its comments and string literals blanked by Python's own tokenizer, and the fields of
    its f-strings, as Python's parser reads them, added on lines of their own; None when it does not
    tokenize or an f-string does not parse."""
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    chars = list(text)
    fields: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type not in (tokenize.COMMENT, tokenize.STRING):
                continue
            if tok.type == tokenize.STRING and re.match(r"[A-Za-z]*[fF]", tok.string):
                fstring = ast.parse(tok.string, mode="eval").body
                fields += [ast.unparse(n.value) for n in ast.walk(fstring) if isinstance(n, ast.FormattedValue)]
            start = offsets[tok.start[0] - 1] + tok.start[1]
            end = offsets[tok.end[0] - 1] + tok.end[1]
            chars[start:end] = " " * (end - start)
    except (tokenize.TokenError, SyntaxError):
        return None
    return "".join(chars) + "\n" + "\n".join(fields)


def _named_the_plain_way(text: str) -> bool | None:
    """The gate's word test written out: some gate word is a whole identifier in code, a builtin one
    neither after a dot nor the name of a ``def``; None when the text does not tokenize."""
    code = _code_of(text)
    if code is None:
        return None
    idents = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
    named = idents & pygate.gate_words()
    if named - pygate.BUILTIN_WORDS:
        return True
    # a plain getattr, or vars()/globals()/locals() not read by key, names nothing (checked against the
    # scanner in test_pygate); the text keeps the code's offsets
    return any(not (w in pygate._HARMLESS_USE and m.end() <= len(text) and pygate._HARMLESS_USE[w](text, m.end()))
               for w in named for m in re.finditer(rf"(?<![\w.])(?<!def ){w}(?!\w)", code))


@pytest.mark.parametrize("text", [
    "import sh\n", "x = 'bash'\n", "run(sh.ls)\n", "m.compile()\n", "compile(s)\n", "self.opened = 1\n",
    "f = open(p)\n", "a.getattr_x\n", "Tk()\n", "push_sh = 1\n", "sh",
    # names in prose: comments and plain strings (any prefix but f), with their quoting edge cases
    "def compile(self):\n    pass\n", "# see http://example.org\n", '"""pip install x"""\n',
    "x = rb'os.system'\n", "s = '#'; import subprocess\n", "# don't\nimport subprocess  # it's\n",
    "x = '''it\\'s'''\nimport subprocess\n", "x = 'a\\\n  import subprocess'\n", "x = ''''a'''\nimport sh\n",
    # an f-string's fields are code, its other parts prose
    "x = f'{os.system(c)}'\n", "x = Rf'{os.system(c)}'\n", "x = f'{y}'\n# see http://example.org\n",
    "x = f'see http://example.org/{path!r:>{width}}'\n", "x = f'{{open}} {y}'\n", "x = f'{open(p)}'\n",
])
def test_gate_words_are_found_wherever_the_plain_test_finds_them(text: str) -> None:
    assert (pygate._first_word(text) is not None) is _named_the_plain_way(text)


def test_gate_words_agree_with_the_plain_test_on_real_files() -> None:
    agree = named = total = 0
    for text in _stdlib_texts(200):
        for piece in (text, *text.split("\n\n")[:40]):  # whole files name something; their pieces often do not
            plain = _named_the_plain_way(piece)
            if plain is None:  # a piece cut inside a triple-quoted string
                continue
            assert pygate._first_word(piece) is not None or not plain  # never quieter than the plain test
            agree += (pygate._first_word(piece) is not None) is plain
            named += plain
            total += 1
    assert 100 < named < total and agree > 0.99 * total  # differs only after a digit (``3open``)


def _word_offsets_by_regex(data: bytes, words: set[str]) -> list[int]:
    """The plain way: one alternation of the words as whole identifiers, leftmost and non-overlapping."""
    alternation = b"|".join(re.escape(w.encode()) for w in sorted(words) if w)
    return [m.start() for m in re.finditer(rb"(?<![\w$])(?:" + alternation + rb")(?![\w$])", data)]


@pytest.mark.parametrize("data", [
    b"const f = require('node-fetch'); fetch(u); node-fetch",      # a word inside a longer one
    b"$fetch fetch$ _fetch fetch_ fetch2 2fetch fetch",           # identifier characters on either side
    b"https http2 http https://x http.get(u) request.get",
    "r\u00e9quest request \u00e9fetch fetch\u00e9 fs.readFileSync".encode(),  # non-ASCII bytes are no identifier
    b"", b"fetch", b"xfetch",
])
def test_word_offsets_match_the_alternation(data: bytes) -> None:
    from chainwatch.packages import jsscan

    words = set(jsscan.LABEL_ROOTS) | {"$x", "req"}
    assert jsscan._word_offsets(data, words) == _word_offsets_by_regex(data, words)


def test_word_offsets_match_the_alternation_on_random_text() -> None:
    from chainwatch.packages import jsscan

    rng = random.Random(7)
    pieces = [b"fetch", b"node-fetch", b"http", b"https", b"os", b"$", b"_", b".", b" ", b"-", b"a", b"\xc3\xa9", b"2"]
    words = set(jsscan.LABEL_ROOTS) | {"a", "$"}
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert jsscan._word_offsets(data, words) == _word_offsets_by_regex(data, words), data
