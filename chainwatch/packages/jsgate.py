"""Which JavaScript files need the scanner's tree passes at all: a gate in front of ``JsScanner.scan``.

A large npm package is mostly files that call nothing the scanner looks for (webpack's compiler: 846
files). The tree passes cost about three times the parse itself, so the gate reads the parsed tree's
comments and string literals (a tree-sitter query, in C) and the raw text, and lets a file through
only when it shows one of the ways in to a signal:

- a call or constructor resolves to a capability only through a name written in the file: an
  identifier in code (``fetch``, ``eval``, ``http``...), or a string literal whose text is the name or
  one dotted part of it (``require("node:child_process")``, ``x["exec"]``); words in comments and inside
  longer strings (a licence header's ``https://``, an error message's "got") are not names;
- a name can also be built at run time where the scanner folds it: character codes, base64 and hex
  decoding (``fromCharCode``, ``atob``, ``Buffer.from(s, "base64")``), an array's ``join``, escapes,
  a ``require``/``import()`` of anything but one plain literal, and a subscript whose key is anything
  but a plain literal, a number or a name that is never given a string;
- a literal gives an indicator only where the scanner's own patterns match around a keyword, ``://`` or
  ``:AA`` (``indicators.hot_offsets``), or when a template or ``+`` may join such pieces; a literal is a
  payload when it decodes to code or a URL.

Words are derived from the scanner's own tables, so a name added there is gated here too. A quiet file
still gets the scanner's file-level text checks (obfuscator output, wallet hooks, hex-encoded names).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from chainwatch.packages import decode as dec
from chainwatch.packages import indicators as ind
from chainwatch.packages import jsscan as js
from chainwatch.packages import pygate

# parts of the scanner's API names that ordinary code writes all the time; each table name keeps another
# part that is a gate word (checked by a test)
GENERIC_PARTS = frozenset(("get", "post", "put", "request", "connect", "Socket", "promises", "resolve", "lookup",
                           "command", "exec", "string", "process", "io", "client", "from", "Script"))
# names the scanner resolves outside its API tables
EXTRA_WORDS = ("request", "Function", "eval", "_compile", "_load", "constructor", "createDecipher", "createDecipheriv",
               "binding", "dlopen", "env", "setTimeout", "setInterval", "fromCharCode", "atob", "Buffer", "require",
               "import", "toString")
# words that count only where the text around them shows a use the scanner reads (see ``_harmless``)
_NARROW = frozenset(("Function", "constructor", "env", "setTimeout", "setInterval", "Buffer", "require", "import",
                     "binding", "_load", "toString", "request"))
# parts of module names that are no identifier of their own in code (``socket.io-client``)
_STRING_ONLY = frozenset(("socket", "engine"))
_KEYWORDS = frozenset((b"return", b"in", b"of", b"case", b"typeof", b"yield", b"await", b"else", b"do", b"new",
                       b"delete", b"void", b"instanceof", b"throw", b"const", b"let", b"var", b"default", b"export"))


def _table_names() -> list[str]:
    return sorted(js.PROCESS | js.NETWORK | js.DNS | js.EXEC | js.SYSINFO_IDENTITY)


@cache
def gate_words() -> frozenset[str]:
    words = set(EXTRA_WORDS)
    for name in _table_names():
        words.update(p for p in re.split(r"[.:]", name) if p and p not in GENERIC_PARTS)
    words.update(("http", "https", "axios", "got", "needle", "superagent"))  # roots of .get/.post/.request callees
    return frozenset(words)


@cache
def _word_re() -> re.Pattern[bytes]:
    words = sorted(gate_words(), key=len, reverse=True)
    return re.compile(rb"(?<![\w$\x80-\xff])(?:" + b"|".join(re.escape(w.encode()) for w in words)
                      + rb")(?![\w$\x80-\xff-])")


_ESCAPE_RE = re.compile(rb"\\(?:[xuU]|[0-7]{2})")
_JOIN_RE = re.compile(rb"\]\s*\.\s*join\s*\(")
# a subscript: what stands before ``[`` is a value (a name, a call, another subscript), then the key
_SUBSCRIPT_RE = re.compile(rb"(?<=[\w$)\]])\s*\[\s*")
_PLAIN_KEY_RE = re.compile(rb"""(?:'[^'\\\n]*'|"[^"\\\n]*"|[0-9][\w.]*|[A-Za-z_$][\w$]*)\s*\]""")
# what a name given a string (that the scanner may fold) is assigned: up to the end of the statement
_ASSIGNED_RE = re.compile(rb"(?<![\w$.])([A-Za-z_$][\w$]*)\s*=(?![=>])")
_STRING_VALUE_RE = re.compile(rb"""[^;\n]{0,400}?(?:['"`+]|\bString\b|\bBuffer\b|\batob\b|\btoString\b)""")
_JOINING_RE = re.compile(rb"""\$\{|['"`]\s*\+|\+\s*['"`]""")
_PLAIN_REQUIRE_RE = re.compile(rb"""\s*\(\s*(?:'[^'\\\n]*'|"[^"\\\n]*")\s*\)""")


def _kind_at(root: Any, start: int, end: int) -> tuple[str, Any]:
    """What the text at ``start:end`` is part of: ("comment" | "string" | "template" | "code", node)."""
    node = root.descendant_for_byte_range(start, end)
    while node is not None:
        kind = node.type
        if kind == "comment":
            return "comment", node
        if kind == "string":
            return "string", node
        if kind == "template_string":
            return "template", node
        if kind == "template_substitution" or (node.is_named and kind not in ("string_fragment", "escape_sequence")):
            return "code", node
        node = node.parent
    return "code", None


def _harmless(word: str, data: bytes, start: int, end: int) -> bool:
    """A narrow word in code whose use, read off the text, reaches nothing the scanner resolves."""
    before = data[max(0, start - 1):start]
    after = data[end:end + 64]
    if word == "Function":  # Function.prototype..., not a call of it and no alias of it
        return after.lstrip().startswith(b".")
    if word == "constructor":  # a class's own constructor() {...}; module.constructor is a property read
        return before != b"." or (b"module" not in data and b"Module" not in data)
    if word in ("binding", "_load"):  # process.binding(...), Module._load(...)
        return before != b"." and after.lstrip()[:1] != b"("
    if word == "env":  # a secret read alone flows nowhere; a dump is JSON.stringify/Object.keys/entries of it
        return not re.search(rb"\b(?:stringify|entries|keys)\b", data)
    if word in ("setTimeout", "setInterval"):  # a function or a name handed over, not a string of code
        return re.match(rb"\s*\(\s*(?:function\b|async\b|\(|[A-Za-z_$][\w$.]*\s*[,)]|[A-Za-z_$][\w$]*\s*=>)",
                        after) is not None
    if word == "Buffer":  # only Buffer.from(s, "base64" | "hex") is folded
        return b"base64" not in data and b"hex" not in data
    if word == "require":  # require("plain") reads the literal as a name; require.resolve(...) loads nothing
        if before == b".":  # x.require is require only as module.require and its like (REQUIRE_FORMS)
            return re.search(rb"(?<![\w$])(?:module|mainModule|main|global|globalThis)\s*\.\s*$",
                             data[max(0, start - 24):start]) is None
        return _PLAIN_REQUIRE_RE.match(after) is not None or \
            re.match(rb"\s*\.\s*(?!main\b)[A-Za-z_$]", after) is not None
    if word == "request":  # a property (x.request: a network call only under a root that is a gate word
        # itself), an object key or an assignment target; request(...), request.get and aliases count
        return before == b"." or re.match(rb"\s*(?::|=(?![=>]))", after) is not None
    if word == "import":  # import x from "plain", import("plain"), x.import
        return before == b"." or not after.lstrip().startswith(b"(") or _PLAIN_REQUIRE_RE.match(after) is not None
    # toString folds only a name holding a string, and such names are caught where keys are read
    return word == "toString"


def _string_names(value: bytes) -> set[str]:
    text = value.decode("utf-8", "replace").removeprefix("node:")
    return {text, *text.split(".")}


_KEY_END_RE = re.compile(rb"[\[\]]")
_NAME_RE = re.compile(rb"(?<![\w$.])[A-Za-z_$][\w$]*")
MAX_KEY = 256


def _computed_keys(data: bytes, root: Any) -> bool:
    """A subscript in code whose key may fold to a name the text does not show: a template, a ``+`` with
    a literal, or a name given a string (or a sum) somewhere in the file, which the scanner folds."""
    holders: set[bytes] | None = None

    def holds_string(name: bytes) -> bool:
        nonlocal holders
        if holders is None:  # one pass over the text, on the first named key
            holders = {a.group(1) for a in _ASSIGNED_RE.finditer(data) if _STRING_VALUE_RE.match(data, a.end())}
        return name in holders

    for m in _SUBSCRIPT_RE.finditer(data):
        if _kind_at(root, m.end() - 1, m.end())[0] in ("comment", "string"):
            continue
        word = re.search(rb"[\w$]+$", data[max(0, m.start() - 12):m.start()])
        if word is not None and word.group() in _KEYWORDS:
            continue  # return [...], const [a, b] = ...: an array, not a subscript
        depth, at = 1, m.end()
        while depth:
            nxt = _KEY_END_RE.search(data, at, m.end() + MAX_KEY)
            if nxt is None:
                return True
            depth += 1 if nxt.group() == b"[" else -1
            at = nxt.end()
        key = data[m.end():at - 1]
        if b"`" in key or (b"+" in key and (b"'" in key or b'"' in key)):
            return True
        if any(holds_string(n.group()) for n in _NAME_RE.finditer(key) if n.group() not in _KEYWORDS):
            return True
    return False


def quiet_reason(data: bytes, root: Any) -> str | None:
    """None when the scanner's tree passes cannot find anything in ``data`` (parsed as ``root``);
    otherwise what makes the file worth them."""
    for m in _word_re().finditer(data):
        start, end = m.span()
        kind, node = _kind_at(root, start, end)
        if kind == "comment":
            continue
        word = m.group().decode()
        if kind == "string":
            if word in _string_names(data[node.start_byte + 1:node.end_byte - 1]):
                return f"names {word} in a string"
            continue
        if kind == "template":  # its fragments are text; a template is read as a name only where it is a
            # key or a module (caught as computed keys and requires), or whole when it has no substitution
            if node.named_child_count == 0 and word in _string_names(data[node.start_byte + 1:node.end_byte - 1]):
                return f"names {word} in a template"
            continue
        if "-" in word or word in _STRING_ONLY or (word in _NARROW and _harmless(word, data, start, end)):
            continue
        return f"names {word}"
    if _ESCAPE_RE.search(data):
        return "escape sequence"
    if _JOIN_RE.search(data):
        return "array join"
    if _computed_keys(data, root):
        return "computed subscript key"
    text = data.decode("latin-1")
    hot = ind.hot_offsets(text)
    if hot:
        if _JOINING_RE.search(data) and any(_kind_at(root, at, at + 1)[0] != "comment" for at in hot):
            return "indicator keyword beside joined strings"
        if pygate._names_indicator(text):
            return "indicator"
    backwards = b".reverse()" in data
    for run in pygate._ENCODED_RE.finditer(text):
        value = run.group()
        if len(value) >= pygate.LONG_RUN and pygate._MIXED_RE.match(value):
            return "encoded payload"
        revealed = dec.reveal(value, backwards=backwards)
        if revealed and (dec.looks_like_code(revealed[1]) or ind.URL_RE.search(revealed[1])):
            return "encoded payload"
    return None
