"""signature-base imports completely; its YARA rules load in YARA-X (goal >= 99%)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from chainwatch.intel.importers.signature_base import read_signature_base
from chainwatch.intel.model import IndicatorKind
from chainwatch.intel.yara_rules import RuleFile, compiled_ruleset


def _count_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(errors="replace").splitlines() if line.strip() and not line.startswith("#"))


def test_iocs_import_completely(shared: Path) -> None:
    root = shared / "intel" / "signature-base"
    items = list(read_signature_base(root, yara=False))
    counts = Counter(i.kind.value for i in items)
    print("signature-base IOCs by kind:", dict(sorted(counts.items())))
    hashes = counts["md5"] + counts["sha1"] + counts["sha256"]
    assert hashes == _count_lines(root / "iocs" / "hash-iocs.txt")  # every hash line, md5/sha1/sha256 by length
    assert counts["filename"] == _count_lines(root / "iocs" / "filename-iocs.txt")
    assert counts["domain"] + counts["ip"] + counts.get("cidr", 0) + counts.get("url", 0) == _count_lines(
        root / "iocs" / "c2-iocs.txt")
    fp = [i for i in items if i.kind == IndicatorKind.FILENAME and i.extra.get("fp_regex")]
    assert fp and all(i.score for i in fp)
    tc = [i for i in items if i.value == "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983"]
    assert tc and tc[0].kind == IndicatorKind.SHA256 and "3CX" in tc[0].description
    scored = [i for i in items if i.kind in (IndicatorKind.SHA256, IndicatorKind.MD5) and i.score != 100]
    assert scored  # hash;score;comment lines keep their score


def test_yara_rules_load(shared: Path, tmp_path: Path) -> None:
    root = shared / "intel" / "signature-base"
    files = [RuleFile(i.source, i.value) for i in read_signature_base(root, iocs=False)]
    path, report = compiled_ruleset(files, tmp_path)
    print(f"YARA-X {report.yara_x}: {report.rules_loaded}/{report.rules_total} signature-base rules load "
          f"({report.percent_loaded:.2f}%) from {report.files} files; failures: "
          + ("; ".join(f"{f.namespace}:{f.rule}: {f.error}" for f in report.failures) or "none"))
    assert report.files == len(list((root / "yara").glob("*.yar*")))
    assert report.percent_loaded >= 99.0
    assert path is not None and path.stat().st_size > 0
    _, again = compiled_ruleset(files, tmp_path)
    assert again.cached and again.rules_loaded == report.rules_loaded


def test_format_details(tmp_path: Path) -> None:
    iocs = tmp_path / "iocs"
    iocs.mkdir()
    (iocs / "hash-iocs.txt").write_text(
        "# header\n\n" + "d41d8cd98f00b204e9800998ecf8427f;Op X - dropper; with ; semicolons\n"
        + "a" * 40 + ";55;Some tool https://example.org/r\n")
    (iocs / "filename-iocs.txt").write_text("# Campaign Y https://example.org/y\n\\\\evil\\.exe;70;(?i)\\\\Vendor\\\\\n")
    (iocs / "c2-iocs.txt").write_text("# Op Z report\nbad.example\n10.1.2.3\n\n# other\n10.0.0.0/8\n")
    items = list(read_signature_base(tmp_path))
    by = {i.value: i for i in items}
    md5 = by["d41d8cd98f00b204e9800998ecf8427f"]
    assert md5.kind == IndicatorKind.MD5 and md5.score == 100 and md5.description == "Op X - dropper; with ; semicolons"
    assert md5.campaign == "Op X"
    sha1 = by["a" * 40]
    assert sha1.kind == IndicatorKind.SHA1 and sha1.score == 55 and sha1.reference == "https://example.org/r"
    fn = by["\\\\evil\\.exe"]
    assert fn.score == 70 and fn.extra["fp_regex"] == "(?i)\\\\Vendor\\\\" and fn.reference == "https://example.org/y"
    assert by["bad.example"].kind == IndicatorKind.DOMAIN and by["bad.example"].description == "Op Z report"
    assert by["10.1.2.3"].kind == IndicatorKind.IP and by["10.0.0.0/8"].kind == IndicatorKind.CIDR


def test_parsed_ioc_files_are_reused_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each IOC file is parsed once per content; a changed file is parsed again."""
    monkeypatch.setenv("CHAINWATCH_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "sb"
    (root / "iocs").mkdir(parents=True)
    names = root / "iocs" / "filename-iocs.txt"
    names.write_text("# Campaign Y\n\\\\evil\\.exe;70\n")
    first = list(read_signature_base(root))
    cached = list((tmp_path / "cache" / "signature-base").glob("*.json"))
    assert len(cached) == 1
    assert list(read_signature_base(root)) == first
    names.write_text("# Campaign Y\n\\\\evil\\.exe;70\n\\\\worse\\.dll;90\n")
    assert {i.value for i in read_signature_base(root)} == {"\\\\evil\\.exe", "\\\\worse\\.dll"}
    assert len(list((tmp_path / "cache" / "signature-base").glob("*.json"))) == 2
