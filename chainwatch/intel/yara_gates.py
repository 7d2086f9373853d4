"""Rules that can only match PE files, and a copy of a rule set in which they are switched off.

Over half of signature-base's rules start their condition with ``uint16(0) == 0x5a4d`` (an ``MZ``
header). On any other file such a rule is false whatever its patterns find, yet YARA still searches for
its patterns. The hunt scans files without an ``MZ`` header with a copy of the rule set in which each
of those rules is rewritten to ``rule NAME { condition: false }``: it keeps its name (so rules that
refer to it still compile), and its patterns leave the search. Results are the same by construction.

A rule counts as PE-only when its condition is a conjunction at the top level (no top-level ``or``)
with the MZ check as one of the conjuncts. Anything the small lexer here is unsure of (a ``/`` that is
not a regular expression, unbalanced braces, an unterminated string) leaves the rule as it is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chainwatch.intel.yara_rules import (
    LoadReport,
    RuleFile,
    atomic_write,
    compiled_ruleset,
    default_cache_dir,
    ruleset_key,
)

GATES_VERSION = 3  # part of the cache name: a change to the classifier makes a new derived set

_RULE_HEAD = re.compile(r"^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+[A-Za-z_]\w*[^{]{0,4096}\{", re.M)
_MZ_CHECK = re.compile(r"(?:uint16\s*\(\s*0\s*\)\s*==\s*0x5a4d|uint16be\s*\(\s*0\s*\)\s*==\s*0x4d5a)", re.I)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _skip_literal(text: str, i: int, close: str, flags: str = "") -> int:
    """Index after the literal opened at ``i`` and closed by ``close`` (backslash escapes; ``flags`` may
    follow, as after a regular expression); -1 when it does not end on its line."""
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == close:
            j += 1
            while j < len(text) and text[j] in flags:
                j += 1
            return j
        if c == "\n":
            return -1
        j += 1
    return -1


def _skip_string(text: str, i: int) -> int:
    return _skip_literal(text, i, '"')


def _rule_body(text: str, open_brace: int) -> tuple[int, int, int] | None:
    """(start of the condition expression, end of the rule's closing brace, index of that brace) for the
    rule whose body opens at ``open_brace``; None when the lexer cannot be sure."""
    depth = 0
    i = open_brace
    last_token = ""
    condition_at = -1
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            if i < 0:
                return None
            last_token = '"'
            continue
        if text.startswith("//", i):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return None
            i = end + 2
            continue
        if c == "/":
            if last_token not in ("=", "matches"):
                return None  # division, or something this lexer does not know
            i = _skip_literal(text, i, "/", "isx")
            if i < 0:
                return None
            last_token = "/"
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return (condition_at, i + 1, i) if condition_at >= 0 else None
        if c.isalpha() or c == "_":
            m = _WORD.match(text, i)
            assert m is not None
            word = m.group(0)
            if word == "condition" and depth == 1:
                colon = text.find(":", m.end())
                if colon >= 0 and not text[m.end():colon].strip():
                    condition_at = colon + 1
                    i = colon + 1
                    last_token = ":"
                    continue
            last_token = word
            i = m.end()
            continue
        if not c.isspace():
            last_token = c
        i += 1
    return None


def _top_level_parts(expr: str) -> tuple[list[str], bool] | None:
    """(conjuncts, has a top-level ``or``) of a condition without comments; None when unbalanced."""
    expr = expr.strip()
    while expr.startswith("(") and _closing(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    parts, depth, start, i, has_or = [], 0, 0, 0, False
    while i < len(expr):
        c = expr[i]
        if c == '"':
            i = _skip_string(expr, i)
            if i < 0:
                return None
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and (c.isalpha() or c == "_"):
            m = _WORD.match(expr, i)
            assert m is not None
            if m.group(0) == "or":
                has_or = True
            elif m.group(0) == "and":
                parts.append(expr[start:i].strip())
                start = m.end()
            i = m.end()
            continue
        i += 1
    if depth != 0:
        return None
    parts.append(expr[start:].strip())
    return parts, has_or


def _closing(expr: str, i: int) -> int:
    depth = 0
    j = i
    while j < len(expr):
        c = expr[j]
        if c == '"':
            j = _skip_string(expr, j)
            if j < 0:
                return -1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def is_pe_only(condition: str) -> bool:
    """Whether a condition (comments removed) is false on every file that does not start with ``MZ``."""
    split = _top_level_parts(condition)
    if split is None:
        return False
    parts, has_or = split
    if has_or:
        return False
    return any(_MZ_CHECK.fullmatch(p.strip("() \t\r\n")) for p in parts)


def without_pe_only_rules(text: str) -> tuple[str, int]:
    """``text`` with every PE-only rule reduced to ``{ condition: false }``; (new text, rules reduced)."""
    out: list[str] = []
    pos = 0
    reduced = 0
    for m in _RULE_HEAD.finditer(text):
        if m.start() < pos:
            continue  # a rule head inside the body of the previous rule (in a string or comment)
        body = _rule_body(text, m.end() - 1)
        if body is None:
            break  # unsure where this rule ends: the rest of the file stays as it is (and the lexer linear)
        cond_start, end, close = body
        condition = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text[cond_start:close], flags=re.S)
        if is_pe_only(condition):
            out.append(text[pos:m.end()])
            out.append(" condition: false }")
            reduced += 1
        else:
            out.append(text[pos:end])
        pos = end
    out.append(text[pos:])
    return "".join(out), reduced


def compiled_non_pe_ruleset(files: list[RuleFile], full_report: LoadReport, cache_dir: Path | None = None,
                            keep: list[Any] | None = None) -> tuple[Path | None, int]:
    """Serialised rules for files without an MZ header, derived from ``files``; (None, 0) when no rule is
    PE-only. The derived set is compiled and cached like any rule set; a small index keyed by the full
    set's key names it, so a cached hunt does not lex the rules again. A file that compiles in the full
    set but not once derived keeps its original text, so the two sets hold the same rules.
    """
    if not files:
        return None, 0
    cache_dir = cache_dir or default_cache_dir()
    index = cache_dir / f"{ruleset_key(files)}.nonpe{GATES_VERSION}.json"
    try:
        doc = json.loads(index.read_text())
        derived_blob = cache_dir / f"{doc['derived_key']}.yarc" if doc["reduced"] else None
        if derived_blob is None or derived_blob.is_file():
            return derived_blob, int(doc["reduced"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    lexed = [(rf, *without_pe_only_rules(rf.text)) for rf in files]
    broken: set[str] = set()
    path, derived_key = None, ""
    compiled: list[Any] = []
    while True:
        derived = [RuleFile(rf.namespace, text) if n and rf.namespace not in broken else rf for rf, text, n in lexed]
        reduced = sum(n for rf, _text, n in lexed if rf.namespace not in broken)
        if not reduced:
            break
        compiled = []
        path, report = compiled_ruleset(derived, cache_dir, keep=compiled)
        derived_key = report.key
        newly = {f.namespace for f in report.failures} - {f.namespace for f in full_report.failures} - broken
        if not newly:
            break
        broken |= newly  # keep those files whole rather than lose a rule
    if keep is not None and compiled:
        keep.append(compiled[-1])
    atomic_write(index, json.dumps({"reduced": reduced, "derived_key": derived_key}).encode())
    return path, reduced
