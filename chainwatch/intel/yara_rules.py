"""YARA-X rule sets: compile once, isolate bad rules, cache the compiled form on disk.

A rule set is a list of ``RuleFile`` (namespace, text). Each file gets its own namespace so equal
rule names in different files never collide. When a file does not compile, the rules before the
failing one are kept (YARA-X keeps them) and the rest of the file is added rule by rule, so one bad
rule costs one rule, not the file. The compiled rules are serialised to
``<cache>/<sha256 of yara-x version + externals + sources>.yarc`` with a JSON load report beside it.

LOKI's external variables (``filename``, ``filepath``, ``extension``, ``filetype``, ``md5``,
``owner``) are declared as globals; the hunt sets them per file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import yara_x

EXTERNALS: dict[str, str] = {
    "filename": "", "filepath": "", "extension": "", "filetype": "", "md5": "", "owner": "",
}
_RULE_START = re.compile(r"^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_ERR_LINE = re.compile(r"-->\s*[^\n]*?:(\d+):(\d+)")


def yara_x_version() -> str:
    try:
        return metadata.version("yara-x")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


@dataclass(frozen=True)
class RuleFile:
    namespace: str  # e.g. "signature-base:yara/gen_mal_3cx_compromise_mar23.yar"
    text: str


@dataclass
class RuleFailure:
    namespace: str
    rule: str | None  # None when the failing part could not be tied to one rule
    error: str  # first line of the YARA-X error

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass
class LoadReport:
    files: int = 0
    rules_total: int = 0
    rules_loaded: int = 0
    failures: list[RuleFailure] = field(default_factory=list)
    yara_x: str = field(default_factory=yara_x_version)
    key: str = ""
    cached: bool = False

    @property
    def percent_loaded(self) -> float:
        return 100.0 * self.rules_loaded / self.rules_total if self.rules_total else 100.0

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files, "rules_total": self.rules_total, "rules_loaded": self.rules_loaded,
            "percent_loaded": round(self.percent_loaded, 2), "failures": [f.to_dict() for f in self.failures],
            "yara_x": self.yara_x, "key": self.key, "cached": self.cached,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LoadReport:
        return cls(files=data["files"], rules_total=data["rules_total"], rules_loaded=data["rules_loaded"],
                   failures=[RuleFailure(**f) for f in data.get("failures", [])], yara_x=data.get("yara_x", ""),
                   key=data.get("key", ""))


def rule_names(text: str) -> list[str]:
    return _RULE_START.findall(text)


def ruleset_key(files: Iterable[RuleFile], externals: dict[str, str] | None = None) -> str:
    h = hashlib.sha256()
    h.update(f"yara-x {yara_x_version()}\0".encode())
    h.update(json.dumps(sorted((externals or EXTERNALS).items())).encode())
    for rf in sorted(files, key=lambda r: r.namespace):
        h.update(rf.namespace.encode("utf-8", "replace") + b"\0")
        h.update(hashlib.sha256(rf.text.encode("utf-8", "replace")).digest())
    return h.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _split(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """(preamble with imports, [(first line number, rule name, rule text)])."""
    starts = list(_RULE_START.finditer(text))
    if not starts:
        return text, []
    preamble = text[: starts[0].start()]
    chunks = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        chunks.append((text.count("\n", 0, m.start()) + 1, m.group(1), text[m.start():end]))
    return preamble, chunks


def _add_file(compiler: yara_x.Compiler, rf: RuleFile, report: LoadReport) -> None:
    """Add one file in its own namespace.

    YARA-X keeps every rule of a source that compiles and records one error per failing rule
    (``Compiler.errors()``), so a bad rule costs that rule only; errors are tied to rules by line.
    """
    names = rule_names(rf.text)
    report.rules_total += len(names)
    compiler.new_namespace(rf.namespace)
    before = len(compiler.errors())
    try:
        compiler.add_source(rf.text, origin=rf.namespace)
        report.rules_loaded += len(names)
        return
    except yara_x.CompileError as exc:
        error = exc
    _preamble, chunks = _split(rf.text)
    failed: dict[str, str] = {}
    new_errors = compiler.errors()[before:] or [{"line": None, "text": str(error)}]
    for err in new_errors:
        line = err.get("line")
        if line is None:
            m = _ERR_LINE.search(str(err.get("text", "")))
            line = int(m.group(1)) if m else None
        owner = None
        for first, name, _body in chunks:
            if line is not None and first <= line:
                owner = name
        message = str(err.get("text") or error).strip().splitlines()[0]
        if owner is None:
            report.failures.append(RuleFailure(rf.namespace, None, message))
        elif owner not in failed:
            failed[owner] = message
    for name, message in failed.items():
        report.failures.append(RuleFailure(rf.namespace, name, message))
    report.rules_loaded += max(0, len(names) - len(failed))


def compile_rules(files: list[RuleFile], externals: dict[str, str] | None = None) -> tuple[yara_x.Rules, LoadReport]:
    externals = externals or EXTERNALS
    compiler = yara_x.Compiler()
    for name, value in externals.items():
        compiler.define_global(name, value)
    report = LoadReport(files=len(files))
    for rf in files:
        _add_file(compiler, rf, report)
    return compiler.build(), report


def default_cache_dir() -> Path:
    env = os.environ.get("CHAINWATCH_CACHE")
    if env:
        return Path(env) / "yara"
    import platformdirs

    return Path(platformdirs.user_cache_dir("chainwatch")) / "yara"


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compiled_ruleset(files: list[RuleFile], cache_dir: Path | None = None,
                     externals: dict[str, str] | None = None,
                     keep: list[yara_x.Rules] | None = None) -> tuple[Path | None, LoadReport]:
    """Path of the serialised compiled rules for ``files`` (compiling on a cache miss) and the load report.

    Returns ``(None, report)`` for an empty rule set. On a cache miss the compiled rules are also
    appended to ``keep`` so the caller need not deserialise what it just compiled.
    """
    if not files:
        return None, LoadReport()
    cache_dir = cache_dir or default_cache_dir()
    key = ruleset_key(files, externals)
    blob, meta = cache_dir / f"{key}.yarc", cache_dir / f"{key}.json"
    if blob.is_file() and meta.is_file():
        try:
            report = LoadReport.from_dict(json.loads(meta.read_text()))
            report.cached = True
            return blob, report
        except (ValueError, KeyError):
            pass
    rules, report = compile_rules(files, externals)
    if keep is not None:
        keep.append(rules)
    report.key = key
    buf = io.BytesIO()
    rules.serialize_into(buf)
    atomic_write(blob, buf.getvalue())
    atomic_write(meta, json.dumps(report.to_dict(), indent=1).encode())
    return blob, report


def load_rules(path: Path) -> yara_x.Rules:
    with path.open("rb") as fh:
        return yara_x.Rules.deserialize_from(fh)
