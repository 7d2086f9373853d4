"""PE-only rules are switched off for files without an MZ header, and the hunt's results do not change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yara_x

from chainwatch.hunt.run import HuntOptions, hunt
from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.intel.yara_gates import is_pe_only, without_pe_only_rules
from chainwatch.intel.yara_rules import EXTERNALS


@pytest.mark.parametrize(("condition", "expected"), [
    ("uint16(0) == 0x5a4d and filesize < 100KB and $a", True),
    ("filesize < 1MB and uint16(0) == 0x5A4D and all of them", True),
    ("( uint16(0) == 0x5a4d and ( $a or $b ) )", True),
    ('$a and pe.imports("ws2_32.dll") and uint16be(0) == 0x4d5a', True),
    ("uint16(0) == 0x5a4d and $a or $b", False),  # `and` binds first: $b alone can match
    ("(uint16(0) == 0x5a4d and $a) or $b", False),
    ("uint16(0) == 0x5a4d or $a", False),
    ("not uint16(0) == 0x5a4d and $a", False),
    ("uint32(0) == 0x464c457f and $a", False),
    ('$a and "x) or (y" == filename and uint16(0) == 0x5a4d', True),  # parentheses inside a string
    ("uint16(0) == 0x5a4d and ($a", False),  # unbalanced: unsure, keep the rule
])
def test_pe_only_conditions(condition: str, expected: bool) -> None:
    assert is_pe_only(condition) is expected


RULES = r'''
import "pe"
/* rule Fake { condition: true } inside a comment */
rule PeOnly : tag1 {
  meta: description = "condition: in a meta string { }"
  strings: $a = "beacon-string" $re = /ab{1,3}c\/d/ $h = { 4D 5A [2-4] ?? 00 }
  condition: uint16(0) == 0x5a4d and any of them // trailing comment
}
private rule PeHelper { strings: $p = "helper-string" condition: uint16(0) == 0x5a4d and $p }
rule UsesHelper { condition: PeHelper }
rule Generic { strings: $b = "beacon-string" condition: $b }
rule MzOr { strings: $c = "other-string" condition: uint16(0) == 0x5a4d and $c or filesize < 0 }
'''


def _matches(rules_text: str, data: bytes) -> set[str]:
    compiler = yara_x.Compiler()
    for name, value in EXTERNALS.items():
        compiler.define_global(name, value)
    compiler.add_source(rules_text)
    return {r.identifier for r in yara_x.Scanner(compiler.build()).scan(data).matching_rules}


def test_derived_rule_set_gives_the_same_matches_and_keeps_references() -> None:
    derived, reduced = without_pe_only_rules(RULES)
    assert reduced == 2  # PeOnly and PeHelper; MzOr has a top-level `or`
    assert "rule Fake" in derived and "beacon-string" in derived  # comment and Generic kept verbatim
    text = b"xx beacon-string helper-string other-string abbc/d"
    mz = b"MZ" + text
    assert _matches(RULES, text) == _matches(derived, text) == {"Generic"}
    assert _matches(RULES, mz) == {"PeOnly", "UsesHelper", "Generic", "MzOr"}


def test_hunt_uses_the_derived_set_for_non_pe_files_only(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "notes.txt").write_bytes(b"beacon-string helper-string")
    (tree / "tool.exe").write_bytes(b"MZ" + bytes(62) + b"beacon-string helper-string")
    rules = Indicator(IndicatorKind.YARA, RULES, "test:gates", score=80, extra={"file": "gates.yar"})
    report = hunt([tree], [rules], HuntOptions(jobs=1, cache_dir=tmp_path / "cache", non_pe_set_min_files=0))
    hits = {(Path(f.path).name, f.evidence["rule"]) for f in report.findings if f.rule == "hunt.yara"}
    assert hits == {("notes.txt", "Generic"), ("tool.exe", "PeOnly"), ("tool.exe", "UsesHelper"),
                    ("tool.exe", "Generic")}
    assert report.extra["hunt"]["yara"]["pe_only_rules"] == 2
    assert report.extra["hunt"]["yara"]["non_pe_set"] is True
    again = hunt([tree], [rules], HuntOptions(jobs=2, cache_dir=tmp_path / "cache",  # from the cache, forked
                                              non_pe_set_min_files=0))
    assert {(Path(f.path).name, f.evidence["rule"]) for f in again.findings if f.rule == "hunt.yara"} == hits
    # a tree this small does not load the derived set at all by default: the full set alone, same hits
    small = hunt([tree], [rules], HuntOptions(jobs=2, cache_dir=tmp_path / "cache"))
    assert small.extra["hunt"]["yara"]["non_pe_set"] is False
    assert {(Path(f.path).name, f.evidence["rule"]) for f in small.findings if f.rule == "hunt.yara"} == hits


def test_unclosed_or_odd_rule_text_is_left_as_it_is() -> None:
    pe_rule = 'rule P { strings: $a = "x" condition: uint16(0) == 0x5a4d and $a }\n'
    hostile = "rule open {\n" * 2000 + pe_rule
    assert without_pe_only_rules(hostile) == (hostile, 0)
    divided = 'rule D { strings: $a = "x" condition: uint16(0) == 0x5a4d and #a / 2 > 1 }\n' + pe_rule
    assert without_pe_only_rules(divided) == (divided, 0)  # a division the lexer does not know: stop there
    text, n = without_pe_only_rules(pe_rule + "rule G { condition: true }\n")
    assert n == 1 and "rule G { condition: true }" in text
