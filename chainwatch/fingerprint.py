"""Streaming content fingerprints of one file: hashes, TLSH and Shannon entropy in one read."""

from __future__ import annotations

import hashlib
import math
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import tlsh as _tlsh
except ImportError:  # pragma: no cover - py-tlsh is a declared dependency
    _tlsh = None

CHUNK = 1024 * 1024
TLSH_MIN_BYTES = 50  # TLSH needs some content to produce a digest
TLSH_PROCESS_BYTES = 16 * 1024 * 1024  # from this size on, TLSH runs in a helper process


@dataclass(frozen=True)
class Fingerprint:
    size: int
    md5: str
    sha1: str
    sha256: str
    tlsh: str | None
    entropy: float
    head: bytes


def entropy_of_counts(counts: np.ndarray, total: int) -> float:
    if total <= 0:
        return 0.0
    probs = counts[counts > 0] / total
    return float(-(probs * np.log2(probs)).sum())


def byte_pair_counts(data: bytes | memoryview | np.ndarray) -> np.ndarray:
    """Counts of the 65,536 little-endian byte pairs of ``data`` (its even-length prefix; keep it small).

    Counting uint16 pairs touches half as many elements as counting bytes (numpy widens every element
    to 64 bits first), which makes the histogram ~40% cheaper; ``fold_pair_counts`` turns the pair
    counts back into byte counts.
    """
    return np.bincount(np.frombuffer(data, dtype=np.uint16, count=len(data) // 2), minlength=65536)


def fold_pair_counts(pairs: np.ndarray) -> np.ndarray:
    square = pairs.reshape(256, 256)  # [high byte, low byte]
    return square.sum(axis=0) + square.sum(axis=1)


def byte_counts(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Counts of each byte value, by pairs in 512 KiB steps (fast, and memory stays bounded)."""
    arr = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if arr.size < 1 << 16:
        return np.bincount(arr, minlength=256)
    pairs = arr[: arr.size // 2 * 2].view(np.uint16)
    counts16 = np.zeros(65536, dtype=np.int64)
    for start in range(0, pairs.size, 1 << 18):
        counts16 += np.bincount(pairs[start : start + (1 << 18)], minlength=65536)
    counts = fold_pair_counts(counts16)
    if arr.size & 1:
        counts[arr[-1]] += 1
    return counts


def shannon_entropy(data: bytes | bytearray | memoryview | np.ndarray) -> float:
    """Entropy in bits per byte (0..8)."""
    size = data.size if isinstance(data, np.ndarray) else len(data)
    if not size:
        return 0.0
    value = entropy_of_counts(byte_counts(data), size)
    return abs(value) if not math.isnan(value) else 0.0


class _Digests:
    """md5, sha1, sha256 and the byte histogram: the part of a fingerprint that runs without the GIL."""

    def __init__(self) -> None:
        self.md5, self.sha1, self.sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
        self.pairs = np.zeros(65536, dtype=np.int64)
        self.singles = np.zeros(256, dtype=np.int64)  # the odd last byte of odd-length chunks

    def update(self, chunk: bytes) -> None:
        self.md5.update(chunk)
        self.sha1.update(chunk)
        self.sha256.update(chunk)
        self.pairs += byte_pair_counts(chunk)
        if len(chunk) % 2:
            self.singles[chunk[-1]] += 1

    @property
    def counts(self) -> np.ndarray:
        return fold_pair_counts(self.pairs) + self.singles


_TLSH_HELPER_CODE = f"""
import sys, tlsh
h = tlsh.Tlsh()
read = sys.stdin.buffer.read
n = 0
while chunk := read(1048576):
    h.update(chunk)
    n += len(chunk)
value = ""
if n >= {TLSH_MIN_BYTES}:
    try:
        h.final()
        value = h.hexdigest()
    except ValueError:
        value = ""
sys.stdout.write(value)
"""


class _TlshProcess:
    """TLSH of a big input computed in a helper process fed through a pipe.

    py-tlsh holds the GIL for the whole of each update (~110 MB/s, the slowest part of a fingerprint),
    so in-process it stalls the inflating and hashing threads; in its own process it runs on the other
    core. Only bytes travel to it; it runs a fixed snippet of our own, never anything from the artifact.
    """

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-c", _TLSH_HELPER_CODE], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._failed = False
        try:  # a 1 MiB pipe (Linux): one chunk per write instead of sixteen 64 KiB round trips
            import fcntl

            fcntl.fcntl(self._proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), CHUNK)  # type: ignore[union-attr]
        except (ImportError, OSError):
            pass

    def update(self, chunk: bytes) -> None:
        if self._failed:
            return
        try:
            self._proc.stdin.write(chunk)  # type: ignore[union-attr]
        except OSError:  # the helper died: no TLSH for this input, the hashes go on
            self._failed = True

    def digest(self) -> str:
        """The TLSH hex digest, or "" when the helper failed (TLSH is optional; the hashes still stand)."""
        try:
            out, _ = self._proc.communicate(timeout=600)
        except (subprocess.TimeoutExpired, OSError):
            self.kill()
            return ""
        if self._failed:
            return ""
        return out.decode("ascii", "replace").strip() if self._proc.returncode == 0 else ""

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


class _Accumulator:
    """Fingerprint of bytes fed in order. ``threaded``: hashes and histogram on a helper thread (hashlib and
    numpy release the GIL) while TLSH runs in the caller, or, with ``tlsh_process``, in a helper process
    (``_TlshProcess``), so a big input costs about what TLSH alone costs (~110 MB/s, the slowest part)."""

    def __init__(self, head_bytes: int, with_tlsh: bool, threaded: bool, tlsh_process: bool = False) -> None:
        self.tlsh = _tlsh.Tlsh() if (with_tlsh and _tlsh is not None) else None
        self.tlsh_process: _TlshProcess | None = None
        if self.tlsh is not None and tlsh_process:
            try:
                self.tlsh_process, self.tlsh = _TlshProcess(), None
            except OSError:  # no helper process possible here: TLSH in-process
                pass
        self.digests = _Digests()
        self.head_bytes = head_bytes
        self.head = b""
        self.size = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fingerprint") if threaded else None
        self._pending: deque[Future[None]] = deque()

    def update(self, chunk: bytes) -> None:
        if len(self.head) < self.head_bytes:
            self.head += chunk[: self.head_bytes - len(self.head)]
        self.size += len(chunk)
        if self._pool is None:
            self.digests.update(chunk)
        else:
            self._pending.append(self._pool.submit(self.digests.update, chunk))
        if self.tlsh_process is not None:
            self.tlsh_process.update(chunk)
        elif self.tlsh is not None:
            self.tlsh.update(chunk)
        while len(self._pending) > 2:  # bound the chunks held in memory
            self._pending.popleft().result()

    def close(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def abort(self) -> None:
        try:
            self.close()
        finally:
            if self.tlsh_process is not None:
                self.tlsh_process.kill()

    def result(self) -> Fingerprint:
        self.close()
        digest: str | None = None
        if self.tlsh_process is not None:
            digest = self.tlsh_process.digest() or None
        elif self.tlsh is not None and self.size >= TLSH_MIN_BYTES:
            try:
                self.tlsh.final()
                value = self.tlsh.hexdigest()
            except ValueError:  # "not enough variation in input" (e.g. a run of one byte): no digest
                value = ""
            digest = value if value and value != "TNULL" else None
        ent = entropy_of_counts(self.digests.counts, self.size)
        return Fingerprint(
            size=self.size,
            md5=self.digests.md5.hexdigest(),
            sha1=self.digests.sha1.hexdigest(),
            sha256=self.digests.sha256.hexdigest(),
            tlsh=digest,
            entropy=round(ent, 4) if not math.isnan(ent) else 0.0,
            head=self.head,
        )


def fingerprint_file(path: Path, head_bytes: int = 64 * 1024, with_tlsh: bool = True) -> Fingerprint:
    """Hashes, TLSH, entropy and head of a file, in one read (a helper thread for files of 1 MiB+)."""
    with path.open("rb") as fh:
        big = os.fstat(fh.fileno()).st_size >= TLSH_PROCESS_BYTES
        chunk = fh.read(CHUNK)
        acc = _Accumulator(head_bytes, with_tlsh, threaded=len(chunk) == CHUNK, tlsh_process=big)
        try:
            while chunk:
                acc.update(chunk)
                chunk = fh.read(CHUNK)
        except BaseException:
            acc.abort()
            raise
        acc.close()
    return acc.result()


class StreamFingerprint:
    """The fingerprint of bytes as they stream past (a member being unpacked), on a background thread.

    Unpacking a big member (zlib releases the GIL) and fingerprinting it then overlap instead of running
    one after the other; the result equals ``fingerprint_file`` of the written file. ``feed`` blocks when
    the thread is a few chunks behind, so memory stays bounded.
    """

    def __init__(self, head_bytes: int = 64 * 1024, with_tlsh: bool = True) -> None:
        self._acc = _Accumulator(head_bytes, with_tlsh, threaded=True, tlsh_process=True)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="stream-fingerprint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self._queue.get()) is not None:
                if self._error is None and chunk:
                    self._acc.update(chunk)
        except BaseException as exc:  # reported by finish(); keep draining so feed() never blocks
            self._error = exc
            while self._queue.get() is not None:
                pass
        finally:
            if self._error is not None:
                self._acc.abort()
            else:
                self._acc.close()

    def feed(self, chunk: bytes) -> None:
        if chunk and self._thread.is_alive():
            self._queue.put(chunk)

    def finish(self) -> Fingerprint | None:
        """Wait for the thread; the fingerprint, or None if it failed."""
        self._stop()
        return None if self._error is not None else self._acc.result()

    def abort(self) -> None:
        self._error = self._error or RuntimeError("aborted")
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


def tlsh_distance(a: str | None, b: str | None) -> int | None:
    """TLSH distance (0 = identical, <~100 similar); None when either digest is missing."""
    if not a or not b or _tlsh is None:
        return None
    try:
        return int(_tlsh.diff(a, b))
    except (ValueError, TypeError):  # a malformed digest (e.g. from an old or edited baseline)
        return None
