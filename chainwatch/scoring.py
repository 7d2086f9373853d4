"""Score and verdict: every point of the 0-100 score traces to a finding.

Findings are taken from the most to the least severe; each adds its severity's weight of the points
still missing to 100 (so two highs make more than one, but never more than 100). Low and info
findings add little and can never lift a report out of ``clean`` on their own.
"""

from __future__ import annotations

from collections.abc import Iterable

from chainwatch.models import Finding, ScoreItem, Severity, Verdict

WEIGHT = {
    Severity.INFO: 0.0,
    Severity.LOW: 0.04,
    Severity.MEDIUM: 0.30,
    Severity.HIGH: 0.60,
    Severity.CRITICAL: 0.92,
}
LOW_CAP = 20  # points that low/info findings may add in total
SUSPICIOUS_AT = 25
MALICIOUS_AT = 80


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.path, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; ties by rule id then path, so output is stable."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.path))


def score_findings(findings: list[Finding]) -> tuple[int, list[ScoreItem], Verdict]:
    total = 0.0
    low_points = 0.0
    items: list[ScoreItem] = []
    shown = 0
    for f in rank(findings):
        weight = WEIGHT[f.severity]
        if weight <= 0:
            continue
        add = (100.0 - total) * weight
        if f.severity <= Severity.LOW:
            add = min(add, max(0.0, LOW_CAP - low_points))
            low_points += add
        total += add
        points = round(total) - shown
        shown += points
        if points > 0:
            items.append(ScoreItem(rule=f.rule, path=f.path, severity=f.severity, points=points))
    score = min(100, shown)
    if score >= MALICIOUS_AT or any(f.severity == Severity.CRITICAL for f in findings):
        verdict = Verdict.MALICIOUS
    elif score >= SUSPICIOUS_AT:
        verdict = Verdict.SUSPICIOUS
    else:
        verdict = Verdict.CLEAN
    return score, items, verdict
