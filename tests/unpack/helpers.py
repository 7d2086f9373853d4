"""Open one container the way the engine does (detect, pick an unpacker, sink) and capture the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chainwatch import registry
from chainwatch.filetype import detect_file
from chainwatch.models import ScanError
from chainwatch.options import Limits
from chainwatch.sandbox import Sandbox
from chainwatch.unpack.interface import Budget, BudgetExceeded, ExtractionSink, UnpackContext, UnpackError


@dataclass
class Opened:
    kind: str
    unpacker: str
    members: dict[str, bytes] = field(default_factory=dict)
    errors: list[ScanError] = field(default_factory=list)
    failure: UnpackError | None = None
    dest_files: list[Path] = field(default_factory=list)  # everything on disk under the sink, links included

    def kinds(self) -> set[str]:
        return {e.kind for e in self.errors} | ({self.failure.kind} if self.failure else set())


def open_container(path: Path, limits: Limits | None = None, password: bytes | None = None,
                   temp_root: Path | None = None) -> Opened:
    limits = limits or Limits()
    kind = detect_file(path)
    unpacker = next((u for u in registry.unpackers() if u.accepts(kind, b"", path)), None)
    assert unpacker is not None, f"no unpacker accepts {kind}"
    result = Opened(kind=kind, unpacker=unpacker.name)
    with Sandbox(temp_root) as sandbox:
        sink = ExtractionSink(dest=sandbox.new_dir(path.name), container=path.name, budget=Budget(limits))
        try:
            unpacker.unpack(path, sink, UnpackContext(limits, password))
        except UnpackError as exc:
            result.failure = exc
        except BudgetExceeded as exc:
            result.failure = UnpackError(str(exc), "limit")
        result.errors = list(sink.errors)
        for entry in sink.entries:
            result.members[entry.name] = entry.fs_path.read_bytes()
        result.dest_files = sorted(p for p in sink.dest.rglob("*") if p.is_symlink() or not p.is_dir())
        for entry in sink.entries:
            assert sandbox.contains(entry.fs_path), f"{entry.fs_path} is outside the sandbox"
    return result
