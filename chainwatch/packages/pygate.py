"""Which Python files need a syntax tree at all: a text gate in front of ``PyScanner``.

Most files of a large real package (keras: 766 of 904) name no API the scanner looks for and hold no
indicator, no escape and no encoded payload. The scanner cannot emit a signal for such a file, since
every signal starts from one of these:

- a call resolves to a capability only through a name written in the file: its module in an import
  (``subprocess``, ``requests``), the attribute that makes it one (``os.system``, ``os.environ``), a
  builtin (``exec``, ``eval``, ``compile``, ``open``) or a dynamic lookup (``getattr``,
  ``__import__``, ``globals``, ``__builtins__``...; ``getattr(obj, "dtype")`` with a plain receiver and
  name, or ``vars(obj)`` read other than by key, looks up nothing the scanner knows); writes count too
  (code written to a file is scanned as a payload). The name must be written as code: in a comment or a
  plain string it is prose (a licence header's ``http://``), since only code that is itself named here
  can evaluate a string;
- a literal gives an indicator only where the scanner's own patterns match, which they can only do
  around a gate keyword, ``://`` or ``:AA`` (``indicators.hot_offsets``), unless an escape hides the
  keyword (``"disc\\x6frd"``); a literal is a payload when it decodes to code, a URL or a bot token;
  a list of eight or more integers may be character codes;
- the unicode checks need a bidi control or a non-ASCII letter.

Such a file is not parsed; ``quiet_reason`` is None exactly when the text shows none of the above. The
words are derived from the scanner's own API tables, so a name added there is gated here too, and a test
runs the full scanner on every file the gate passes over in a slice of the standard library and
expects silence. What is given up: a quiet file that does not parse is not reported as unparsable,
and an encoded payload wrapped into lines under ``LONG_RUN`` characters inside one string is not
decoded in a file that names no API.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from typing import Any

from chainwatch.packages import decode as dec
from chainwatch.packages import indicators as ind
from chainwatch.packages import pyscan as ps

# components that ordinary code writes all the time and that never make a capability on their own: every
# table name that has one of them also has a component kept in the word list (checked by a test)
GENERIC_PARTS = frozenset((
    "os", "sys", "io", "path", "get", "copy", "items", "keys", "values", "read", "write", "run", "main", "client",
    "Client", "request", "Request", "connect", "load", "loads", "open", "ext", "commands", "Bot", "Session",
    "create_connection", "dict", "decode", "Process", "Listener", "on_press", "hook", "grab", "paste", "copy",
    "node", "walk", "listdir", "join", "expanduser", "Path", "glob", "json", "dumps",
    "ZipFile", "zipfile", "move", "rename", "replace", "chdir", "sqlite3", "setdefault", "update", "append",
    "extend", "insert", "add", "str", "bytes", "bytearray", "chr", "self", "name", "id", "data", "api", "types",
    "code", "query", "resolve", "__getitem__", "Application", "PIL", "download", "Connection", "rec", "reveal",
))
# names the scanner resolves or reads outside its API tables (dynamic lookups, native code, devices, pip)
EXTRA_WORDS = (
    "getattr", "__import__", "importlib", "__builtins__", "builtins", "__builtin__", "globals", "vars",
    "locals", "__dict__", "exec", "eval", "compile", "execfile", "ctypes", "winreg", "_winreg", "cv2", "pyaudio",
    "sounddevice", "pip", "Fernet", "decrypt", "environ", "environb", "getenv", "open", "urlretrieve", "startfile",
    "dup2", "fromhex", "marshal", "pickle", "CreateThread", "VirtualAlloc", "RtlMoveMemory", "WriteProcessMemory",
    "CDLL", "LoadLibrary", "SetValue", "CreateKey", "VideoCapture", "PyAudio",
    # writes: code written to a file is scanned as a payload, and a copy, move or rename into a startup
    # place is persistence (the path may be folded from pieces)
    "write", "write_text", "write_bytes", "shutil", "rename",
)
# the same for names too common to count as bare words
EXTRA_SUBSTRINGS = ("os.replace", "import replace")


def _table_names() -> list[str]:
    names: list[str] = []
    for table in (ps.EXEC_NAMES, ps.PROCESS_PREFIXES, ps.NETWORK_PREFIXES, ps.DNS_NAMES, ps.DECODE_NAMES,
                  ps.ENV_NAMES, ps.SYSINFO_NAMES, ps.CLIPBOARD_PREFIXES, ps.CLIPBOARD_WRITES, ps.SCREEN_PREFIXES,
                  ps.KEYLOG_PREFIXES, ps.HIDDEN_API_NAMES, ps.CONNECT_APIS, ps.SECRET_STORE_PREFIXES,
                  ps.CLOUD_CREDENTIAL_CALLS):
        names.extend(table)
    return names


@cache
def gate_words() -> frozenset[str]:
    """Identifiers whose presence means the file may call or name something the scanner looks for."""
    words = set(EXTRA_WORDS)
    for name in _table_names():
        words.update(p for p in name.split(".") if p and p not in GENERIC_PARTS)
    return frozenset(words)


# builtins count only where they can be the builtin: not as an attribute (``re.compile``, ``model.eval``)
BUILTIN_WORDS = frozenset(("exec", "eval", "compile", "execfile", "open", "getattr", "vars", "globals",
                           "locals", "__import__"))


# getattr(obj, "name") is resolved to obj's dotted name plus ``.name`` (a default may follow). With a plain
# dotted receiver and a name literal that is no gate word, every part of that name is one the gate reads
# anyway, so the lookup reaches no API the scanner knows. Any other getattr (a computed name, a call as the
# receiver, ``g = getattr``) counts
_PLAIN_GETATTR_RE = re.compile(r"\(\s*[A-Za-z_][\w.]*\s*,\s*(['\"])([A-Za-z_]\w*)\1\s*[,)]")
# vars(x), globals() and locals() give the scanner a name only when their value is read by key
# (``globals()["exec"]``): called with a plain argument and not subscripted, they name nothing
_UNSUBSCRIPTED_CALL_RE = re.compile(r"\(\s*[\w.]*\s*\)(?!\s*\[)")


def _plain_getattr(text: str, at: int) -> bool:
    match = _PLAIN_GETATTR_RE.match(text, at)
    return match is not None and match.group(2) not in gate_words()


def _unsubscripted_call(text: str, at: int) -> bool:
    return _UNSUBSCRIPTED_CALL_RE.match(text, at) is not None


# builtins whose use the text alone shows to be harmless, given the position just after the word
_HARMLESS_USE = {"getattr": _plain_getattr, "vars": _unsubscripted_call, "globals": _unsubscripted_call,
                 "locals": _unsubscripted_call}


SHORT_WORD = 2  # words this short (``sh``) sit inside countless identifiers: str.find looks for them instead


@cache
def _word_finder() -> Any:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in gate_words():
        if len(word) > SHORT_WORD:
            automaton.add_word(word, (len(word), word in BUILTIN_WORDS))
    automaton.make_automaton()
    return automaton


@cache
def _short_words() -> tuple[str, ...]:
    return tuple(sorted(w for w in gate_words() if len(w) <= SHORT_WORD))


_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_IDENT_STARTS = _IDENT_CHARS - frozenset("0123456789")


# a comment or a string literal (its prefix letters stand before the match). Matched left to right, a ``#``
# inside a string is part of the string and a quote inside a comment part of the comment
_NOT_CODE_RE = re.compile(  # each body unrolled (a run of plain characters, then an escape or a lone quote)
    r"#[^\r\n]*"
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"
    r'|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"',
    re.S)
# the letters before a quote that make the literal an f-string or a t-string (``f``, ``rf``, ``Rt``...)
_CODE_PREFIX_RE = re.compile(r"(?<![A-Za-z0-9_])(?:[fFtT][rR]?|[rR][fFtT])$")
_DEF_BEFORE_RE = re.compile(r"(?<![A-Za-z0-9_])def\s+$")


# in an f-string's body: a doubled brace (a literal one), a brace, or what may not stand in a field here
_FIELD_MARK_RE = re.compile(r"\{\{|\}\}|[{}'\"\\#\n]")


def _fstring_literal_parts(start: int, end: int, body_start: int, body_end: int,
                           text: str) -> list[tuple[int, int]] | None:
    """The spans of an f-string outside its replacement fields (the fields are code), or None when a field
    holds a quote, a backslash, a ``#`` or a line end, or a brace is left open. Such an f-string may end
    elsewhere for Python 3.12, whose fields may reuse the string's own quotes (``f"{d["k"]}"``), so a
    lexer that does not parse fields would read the rest of the text out of step."""
    parts: list[tuple[int, int]] = []
    depth = 0
    literal_from = start
    for mark in _FIELD_MARK_RE.finditer(text, body_start, body_end):
        token = mark.group()
        if depth == 0:
            if token == "{":
                parts.append((literal_from, mark.start()))
                depth = 1
            elif token == "}":
                return None  # a lone closing brace: not an f-string Python accepts
        elif token in ("{", "{{"):
            depth += len(token)
        elif token in ("}", "}}"):
            depth -= len(token)
            if depth < 0:
                return None
            if depth == 0:
                literal_from = mark.end()
        else:
            return None
    if depth:
        return None
    parts.append((literal_from, end))
    return parts


class _Prose:
    """Where the comments and plain string literals of a text lie, found lazily up to each position asked
    about. A name there is prose (a licence URL, "operating system", "pip install") unless something
    evaluates the string, and that something (``exec``, ``eval``, ``compile``, ``getattr``, ``__import__``,
    ``importlib``, a ``write`` of code) is itself a name in code.

    An f-string's (or a t-string's) fields are code, its other parts prose. When its fields are not plain
    (see ``_fstring_literal_parts``), everything from it on counts as code."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._matches = _NOT_CODE_RE.finditer(text)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._code_from = len(text) + 1  # where an f-string this lexer cannot follow starts

    def covers(self, at: int) -> bool:
        while (not self._ends or self._ends[-1] <= at) and at < self._code_from:
            match = next(self._matches, None)
            if match is None:
                break
            spans: list[tuple[int, int]] | None = [(match.start(), match.end())]
            at_quote = match.start()  # (read in place: a match may be a megabyte of docstring)
            if self._text[at_quote] in "'\"" and _CODE_PREFIX_RE.search(self._text, max(0, at_quote - 3), at_quote):
                quotes = 3 if self._text.startswith(("'''", '"""'), at_quote) else 1
                spans = _fstring_literal_parts(match.start(), match.end(), match.start() + quotes,
                                               match.end() - quotes, self._text)
            if spans is None:
                self._code_from = match.start()
                break
            for lo, hi in spans:
                self._starts.append(lo)
                self._ends.append(hi)
        if at >= self._code_from:
            return False
        i = bisect_right(self._starts, at) - 1
        return i >= 0 and at < self._ends[i]


def _first_word(text: str, prose: _Prose | None = None) -> str | None:
    """Why the text needs a tree, at the first gate word written as an identifier in code (a builtin only
    where it is neither an attribute nor the name of a ``def``); None when there is none. One Aho-Corasick
    pass with an early exit, where collecting every identifier cost a third of the gate. It errs towards
    parsing: a word after a digit counts (``x3open`` is one identifier, but parsing it costs only time),
    and so does a word in an f-string's field or anywhere after an f-string the lexer cannot follow.
    Words in comments and plain strings do not: a third of the files a large package's gate let through
    named ``http`` only in a licence header or a docstring's link."""
    size = len(text)
    prose = prose or _Prose(text)
    for end, (length, builtin) in _word_finder().iter(text):
        start = end + 1 - length
        before = text[start - 1] if start else " "
        if before in _IDENT_STARTS or (end + 1 < size and text[end + 1] in _IDENT_CHARS):
            continue
        if builtin and (before == "." or _DEF_BEFORE_RE.search(text, max(0, start - 16), start)):
            continue
        if prose.covers(start):
            continue
        word = text[start:end + 1]
        harmless = _HARMLESS_USE.get(word) if builtin else None
        if harmless is not None and harmless(text, end + 1):
            continue
        return f"{'calls' if builtin else 'names'} {word}"
    for word in _short_words():  # str.find skips between candidates in C (a regex here cost 20x more)
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if (not at or text[at - 1] not in _IDENT_STARTS) and (end >= size or text[end] not in _IDENT_CHARS) \
                    and not prose.covers(at):
                return f"names {word}"
            at = text.find(word, end)
    return None


# an escape that can hide a keyword or spell a payload (\x41, \u0041, \N{...}, octal \101)
_ESCAPE_RE = re.compile(r"\\(?:[xuUN]|[0-7]{2})")
# implicitly joined literals (``"disc" "ord.com"``, ``"aW1w" "b3J0"``) are one constant to the scanner
_JOIN_RE = re.compile(r"[\"']\s*[\"']")
# room for an encoded payload: a run of the alphabets ``decode.decode_string`` accepts, at its minimum
# length; a run of LONG_RUN or more with mixed classes may be one line of a wrapped payload and always
# counts (a payload wrapped into shorter lines inside one string is the case this gate gives up)
_ENCODED_RE = re.compile(rf"[A-Za-z0-9+/=_\-]{{{dec.MIN_ENCODED},}}")
# eight or more integers in a row (any literal form): a character-code list the scanner would fold
# (0x68, 1_000 and 104 alike). A number starts a token and is taken whole (possessive): tried at every
# character of a long hex run, the plain pattern was quadratic (41 s on one 148 KB file of contract bytecode)
_CODES_RE = re.compile(r"\d(?<!\w\d)\w*+\s*+,\s*+(?:\d\w*+\s*+,\s*+){6}\d")  # digit first: a fast skip
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# a non-ASCII letter may be in an identifier: the unicode check counts them, and Python folds identifiers
# to NFKC (a fullwidth ``ｅｘｅｃ`` is ``exec``), which the ASCII word test cannot see. A run holds no quote,
# no ``#`` and no line end, so it lies wholly in code or wholly in prose
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
WINDOW = 400
LONG_RUN = 60
_MIXED_RE = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])")


def _reveals_payload(run: str) -> bool:
    """What ``PyScanner._try_decode_literal`` reports: a literal that decodes to code, a URL or a bot token."""
    if len(run) >= LONG_RUN and _MIXED_RE.match(run):
        return True  # maybe one line of a wrapped payload, which decodes only whole: the tree path decides
    revealed = dec.reveal(run)
    return bool(revealed and (dec.looks_like_code(revealed[1]) or ind.URL_RE.search(revealed[1])
                              or ind.TOKEN_PATTERNS[2][1].search(revealed[1])))


def _names_indicator(text: str) -> bool:
    """The scanner's own indicator patterns, run around each gate keyword, ``://`` and ``:AA``."""
    hot = ind.hot_offsets(text)
    if not hot:
        return False
    windows: list[list[int]] = []
    for at in hot:
        if windows and at - WINDOW <= windows[-1][1]:
            windows[-1][1] = at + WINDOW
        else:
            windows.append([max(0, at - WINDOW), at + WINDOW])
    for lo, hi in windows:
        piece = text[lo:hi]
        if ind.text_signals(piece) or ind.persistence_targets(piece):
            return True
    return False


def quiet_reason(text: str) -> str | None:
    """None when the scanner cannot find anything in ``text``; otherwise what makes it worth a tree."""
    prose = _Prose(text)
    if not text.isascii():
        if _BIDI_RE.search(text):
            return "bidirectional control character"
        for run in _NON_ASCII_RE.finditer(text):
            if not prose.covers(run.start()) and any(c.isalpha() for c in run.group()):
                return "non-ASCII letters"
    word = _first_word(text, prose)
    if word is not None:
        return word
    for sub in EXTRA_SUBSTRINGS:
        if sub in text:
            return f"names {sub}"
    if _ESCAPE_RE.search(text):
        return "escape sequence"
    joined = _JOIN_RE.sub("", text)
    if _names_indicator(joined):
        return "indicator"
    if any(_reveals_payload(m.group(0)) for m in _ENCODED_RE.finditer(joined)):
        return "encoded payload"
    if _CODES_RE.search(text):
        return "integer list"
    return None
