"""Pickles shipped in a package that call a dangerous function when loaded.

Loading a pickle calls whatever callables its ``GLOBAL``/``STACK_GLOBAL`` opcodes name, which is why
poisoned models carry ``os.system`` or ``builtins.exec`` inside. The opcodes are read with
``pickletools.genops``, which only parses the stream: nothing is constructed, imported or called.
PyTorch files are zip archives with the pickle at ``*/data.pkl``; they are read through ``zipfile`` in
memory, bounded like every other member.
"""

from __future__ import annotations

import io
import pickletools
import zipfile
import zlib

MAX_PICKLE = 16 * 1024 * 1024
MAX_OPS = 500_000  # genops is pure Python: about a second per 500k opcodes
PICKLE_EXT = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".bin", ".sav", ".p")
# modules whose callables have no place in data: loading the pickle would run a command, code or a
# network call
DANGEROUS_MODULES = frozenset(("os", "posix", "nt", "subprocess", "runpy", "pty", "socket", "webbrowser",
                               "commands", "ctypes", "importlib", "shutil", "requests", "urllib.request",
                               "http.client", "httplib", "platform", "sys", "code", "codeop"))
DANGEROUS_BUILTINS = frozenset(("exec", "eval", "compile", "__import__", "execfile", "open", "breakpoint"))
DANGEROUS_NAMES = frozenset(("marshal.loads", "types.CodeType", "types.FunctionType", "pickle.loads",
                             "_pickle.loads", "torch.load"))


def _dangerous(module: str, name: str) -> bool:
    if module in ("builtins", "__builtin__", "__builtins__"):
        return name in DANGEROUS_BUILTINS
    return module in DANGEROUS_MODULES or module.split(".")[0] in DANGEROUS_MODULES \
        or f"{module}.{name}" in DANGEROUS_NAMES


def _globals(stream: bytes) -> list[str]:
    """``module.name`` of every callable the pickle names: GLOBAL/INST, and STACK_GLOBAL from the two
    strings pushed before it (directly or fetched from the memo). Stops quietly at a malformed opcode."""
    out: list[str] = []
    recent: list[str | None] = []  # the last two values pushed (None: not a string)
    memo: dict[int, str | None] = {}
    try:
        for count, (op, arg, _pos) in enumerate(pickletools.genops(io.BytesIO(stream))):
            if count >= MAX_OPS:
                break
            name = op.name
            if name in ("GLOBAL", "INST") and isinstance(arg, str):
                module, _, attr = arg.partition(" ")
                out.append(f"{module}.{attr}")
                recent.append(None)
            elif name.endswith(("UNICODE", "STRING")) or name.endswith("UNICODE8"):
                recent.append(str(arg))
            elif name == "MEMOIZE":
                memo[len(memo)] = recent[-1] if recent else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(arg, int):
                memo[arg] = recent[-1] if recent else None
            elif name in ("GET", "BINGET", "LONG_BINGET") and isinstance(arg, int):
                recent.append(memo.get(arg))
            elif name == "STACK_GLOBAL":
                if len(recent) >= 2 and recent[-2] and recent[-1]:
                    out.append(f"{recent[-2]}.{recent[-1]}")
                recent.append(None)
            elif name not in ("PROTO", "FRAME"):
                recent.append(None)
            del recent[:-2]
    except (ValueError, EOFError, KeyError, UnicodeDecodeError, IndexError, OverflowError, TypeError):
        pass
    return out


def _streams(rel: str, data: bytes) -> list[tuple[str, bytes]]:
    """(where, pickle bytes): the file itself, or the ``.pkl`` members of a PyTorch zip."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                out = []
                for info in zf.infolist()[:64]:
                    if info.filename.endswith(".pkl") and info.file_size <= MAX_PICKLE:
                        out.append((f"{rel}!{info.filename}", zf.read(info)))
                return out
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError, zlib.error):
            return []  # corrupt, encrypted (RuntimeError) or an unsupported method: nothing to read
    if data[:1] == b"\x80" or data[:1] in (b"(", b"c"):  # protocol 2+ header, or protocol 0/1 opcodes
        return [(rel, data[:MAX_PICKLE])]
    return []


def dangerous_calls(rel: str, data: bytes) -> list[tuple[str, str]]:
    """(where, ``module.name``) of each dangerous callable a shipped pickle would call when loaded."""
    if not rel.lower().endswith(PICKLE_EXT):
        return []
    found: list[tuple[str, str]] = []
    for where, stream in _streams(rel, data):
        for ref in _globals(stream):
            module, _, name = ref.rpartition(".")
            if _dangerous(module, name) and (where, ref) not in found:
                found.append((where, ref))
    return found[:20]
