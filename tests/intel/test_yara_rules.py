from __future__ import annotations

from pathlib import Path

from chainwatch.intel.yara_rules import RuleFile, compile_rules, compiled_ruleset, load_rules

GOOD_BAD_GOOD = """
import "pe"
rule first { strings: $a = "alpha" condition: $a }
rule broken { condition: no_such_identifier }
private rule helper { strings: $h = "gamma" condition: $h }
rule third { condition: helper and filename == "x.bin" }
"""


def test_one_bad_rule_costs_one_rule(tmp_path: Path) -> None:
    rules, report = compile_rules([RuleFile("ns:mixed.yar", GOOD_BAD_GOOD), RuleFile("ns:ok.yar",
                                                                                     "rule ok { condition: true }")])
    assert report.rules_total == 5 and report.rules_loaded == 4
    assert [(f.namespace, f.rule) for f in report.failures] == [("ns:mixed.yar", "broken")]
    import yara_x

    scanner = yara_x.Scanner(rules)
    scanner.set_global("filename", "x.bin")
    names = {r.identifier for r in scanner.scan(b"alpha gamma").matching_rules}
    assert names == {"first", "third", "ok"}


def test_cache_is_keyed_by_rule_text(tmp_path: Path) -> None:
    files = [RuleFile("a", "rule a { strings: $s = \"needle\" condition: $s }")]
    p1, r1 = compiled_ruleset(files, tmp_path)
    p2, r2 = compiled_ruleset(files, tmp_path)
    assert p1 == p2 and not r1.cached and r2.cached
    p3, _ = compiled_ruleset([RuleFile("a", "rule a { condition: false }")], tmp_path)
    assert p3 != p1
    assert [m.identifier for m in load_rules(p1).scan(b"a needle").matching_rules] == ["a"]
