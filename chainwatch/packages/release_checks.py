"""Registry metadata checks (online, cached): release age, maintainer change, new install scripts, repository.

Inputs are the plain ``release`` facts gathered by ``fetch.locate``; nothing here touches the network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chainwatch.models import Finding, Severity

FRESH_DAYS = 3


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def release_findings(ecosystem: str, name: str, version: str, release: dict[str, Any],
                     now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(UTC)
    path = f"{name}=={version}" if ecosystem == "pypi" else f"{name}@{version}"
    out: list[Finding] = []
    uploaded = _parse_time(release.get("upload_time"))
    if uploaded is not None:
        age = (now - uploaded).total_seconds() / 86400
        if age < FRESH_DAYS:
            out.append(Finding("package.fresh-release", Severity.LOW, path,
                               f"released {age:.1f} days ago: hijacked releases are usually caught within days",
                               {"upload_time": release.get("upload_time"), "age_days": round(age, 2)}))
    prev = release.get("previous") or {}
    if ecosystem == "npm" and prev:
        before, after = set(prev.get("maintainers") or []), set(release.get("maintainers") or [])
        if before and after and not (before & after):
            out.append(Finding("package.maintainer-change", Severity.MEDIUM, path,
                               "no maintainer of the previous release maintains this one",
                               {"before": sorted(before), "after": sorted(after), "previous": prev.get("version")},
                               attack="T1195.002"))
        elif prev.get("publisher") and release.get("publisher") and prev["publisher"] != release["publisher"] \
                and release["publisher"] not in before:
            out.append(Finding("package.maintainer-change", Severity.LOW, path,
                               "published by an account that was not a maintainer of the previous release",
                               {"before": prev.get("publisher"), "after": release.get("publisher"),
                                "previous": prev.get("version")}))
        new_scripts = {k: v for k, v in (release.get("scripts") or {}).items()
                       if (prev.get("scripts") or {}).get(k) != v}
        added = [k for k in new_scripts if k not in (prev.get("scripts") or {})]
        if new_scripts:
            out.append(Finding("package.new-install-script", Severity.MEDIUM if added else Severity.LOW, path,
                               f"install scripts added or changed since {prev.get('version')}: "
                               f"{', '.join(sorted(new_scripts))} (compare with `chainwatch diff`)",
                               {"scripts": new_scripts, "previous_scripts": prev.get("scripts") or {},
                                "previous": prev.get("version")}, attack="T1195.002"))
    if ecosystem == "pypi" and prev:
        pass  # PyPI's JSON API has no per-release maintainer list; author changes show in the diff
    repo = release.get("repository") or release.get("home_page") or (release.get("project_urls") or {})
    if not repo:
        out.append(Finding("package.no-repository", Severity.INFO, path, "no repository or home page link",
                           {}))
    if release.get("deprecated"):
        out.append(Finding("package.deprecated", Severity.INFO, path, f"deprecated: {release['deprecated']}"[:300],
                           {}))
    return out
