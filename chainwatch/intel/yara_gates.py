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

import io
import json
import re
from pathlib import Path
from typing import Any

from chainwatch.intel.yara_rules import (
    LoadReport,
    RuleFile,
    atomic_write,
    compile_rules,
    default_cache_dir,
    ruleset_key,
)

GATES_VERSION = 2  # part of the cache name: a change to the classifier makes a new derived set

_RULE_HEAD = re.compile(r"^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+[A-Za-z_]\w*[^{]{0,4096}\{", re.M)
_MZ_CHECK = re.compile(r"(?:uint16\s*\(\s*0\s*\)\s*==\s*0x5a4d|uint16be\s*\(\s*0\s*\)\s*==\s*0x4d5a)", re.I)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _skip_string(text: str, i: int) -> int:
    """Index after the ``"..."`` literal starting at ``i``; -1 when it does not end on its line."""
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        if c == "\n":
            return -1
        j += 1
    return -1


def _skip_regex(text: str, i: int) -> int:
    """Index after the ``/.../mods`` literal starting at ``i``; -1 when it does not end on its line."""
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "/":
            j += 1
            while j < len(text) and text[j] in "isx":
                j += 1
            return j
        if c == "\n":
            return -1
        j += 1
    return -1


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
            i = _skip_regex(text, i)
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


def non_pe_rule_files(files: list[RuleFile]) -> tuple[list[RuleFile], int]:
    """The rule set for files without an MZ header, and how many rules it switches off."""
    out, total = [], 0
    for rf in files:
        text, n = without_pe_only_rules(rf.text)
        total += n
        out.append(RuleFile(rf.namespace, text) if n else rf)
    return out, total


def compiled_non_pe_ruleset(files: list[RuleFile], full_report: LoadReport, cache_dir: Path | None = None,
                            keep: list[Any] | None = None) -> tuple[Path | None, int]:
    """Serialised rules for files without an MZ header, derived from ``files`` and cached beside the
    full set (keyed by the full set's key); (None, 0) when no rule is PE-only. A rule that compiles in
    the full set but not in the derived one keeps its original text, so the two sets hold the same rules.
    """
    if not files:
        return None, 0
    cache_dir = cache_dir or default_cache_dir()
    key = ruleset_key(files)
    blob, meta = cache_dir / f"{key}.nonpe{GATES_VERSION}.yarc", cache_dir / f"{key}.nonpe{GATES_VERSION}.json"
    if blob.is_file() and meta.is_file():
        try:
            reduced = int(json.loads(meta.read_text())["reduced"])
            return (blob if reduced else None), reduced
        except (ValueError, KeyError, TypeError):
            pass
    derived, reduced = non_pe_rule_files(files)
    if reduced:
        rules, report = compile_rules(derived)
        broken = {f.namespace for f in report.failures} - {f.namespace for f in full_report.failures}
        if broken:  # keep those files whole rather than lose a rule
            derived = [orig if d.namespace in broken else d for orig, d in zip(files, derived, strict=True)]
            reduced = sum(without_pe_only_rules(d.text)[1] for d in derived if d.namespace not in broken)
            rules, report = compile_rules(derived)
        buf = io.BytesIO()
        rules.serialize_into(buf)
        atomic_write(blob, buf.getvalue())
        if keep is not None:
            keep.append(rules)
    atomic_write(meta, json.dumps({"reduced": reduced, "full_key": key}).encode())
    return (blob if reduced else None), reduced
