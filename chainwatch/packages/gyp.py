"""Commands a ``binding.gyp`` runs when node-gyp configures and builds a native addon.

npm runs ``node-gyp rebuild`` on install for any package with a ``binding.gyp`` and no install script of
its own, and node-gyp runs shell commands while it reads the file: every ``<!(...)`` and ``<!@(...)``
command expansion at configure time, and every ``action`` list at build time. Honest addons ask node
or pkg-config for include paths there (``<!(node -p "require('node-addon-api').include")``); the same
place runs ``curl ... | sh`` just as well, without a line in ``package.json``.

The file is a Python literal, read here as text only (never evaluated): expansions by matching their
parentheses, actions by their list of strings. String escapes of the file (``\\"``, ``\\'``) are undone
once.
"""

from __future__ import annotations

import re

MAX_COMMANDS = 200
MAX_COMMAND = 4000
_EXPANSION_RE = re.compile(r"<!@?\(")
_ACTION_RE = re.compile(r"""['"]action['"]\s*:\s*\[([^\]]{0,4000})\]""")
_STRING_RE = re.compile(r"""'((?:[^'\\\n]|\\.){0,2000})'|"((?:[^"\\\n]|\\.){0,2000})\"""")
_ESCAPE_RE = re.compile(r"\\(.)")
# inline code handed to an interpreter: node -e/-p/--eval/--print "...", python -c "..."
_INLINE_RE = re.compile(r"""\b(node|nodejs|python3?)\s+(?:--?[\w-]+\s+)*?(?:-e|-p|--eval|--print|-c)\s+"""
                        r"""(["'])(.*?)(?<!\\)\2""", re.S)


def _unescape(text: str) -> str:
    return _ESCAPE_RE.sub(r"\1", text)


def _expansion(text: str, start: int) -> str | None:
    """The command of the expansion whose ``(`` is at ``start``: up to the parenthesis that closes it."""
    depth = 0
    for i in range(start, min(len(text), start + MAX_COMMAND)):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return None


def commands(text: str) -> list[tuple[int, str]]:
    """(line, command) for every command expansion and build action in ``text``."""
    out: list[tuple[int, str]] = []
    for m in _EXPANSION_RE.finditer(text):
        cmd = _expansion(text, m.end() - 1)
        if cmd is not None and cmd.strip():
            out.append((text.count("\n", 0, m.start()) + 1, _unescape(cmd).strip()))
        if len(out) >= MAX_COMMANDS:
            return out
    for m in _ACTION_RE.finditer(text):
        parts = [a or b for a, b in _STRING_RE.findall(m.group(1))]
        if parts:
            out.append((text.count("\n", 0, m.start()) + 1, " ".join(_unescape(p) for p in parts)))
        if len(out) >= MAX_COMMANDS:
            break
    return out


def inline_code(command: str) -> list[tuple[str, str]]:
    """(language, code) for code passed inline to node or python in ``command``."""
    out = []
    for m in _INLINE_RE.finditer(command):
        lang = "python" if m.group(1).startswith("python") else "javascript"
        out.append((lang, m.group(3).replace("\\" + m.group(2), m.group(2))))
    return out
