"""The private temp dir: the only place chainwatch ever writes unpacked bytes.

It is created with mode 0700, removed on exit (also on Ctrl-C and SIGTERM), and every path
written into it is checked to stay inside it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType


class UnsafePath(ValueError):
    """A member name that would escape its directory ("../", absolute, drive letters, NUL)."""


def safe_relative(name: str) -> str:
    """Normalise an archive member name to a safe relative path, or raise ``UnsafePath``."""
    if "\0" in name:
        raise UnsafePath(f"member name contains NUL: {name!r}")
    cleaned = name.replace("\\", "/")
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        raise UnsafePath(f"absolute member name: {name!r}")
    parts = []
    for part in cleaned.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise UnsafePath(f"member name climbs out of its directory: {name!r}")
        parts.append(part)
    if not parts:
        raise UnsafePath(f"empty member name: {name!r}")
    return "/".join(parts)


class Sandbox:
    """A private temp dir, always removed; use as a context manager."""

    def __init__(self, root: Path | None = None) -> None:
        self._root_parent = root
        self.path: Path | None = None
        self._counter = 0
        self._lock = threading.Lock()
        self._old_term: object = None
        self._old_hup: object = None

    def __enter__(self) -> Sandbox:
        self.path = Path(tempfile.mkdtemp(prefix="chainwatch-", dir=self._root_parent))
        os.chmod(self.path, 0o700)
        if threading.current_thread() is threading.main_thread():
            # SIGTERM / SIGHUP would skip `finally`; turn them into an exception so cleanup runs.
            self._old_term = signal.getsignal(signal.SIGTERM)
            self._old_hup = signal.getsignal(signal.SIGHUP)
            signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
            signal.signal(signal.SIGHUP, _raise_keyboard_interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        if self.path is not None:
            remove_tree(self.path)
            self.path = None
        if self._old_term is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_term)  # type: ignore[arg-type]
            signal.signal(signal.SIGHUP, self._old_hup)  # type: ignore[arg-type]
            self._old_term = None

    def new_dir(self, hint: str = "x") -> Path:
        """A fresh directory inside the sandbox for one container's members."""
        assert self.path is not None, "sandbox not entered"
        with self._lock:
            self._counter += 1
            n = self._counter
        safe_hint = "".join(c if c.isalnum() or c in "-_." else "_" for c in hint)[:40]
        d = self.path / f"{n:06d}-{safe_hint}"
        d.mkdir(mode=0o700)
        return d

    def contains(self, path: Path) -> bool:
        assert self.path is not None
        try:
            path.resolve().relative_to(self.path.resolve())
            return True
        except ValueError:
            return False


def remove_tree(path: Path) -> None:
    """rmtree that also removes what an archive made read-only (a 0555 folder keeps its files otherwise)."""

    def _retry(func: object, failed: str, exc: object) -> None:
        try:
            os.chmod(os.path.dirname(failed), 0o700)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, 0o700)
                _rmtree(failed, _retry)
            else:
                os.unlink(failed)
        except OSError:
            pass

    _rmtree(str(path), _retry)


def _rmtree(path: str, handler: Callable[[object, str, object], None]) -> None:
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=handler)
    else:
        shutil.rmtree(path, onerror=handler)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
