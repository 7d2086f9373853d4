from __future__ import annotations

from chainwatch.intel.model import IndicatorKind
from chainwatch.intel.packs import builtin_indicators, builtin_packs
from chainwatch.intel.yara_rules import RuleFile, compile_rules

EXPECTED = {"3cx", "x_trader", "solarwinds", "kaseya", "xz_utils", "ccleaner", "shadowhammer"}


def test_every_pack_and_indicator_is_sourced() -> None:
    packs = {p.id: p for p in builtin_packs()}
    assert set(packs) >= EXPECTED
    for ind in builtin_indicators():
        assert ind.source.startswith("builtin:") and ind.campaign
        if ind.kind != IndicatorKind.YARA:
            assert ind.extra.get("reported_by"), ind
    three = [i for i in builtin_indicators({"3cx"})]
    assert sum(i.kind == IndicatorKind.DOMAIN for i in three) >= 21
    versions = {i.value for i in three if i.kind == IndicatorKind.SOFTWARE}
    assert {"3cx-desktop-app@18.12.407", "3cx-desktop-app@18.12.416", "3cx-desktop-app@18.11.1213"} <= versions


def test_pack_rules_compile() -> None:
    files = [RuleFile(f"{i.source}|{i.extra['file']}", i.value) for i in builtin_indicators()
             if i.kind == IndicatorKind.YARA]
    _, report = compile_rules(files)
    assert report.rules_total >= 10 and not report.failures
