from chainwatch.models import Finding, Severity, Verdict
from chainwatch.scoring import score_findings


def _f(sev: Severity, rule: str = "r.x", path: str = "p") -> Finding:
    return Finding(rule=rule, severity=sev, path=path, message="m")


def test_no_findings_is_clean_zero() -> None:
    assert score_findings([]) == (0, [], Verdict.CLEAN)


def test_points_sum_to_score_and_trace_to_findings() -> None:
    findings = [_f(Severity.HIGH, "a"), _f(Severity.MEDIUM, "b"), _f(Severity.LOW, "c"), _f(Severity.INFO, "d")]
    score, items, verdict = score_findings(findings)
    assert sum(i.points for i in items) == score
    assert [i.rule for i in items] == ["a", "b", "c"]  # info adds nothing, so it is not listed
    assert verdict == Verdict.SUSPICIOUS


def test_many_lows_never_leave_clean() -> None:
    score, _, verdict = score_findings([_f(Severity.LOW, path=str(i)) for i in range(200)])
    assert verdict == Verdict.CLEAN and score < 25


def test_critical_is_malicious_and_two_highs_are_too() -> None:
    assert score_findings([_f(Severity.CRITICAL)])[2] == Verdict.MALICIOUS
    assert score_findings([_f(Severity.HIGH, path="1"), _f(Severity.HIGH, path="2")])[2] == Verdict.MALICIOUS
    assert score_findings([_f(Severity.HIGH)])[2] == Verdict.SUSPICIOUS
