"""Package deltas (PyPI, npm): install hooks, dependencies, obfuscation, env-to-network code.

Reads ``features["package"]`` of the package's container record (facts contract), tolerant of the
shapes a hook or dependency list may take (list of dicts, list of strings, or a name->value map).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from typing import Any

from chainwatch.diff import facts as F
from chainwatch.diff.rules.interface import DeltaRule, DiffContext
from chainwatch.models import Finding, MemberRecord, Severity

OBFUSCATION_WORDS = ("obfusc", "minif", "packed", "encoded-payload", "base64-exec", "hex-escape", "eval-decode")
ENV_WORDS = ("env", "credential", "token", "secret", "ssh", "npmrc", "pypirc", "aws", "wallet", "keychain")
NET_WORDS = ("network", "http", "fetch", "socket", "download", "exfil", "dns", "webhook", "request")


def _names(value: Any, keys: tuple[str, ...] = ("name", "id", "kind", "hook", "file", "path")) -> dict[str, Any]:
    """Map an item list / dict to {identity: item}."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out[str(k)] = v
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                ident = next((str(item[k]) for k in keys if item.get(k)), repr(sorted(item.items()))[:80])
                if "kind" in item and "name" in item and item.get("kind") != item.get("name"):
                    ident = f"{item['kind']}:{item['name']}"
                out[ident] = item
            elif item is not None:
                out[str(item)] = item
    return out


def _pkg_pairs(ctx: DiffContext, old: MemberRecord | None, new: MemberRecord | None
               ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    a, b = F.package(old), F.package(new)
    if not b:
        return None
    if not a and old is None:
        return None
    return a, b


def _deps(pkg: dict[str, Any]) -> dict[str, Any]:
    deps = pkg.get("dependencies")
    if isinstance(deps, dict) and any(isinstance(v, (dict, list)) for v in deps.values()):
        merged: dict[str, Any] = {}
        for group, items in deps.items():  # e.g. {"runtime": [...], "optional": [...]}
            if group in ("dev", "devDependencies", "dev_dependencies"):
                continue
            merged.update(_names(items))
        return merged
    return _names(deps)


def _dep_name(ident: str) -> str:
    return re.split(r"[\s<>=!~;\[(@^]", ident.strip(), maxsplit=1)[0].lower().replace("_", "-") or ident


def _bump_kind(old_v: str | None, new_v: str | None) -> str | None:
    def parts(v: str | None) -> list[int]:
        return [int(x) for x in re.findall(r"\d+", v or "")[:3]]

    a, b = parts(old_v), parts(new_v)
    if len(a) < 2 or len(b) < 2:
        return None
    a += [0] * (3 - len(a))
    b += [0] * (3 - len(b))
    if a[0] != b[0]:
        return "major"
    if a[1] != b[1]:
        return "minor"
    if a[2] != b[2]:
        return "patch"
    return "same"


def _hooks(pkg: dict[str, Any]) -> dict[str, Any]:
    """Install hooks keyed so that a setup.py gaining a cmdclass, or a new .pth file, is a new key."""
    out: dict[str, Any] = {}
    hooks = pkg.get("install_hooks") or []
    if isinstance(hooks, dict):
        hooks = [{"kind": k, "command": v} for k, v in hooks.items()]
    for h in hooks if isinstance(hooks, list) else []:
        if not isinstance(h, dict):
            out[str(h)] = h
            continue
        kind = str(h.get("kind") or h.get("name") or h.get("hook") or "hook")
        key = kind
        if h.get("file") and kind not in ("setup.py",):
            key += ":" + re.sub(r"^[^/]+-\d[^/]*/", "", str(h["file"]))  # drop a versioned top folder
        if h.get("cmdclass"):
            key += "+cmdclass"
        out[key] = h
    return out


class NewInstallHook(DeltaRule):
    id = "diff.new-install-hook"
    severity = Severity.HIGH
    description = "The package gained an install-time hook (npm pre/post/install, setup.py cmdclass, .pth)."
    attack = "T1195.001"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        pair = _pkg_pairs(ctx, old, new)
        if pair is None or new is None:  # new facts exist only for a new member
            return
        a, b = (_hooks(p) for p in pair)
        for ident in sorted(set(b) - set(a)):
            item = b[ident]
            detail = item if not isinstance(item, dict) else {k: item[k] for k in list(item)[:6]}
            what = "setup.py now overrides the install commands (cmdclass)" if ident.endswith("+cmdclass") \
                else f"added the install hook {ident}"
            yield self.delta_finding(
                new, old, f"{pair[1].get('name') or new.name} {pair[1].get('version') or ''} {what}: code that runs "
                          f"on every machine that installs it",
                before=sorted(a), after=detail, hook=ident,
            )


@cache
def popular_packages(ecosystem: str) -> frozenset[str]:
    """Names of the most downloaded packages (data shipped by the packages area), if present."""
    from importlib import resources

    name = "npm.txt" if ecosystem == "npm" else "pypi.txt"
    try:
        text = (resources.files("chainwatch.data") / "popular" / name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return frozenset()
    return frozenset(re.sub(r"[-_.]+", "-", line.strip().lower()) for line in text.splitlines() if line.strip())


class NewDependency(DeltaRule):
    id = "diff.new-dependency"
    severity = Severity.LOW
    description = "The package gained a dependency; worse in a patch release or for a name never seen before."
    attack = "T1195.001"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        pair = _pkg_pairs(ctx, old, new)
        if pair is None or not pair[0] or new is None:
            return
        a = {_dep_name(k): v for k, v in _deps(pair[0]).items()}
        b = {_dep_name(k): v for k, v in _deps(pair[1]).items()}
        added = sorted(set(b) - set(a))
        if not added:
            return
        bump = _bump_kind(pair[0].get("version"), pair[1].get("version"))
        eco = str(pair[1].get("ecosystem") or "")
        known = set(ctx.settings.get("known_packages") or ()) or set(
            popular_packages("npm" if eco == "npm" else "pypi"))
        for name in added:
            unknown = bool(known) and re.sub(r"[-_.]+", "-", name) not in known
            sev = Severity.MEDIUM if bump in ("patch", "same") or unknown else Severity.LOW
            why = []
            if bump in ("patch", "same"):
                why.append(f"in a {bump} release")
            if unknown:
                why.append("not among the popular packages of its registry")
            yield self.delta_finding(
                new, old, f"{pair[1].get('name') or new.name} now depends on {name}"
                          + (f" ({', '.join(why)})" if why else ""),
                before=sorted(a), after={"name": name, "spec": b[name] if not isinstance(b[name], dict) else
                                         b[name].get("spec") or b[name].get("version")},
                severity=sev, dependency=name, bump=bump,
            )


def _signals(pkg: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Signals grouped by kind: a kind that appears is news; more of a known kind is not."""
    out: dict[str, list[dict[str, Any]]] = {}
    sigs = pkg.get("signals") or []
    if isinstance(sigs, dict):
        sigs = [{"kind": k, **(v if isinstance(v, dict) else {"detail": v})} for k, v in sigs.items()]
    for sig in sigs if isinstance(sigs, list) else []:
        if isinstance(sig, dict):
            kind = str(sig.get("kind") or sig.get("id") or sig.get("rule") or "signal")
            out.setdefault(kind, []).append(sig)
        elif sig is not None:
            out.setdefault(str(sig), []).append({"kind": str(sig)})
    return out


_HIGH_SIGNALS = ("obf.decoded-payload", "obf.obfuscator", "obf.builtin-alias", "exec.decoded", "exec.shell-downloader",
                 "net.download-exec", "file.write-exec", "flow.exfiltration", "endpoint.bot-token")
_MEDIUM_SIGNALS = ("obf.long-line", "obf.unicode", "endpoint.shady", "binary.embedded", "persist.startup",
                   "meta.suspicious-dependency", "meta.typosquat")
_SKIP_SIGNALS = ("install.hook", "code.unparsable", "meta.empty", "meta.odd-version")


def _signal_rule(kind: str, items: list[dict[str, Any]], all_signals: dict[str, list[dict[str, Any]]]
                 ) -> tuple[str, Severity, str]:
    low = kind.lower()
    if low.startswith("obf") or any(w in low for w in OBFUSCATION_WORDS):
        sev = Severity.HIGH if low in _HIGH_SIGNALS else Severity.MEDIUM
        return "diff.obfuscation-appeared", sev, "obfuscated or minified code appeared"
    # a new source of secrets counts as env-to-network only when a network sink sits in the same file
    source_files = {i.get("file") for i in items}
    net_files = {i.get("file") for k, group in all_signals.items()
                 if k.startswith(("net.", "endpoint.")) or any(w in k for w in NET_WORDS) for i in group}
    env_to_net = low == "flow.exfiltration" or (
        (low.startswith("source.") or any(w in low for w in ENV_WORDS)) and bool(source_files & net_files - {None}))
    if env_to_net:
        return ("diff.env-to-network", Severity.HIGH,
                "code that reads credentials or the environment and reaches the network appeared")
    if low in _HIGH_SIGNALS:
        return "diff.package-signal", Severity.HIGH, f"new behaviour {kind}"
    if low in _MEDIUM_SIGNALS:
        return "diff.package-signal", Severity.MEDIUM, f"new behaviour {kind}"
    sev = Severity.MEDIUM if any(i.get("phase") == "install" for i in items) else Severity.LOW
    return "diff.package-signal", sev, f"new behaviour {kind}"


class PackageSignalAppeared(DeltaRule):
    """Obfuscated/minified code or env-reading network code appearing in a package that had none."""

    id = "diff.package-signal"
    severity = Severity.MEDIUM
    description = "Obfuscated code, code reading credentials/env and reaching the network, or another new behaviour."
    attack = "T1027"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        pair = _pkg_pairs(ctx, old, new)
        if pair is None or not pair[0] or new is None:
            return
        a, b = _signals(pair[0]), _signals(pair[1])
        appeared = sorted(k for k in set(b) - set(a) if k not in _SKIP_SIGNALS)
        for kind in appeared:
            items = b[kind]
            rule, sev, what = _signal_rule(kind, items, b)
            ex = items[0]
            where = f" in {ex.get('file')}" + (f" line {ex.get('line')}" if ex.get("line") else "") \
                if ex.get("file") else ""
            f = self.delta_finding(new, old, f"{pair[1].get('name') or new.name}: {what}{where}",
                                   before=sorted(a)[:30], after={k: ex.get(k) for k in
                                                                 ("kind", "file", "line", "snippet", "phase")},
                                   severity=sev, signal=kind, occurrences=len(items))
            yield replace(f, rule=rule, attack="T1027" if rule == "diff.obfuscation-appeared" else
                          ("T1552" if rule == "diff.env-to-network" else self.attack))


class PackageContentSameVersion(DeltaRule):
    id = "diff.package-republished"
    severity = Severity.MEDIUM
    description = "The package content changed but its declared version did not."
    attack = "T1195.001"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        pair = _pkg_pairs(ctx, old, new)
        if pair is None or not pair[0] or old is None or new is None:
            return
        a, b = pair
        if a.get("version") and a.get("version") == b.get("version") and a.get("name") == b.get("name"):
            changed = sum(1 for p in ctx.pairs if p.changed or p.old is None or p.new is None)
            if changed:
                yield self.delta_finding(new, old, f"{b.get('name')} {b.get('version')}: {changed} member(s) changed "
                                                   f"while the declared version stayed the same",
                                         before=a.get("version"), after=b.get("version"), changed_members=changed)
        ta = [int(x) for x in re.findall(r"\d+", str(a.get("version") or ""))[:4]]
        tb = [int(x) for x in re.findall(r"\d+", str(b.get("version") or ""))[:4]]
        if ta and tb and tb < ta:
            f = self.delta_finding(new, old, f"{b.get('name')} version went backwards: {a.get('version')} -> "
                                             f"{b.get('version')}: an older release shipped as an update",
                                   before=a.get("version"), after=b.get("version"), severity=Severity.HIGH)
            yield replace(f, rule="diff.version-backwards", attack="T1195.002")


RULES = [NewInstallHook(), NewDependency(), PackageSignalAppeared(), PackageContentSameVersion()]
