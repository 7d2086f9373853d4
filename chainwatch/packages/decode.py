"""Static decoding of hidden payloads: base64/base32/hex, zlib/gzip/bz2/lzma, Fernet with an inline key,
reversed strings and character-code lists. Nothing decoded is ever executed: the text is re-scanned.

Every decoder is bounded in input and output size so a bomb cannot eat memory.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import lzma
import re
import zlib
from functools import cache
from typing import Any

MAX_INPUT = 4 * 1024 * 1024
MAX_OUTPUT = 8 * 1024 * 1024
MIN_ENCODED = 24

_B64_RE = re.compile(r"^[A-Za-z0-9+/\s]+={0,2}\s*$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_\-\s]+={0,2}\s*$")
_B32_RE = re.compile(r"^[A-Z2-7]+=*$")
_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
_HEX_ESC_RE = re.compile(r"^(?:\\x[0-9a-fA-F]{2})+$")
# a character no accepted encoding uses (prose, code and paths mostly hit one within a few characters)
_OUTSIDE_ALPHABETS = re.compile(r"[^A-Za-z0-9+/=_\-\s\\]")
_SPACE = re.compile(r"\s")

CODE_HINTS = re.compile(
    r"(?:\bimport\s+\w|\bexec\s*\(|\beval\s*\(|\bdef\s+\w+\s*\(|https?://|\bsubprocess\b|\bos\.system|"
    r"\brequire\s*\(|\bfunction\s*\(|powershell|\bcurl\s|\bwget\s|\bcmd(?:\.exe)?\s+/c|Invoke-|"
    r"__import__|\bsocket\b|\burllib\b|\brequests\.)"
)


def _bounded_zlib(data: bytes, wbits: int) -> bytes | None:
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(data, MAX_OUTPUT)
        return out if out else None
    except zlib.error:
        return None


def decompress(data: bytes) -> tuple[str, bytes] | None:
    """If ``data`` is a compressed stream, its (method, bounded content)."""
    if len(data) < 4:
        return None
    if data[0] == 0x78 and data[1] in (0x01, 0x5E, 0x9C, 0xDA):
        out = _bounded_zlib(data, 15)
        if out is not None:
            return "zlib", out
    if data[:2] == b"\x1f\x8b":
        out = _bounded_zlib(data, 31)
        if out is not None:
            return "gzip", out
    if data[:3] == b"BZh":
        try:
            d = bz2.BZ2Decompressor()
            return "bz2", d.decompress(data, MAX_OUTPUT)
        except (OSError, ValueError):
            return None
    if data[:6] == b"\xfd7zXZ\x00" or data[:3] == b"]\x00\x00":
        try:
            return "lzma", lzma.LZMADecompressor().decompress(data, MAX_OUTPUT)
        except (lzma.LZMAError, ValueError):
            return None
    return None


def printable_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    sample = data[:4096]
    good = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(sample)


def as_text(data: bytes) -> str | None:
    """Decoded bytes as text when they look like text (code, commands, URLs)."""
    if printable_ratio(data) >= 0.85:
        return data.decode("utf-8", "replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(1 for c in text[:4096] if c.isprintable() or c in "\n\r\t")
    return text if letters / max(1, len(text[:4096])) >= 0.9 else None


def decode_layers(data: bytes, depth: int = 0, chain: tuple[str, ...] = ()) -> tuple[tuple[str, ...], bytes]:
    """Peel compression and nested base64 layers; returns (methods applied, innermost bytes)."""
    if depth >= 6:
        return chain, data
    unpacked = decompress(data)
    if unpacked:
        return decode_layers(unpacked[1], depth + 1, (*chain, unpacked[0]))
    stripped = data.strip()
    if len(stripped) >= MIN_ENCODED and printable_ratio(stripped) == 1.0:
        inner = decode_string(stripped.decode("ascii", "replace"), allow_plain=False)
        if inner is not None:
            return decode_layers(inner[1], depth + 1, (*chain, inner[0]))
    return chain, data


def decode_string(value: str, allow_plain: bool = True) -> tuple[str, bytes] | None:
    """One decoding step of a literal that looks encoded: (method, bytes) or None."""
    s = value.strip()
    if len(s) < MIN_ENCODED or len(s) > MAX_INPUT or _OUTSIDE_ALPHABETS.search(s):
        return None
    compact = "".join(s.split()) if _SPACE.search(s) else s
    if _HEX_ESC_RE.match(compact):
        try:
            return "hex-escape", bytes.fromhex(compact.replace("\\x", ""))
        except ValueError:
            return None
    if _HEX_RE.match(compact) and len(compact) >= 32:
        try:
            return "hex", binascii.unhexlify(compact)
        except (binascii.Error, ValueError):
            return None
    if _B64_RE.match(s) or _B64URL_RE.match(s):
        # plain words and identifiers also match the alphabet: require mixed classes
        if not (re.search(r"[A-Z]", compact) and re.search(r"[a-z]", compact) and re.search(r"[0-9+/=_-]", compact)):
            return None
        padded = compact + "=" * (-len(compact) % 4)
        try:
            if "-" in compact or "_" in compact:
                raw = base64.urlsafe_b64decode(padded)
            else:
                raw = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            return None
        return "base64", raw
    if _B32_RE.match(compact) and len(compact) >= 32:
        try:
            return "base32", base64.b32decode(compact + "=" * (-len(compact) % 8))
        except (binascii.Error, ValueError):
            return None
    return None


def fernet_decrypt(key: bytes | str, token: bytes | str) -> bytes | None:
    """Decrypt a Fernet token whose key ships beside it (a common PyPI dropper wrapper)."""
    try:
        from cryptography.fernet import Fernet, InvalidToken
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return None
    try:
        key_b = key.encode() if isinstance(key, str) else key
        token_b = token.encode() if isinstance(token, str) else token
        if len(token_b) > MAX_INPUT:
            return None
        return Fernet(key_b).decrypt(token_b)
    except (InvalidToken, ValueError, TypeError, binascii.Error):
        return None


def reveal(value: str, backwards: bool = False) -> tuple[str, str] | None:
    """Fully decode an encoded-looking literal to text: (method chain, text), or None. With ``backwards``
    (the file reverses strings, as obfuscator lambdas with ``[::-1]`` do) a literal that does not decode
    is tried reversed too."""
    out = _reveal(value)
    if out is None and backwards:
        flipped = _reveal(value[::-1])
        out = (f"reversed+{flipped[0]}", flipped[1]) if flipped else None
    return out


def _reveal(value: str) -> tuple[str, str] | None:
    step = decode_string(value)
    if step is None:
        return None
    chain, data = decode_layers(step[1], 1, (step[0],))
    text = as_text(data)
    if text is None:
        return None
    return "+".join(chain), text


# the literal each CODE_HINTS branch starts with; the pattern is tried only where one starts, since
# searching with it costs ~90 ns per character of text where it does not match
_CODE_NEEDLES = ("import", "exec", "eval", "def", "http", "subprocess", "os.system", "require", "function",
                 "powershell", "curl", "wget", "cmd", "Invoke-", "__import__", "socket", "urllib", "requests.")


@cache
def _code_needles() -> Any:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for needle in _CODE_NEEDLES:
        automaton.add_word(needle, len(needle))
    automaton.make_automaton()
    return automaton


def looks_like_code(text: str) -> bool:
    """CODE_HINTS somewhere in the first 200,000 characters of ``text``."""
    text = text[:200_000]
    if len(text) < 4096:
        return bool(CODE_HINTS.search(text))
    match = CODE_HINTS.match  # at a position, ``\b`` still sees the character before it
    return any(match(text, end + 1 - size) for end, size in _code_needles().iter(text))


def chars_to_text(codes: list[int]) -> str | None:
    """A list of character codes (``[chr(c) for c in [...]]``, ``bytes([...])``) as text."""
    if len(codes) < 6 or not all(isinstance(c, int) and 0 <= c < 0x110000 for c in codes):
        return None
    try:
        text = "".join(chr(c) for c in codes)
    except (ValueError, OverflowError):
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return text if printable / len(text) >= 0.9 else None
