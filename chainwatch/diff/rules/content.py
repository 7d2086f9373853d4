"""Content deltas: same version different code, versions and timestamps going backwards, new members,
new capabilities and network indicators, components that do not match their known-good build."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chainwatch.diff import facts as F
from chainwatch.diff.rules.interface import DeltaRule, DiffContext
from chainwatch.models import Finding, MemberRecord, Severity

DANGEROUS_CAPABILITY_WORDS = (
    "inject", "loader", "shellcode", "hollow", "reflective", "download", "persist", "keylog", "credential",
    "steal", "exfil", "backdoor", "reverse-shell", "anti-debug", "anti-vm", "execute-payload", "decrypt-payload",
    "rc4", "crypto-miner", "miner", "env-to-network", "tamper", "payload", "injection", "marker",
)
DOC_SUFFIXES = (".md", ".rst", ".txt", ".html", ".htm", ".css", ".map", ".ts", ".pyi", ".json", ".xml", ".svg",
                ".pxd", ".h", ".c", ".cpp", ".pyx", ".toml", ".cfg", ".ini", ".yml", ".yaml")
DOC_NAMES = {"metadata", "pkg-info", "record", "license", "licence", "readme", "changelog", "history", "authors",
             "notice", "wheel", "copying"}
BENIGN_DOMAINS = ("w3.org", "microsoft.com", "apache.org", "python.org", "openssl.org", "gnu.org", "xml.org",
                  "mozilla.org", "ietf.org", "unicode.org", "schemas.", "purl.org", "digicert.com", "verisign.com",
                  "globalsign.com", "sectigo.com", "usertrust.com", "symantec.com", "thawte.com", "godaddy.com",
                  "ffmpeg.org", "videolan.org", "json-schema.org", "example.com", "example.org", "localhost",
                  "comodoca.com", "entrust.net", "letsencrypt.org", "ssl.com", "certum.pl", "identrust.com",
                  "apple.com", "quovadisglobal.com", "amazontrust.com", "pki.goog", "ocsp.", "crl.")
COMPRESSED_TYPES = ("archive", "image", "audio", "video", "font", "compressed", "media")
SIDELOAD_NAMES = {
    "version.dll", "winmm.dll", "wlbsctrl.dll", "dbghelp.dll", "cryptsp.dll", "cryptbase.dll", "userenv.dll",
    "uxtheme.dll", "dwmapi.dll", "winhttp.dll", "wininet.dll", "iphlpapi.dll", "profapi.dll", "sspicli.dll",
    "msimg32.dll", "secur32.dll", "netapi32.dll", "wtsapi32.dll", "mpr.dll", "propsys.dll", "dwrite.dll",
    "wsock32.dll", "dnsapi.dll", "oleacc.dll", "rasapi32.dll", "wbemcomn.dll", "samcli.dll", "cscapi.dll",
}
_PLAUSIBLE_MIN = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def _version_tuple(v: str | None) -> tuple[int, ...] | None:
    if not v:
        return None
    nums = re.findall(r"\d+", str(v))
    return tuple(int(n) for n in nums[:4]) if nums else None


def _is_doc(record: MemberRecord) -> bool:
    name = record.name.lower()
    return name.endswith(DOC_SUFFIXES) or name.split(".")[0] in DOC_NAMES or record.type.startswith("text/doc")


def _code_changed(old: MemberRecord | None, new: MemberRecord | None) -> bool:
    return old is not None and new is not None and old.sha256 != new.sha256


class VersionUnchanged(DeltaRule):
    id = "diff.version-unchanged"
    severity = Severity.LOW
    description = ("Content changed but the version it claims (PE version resource, assembly version) did not: the "
                   "3CX ffmpeg.dll signal. Low alone; raised when code deltas or a known component back it up.")
    attack = "T1195.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _code_changed(old, new) or not F.is_binary(new):
            return
        va, vb = F.claimed_version(old), F.claimed_version(new)
        if not va or va != vb:
            return
        vi_a, vi_b = F.version_info(old), F.version_info(new)
        yield self.delta_finding(
            new, old, f"{new.name} changed ({old.size} -> {new.size} bytes) but still claims version {vb}"
                      + (f" of {F.claimed_product(new)}" if F.claimed_product(new) else "")
                      + ": the same version should be the same build",
            before={"version": va, "sha256": old.sha256, "product": vi_a.get("ProductName")},
            after={"version": vb, "sha256": new.sha256, "product": vi_b.get("ProductName")},
            tlsh_distance=pair.distance if (pair := ctx.pair_of_new.get(new.path)) else None,
        )


class VersionBackwards(DeltaRule):
    id = "diff.version-backwards"
    severity = Severity.HIGH
    description = "A member or the artifact claims an older version than the previous release (ShadowHammer)."
    attack = "T1195.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _code_changed(old, new):
            return
        va, vb = F.claimed_version(old), F.claimed_version(new)
        ta, tb = _version_tuple(va), _version_tuple(vb)
        if ta and tb and tb < ta and len(ta) == len(tb):
            yield self.delta_finding(new, old, f"{new.name} claims version {vb}, older than {va} in the previous "
                                               f"release: an old build was shipped as an update", before=va, after=vb)


def _plausible(ts: object) -> float | None:
    try:
        t = float(ts)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    now = datetime.now(UTC).timestamp()
    return t if _PLAUSIBLE_MIN <= t <= now + 86400 else None  # reproducible builds put hashes here


class CompileTimeAnomaly(DeltaRule):
    id = "diff.compile-time"
    severity = Severity.MEDIUM
    description = "A rebuilt binary was compiled before the previous build, or after the release date."
    attack = "T1070.006"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is None or new is None or not _code_changed(old, new) or not F.feat(new, "pe"):
            return
        ta, tb = _plausible(F.feat(old, "pe").get("timestamp")), _plausible(F.feat(new, "pe").get("timestamp"))
        if tb is None:
            return

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).isoformat()

        if ta is not None and tb < ta - 86400:
            yield self.delta_finding(new, old, f"{new.name} was compiled on {iso(tb)[:10]}, before the build it "
                                               f"replaces ({iso(ta)[:10]}): an older or back-dated binary",
                                     before=iso(ta), after=iso(tb))
        if ctx.release_date is not None and tb > (ctx.release_date + timedelta(days=1)).timestamp():
            yield self.delta_finding(new, old, f"{new.name} was compiled on {iso(tb)[:10]}, after the release date "
                                               f"{ctx.release_date.date()}", before=None, after=iso(tb),
                                     release_date=ctx.release_date.isoformat())


def _severity_of_capability(cap_id: str, cap: dict) -> Severity:
    """Capabilities benign software commonly has stay low; loader/injection/theft ones are high."""
    if cap.get("common") is True:
        return Severity.LOW
    text = (cap_id + " " + str(cap.get("name", ""))).lower()
    if any(w in text for w in DANGEROUS_CAPABILITY_WORDS):
        return Severity.HIGH
    return Severity.MEDIUM if cap.get("common") is False else Severity.LOW


class NewCapability(DeltaRule):
    id = "diff.new-capability"
    severity = Severity.LOW
    description = "A member gained a capability (e.g. loads code, injects, reads credentials) it did not have."
    attack = None

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if new is None or old is None or old.sha256 == new.sha256:
            return
        before, after = F.capability_ids(old), F.capability_ids(new)
        for cap_id in sorted(set(after) - set(before)):
            cap = after[cap_id]
            sev = _severity_of_capability(cap_id, cap)
            f = self.delta_finding(
                new, old, f"{new.name} gained the capability {cap.get('name') or cap_id}, absent from the previous "
                          f"release", before=sorted(before), after=cap_id, severity=sev,
                capability=cap,
            )
            if cap.get("attack"):
                f = Finding(f.rule, f.severity, f.path, f.message, f.evidence, str(cap["attack"]))
            yield f


def _interesting_indicators(values: set[str]) -> set[str]:
    out = set()
    for v in values:
        low = v.lower()
        if any(d in low for d in BENIGN_DOMAINS):
            continue
        out.add(v)
    return out


_LOCAL_NETS = ("10.", "127.", "0.", "169.254.", "192.168.", "255.", "224.")


def _public_ip(indicator: str) -> bool:
    """A literal IPv4 address that is not local/private (documentation ranges count: they stand for real ones)."""
    host = indicator.split("//")[-1].split("/")[0].split(":")[0]
    if not _IP.match(host):
        return False
    parts = [int(p) for p in host.split(".")]
    if any(p > 255 for p in parts) or host.startswith(_LOCAL_NETS):
        return False
    return not (parts[0] == 172 and 16 <= parts[1] <= 31)


_PAYLOAD_URL = re.compile(r"\.(exe|dll|so|dylib|sh|ps1|bat|cmd|vbs|bin|dat|zip|py|js)(\?|$)", re.IGNORECASE)


def _url_host(indicator: str) -> str:
    return indicator.split("//", 1)[-1].split("/")[0].split(":")[0] if "//" in indicator else ""


def _version_like(host: str) -> bool:
    return bool(_IP.match(host)) and all(int(p) < 10 for p in host.split("."))


class NewNetworkIndicator(DeltaRule):
    id = "diff.new-network-indicator"
    severity = Severity.LOW
    description = ("New URLs, domains or IPs in a binary (worse when it had none), or a script that now names a raw IP "
                   "or a payload URL.")
    attack = "T1071"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if new is None or _is_doc(new) or not (F.is_binary(new) or F.is_script(new)):
            return
        if old is not None and old.sha256 == new.sha256:
            return
        before = F.network_indicators(old)
        after = {v for v in _interesting_indicators(F.network_indicators(new)) if not _version_like(_url_host(v) or v)}
        added = sorted(after - before)
        if F.is_script(new):
            # source code is full of documentation links and attribute chains: only raw IPs and payload URLs count
            added = [a for a in added if _public_ip(_url_host(a) or a)
                     or (_url_host(a) and _PAYLOAD_URL.search(a.split("//", 1)[-1].split("/", 1)[-1]))]
        if not added:
            return
        had_none = not _interesting_indicators(before)
        ips = [a for a in added if _public_ip(_url_host(a) or a)]
        risky = [a for a in added if a.lower().startswith("http://") or (
            _url_host(a) and _PAYLOAD_URL.search(a.split("//", 1)[-1].split("/", 1)[-1].split("#")[0]))]
        if ips or F.is_script(new):
            sev = Severity.MEDIUM  # a raw address (no DNS name to vet or block) or a payload download
        elif old is not None and had_none and risky:
            sev = Severity.MEDIUM  # cleartext or payload URL in a binary that contacted nothing before
        else:
            sev = Severity.LOW  # e.g. an https documentation link in an error message
        where = "which contacted nothing before" if had_none and old is not None else "new in this release"
        if ips:
            where += f"; raw IP address{'es' if len(ips) > 1 else ''} {', '.join(ips[:3])}"
        yield self.delta_finding(new, old, f"{new.name} now contains network indicators {', '.join(added[:5])}"
                                           f"{' …' if len(added) > 5 else ''} ({where})",
                                 before=sorted(before)[:20], after=added[:50], severity=sev)


class NewMember(DeltaRule):
    id = "diff.new-executable"
    severity = Severity.LOW
    description = "A new executable, script, install-time .pth file or high-entropy blob appeared in the release."
    attack = "T1105"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if old is not None or new is None or (new.container and not F.is_binary(new)):
            return
        if new.name.lower().endswith(".pth"):
            f = self.delta_finding(new, None, f"new .pth file {new.name}: Python runs its import lines at every "
                                              f"interpreter start, without the package being imported",
                                   before=None, after=F.summary(new), severity=Severity.HIGH)
            yield replace(f, rule="diff.new-install-hook", attack="T1546")
        elif F.is_binary(new):
            kind = new.type.split("/")[0]
            had_kind = any(r.type.split("/")[0] == kind for r in ctx.old_inventory)
            sev = Severity.LOW if had_kind else Severity.MEDIUM
            why = [] if had_kind else [f"the previous release shipped no {kind.upper()} code"]
            risky = {cid: c for cid, c in F.capability_ids(new).items()
                     if _severity_of_capability(cid, c) >= Severity.HIGH}
            if risky:
                sev = Severity.HIGH
                why.append(f"it can {', '.join(sorted(str(c.get('name') or cid) for cid, c in risky.items())[:3])}")
            if kind == "pe" and new.name.lower() in SIDELOAD_NAMES:
                sev = max(sev, Severity.MEDIUM, key=lambda x: x.rank)
                why.append("it is named like a Windows system DLL, which an app loads from its own folder first "
                           "(DLL sideloading)")
            old_bins = [r for r in ctx.old_inventory if r.type.split("/")[0] == kind]
            if kind == "pe" and old_bins and all(F.signature_status(r) == "valid" for r in old_bins) \
                    and F.signature_status(new) in ("unsigned", "broken"):
                sev = max(sev, Severity.MEDIUM, key=lambda x: x.rank)
                why.append("every PE of the previous release was signed and this one is not")
            yield self.delta_finding(new, None, f"new {kind.upper()} binary {new.name}"
                                     + (f": {'; '.join(why)}" if why else ""),
                                     before=None, after=F.summary(new), severity=sev)
        elif F.is_script(new) and not _is_doc(new):
            f = self.delta_finding(new, None, f"new script {new.name}", before=None, after=F.summary(new),
                                   severity=Severity.INFO)
            yield replace(f, rule="diff.new-script")
        elif (new.entropy >= 7.2 and new.size >= 4096 and not new.type.startswith(COMPRESSED_TYPES)
              and not new.container):
            f = self.delta_finding(
                new, None, f"new high-entropy blob {new.name} ({new.size} bytes, entropy {new.entropy:.2f}) of no "
                           f"known format: encrypted or packed data", before=None, after=F.summary(new),
                severity=Severity.MEDIUM,
            )
            yield replace(f, rule="diff.new-blob", attack="T1027")


class ComponentMismatch(DeltaRule):
    id = "diff.component-mismatch"
    severity = Severity.HIGH
    description = "A member claims a known third-party component and version but its bytes differ from the known build."
    attack = "T1195.002"

    def check_pair(self, old: MemberRecord | None, new: MemberRecord | None, ctx: DiffContext) -> Iterable[Finding]:
        if new is None or ctx.known_components is None or (old is not None and old.sha256 == new.sha256):
            return
        known = ctx.known_components(new)
        if not known or any(k.get("sha256") == new.sha256 for k in known):
            return
        k = known[0]
        yield self.delta_finding(
            new, old, f"{new.name} claims to be {k.get('name')} {k.get('version')}, but its SHA-256 matches none of "
                      f"the {len(known)} known-good build(s) recorded from {k.get('source') or 'a learned artifact'}",
            before=[x.get("sha256") for x in known][:5], after=new.sha256, component=k.get("name"),
            version=k.get("version"),
        )


RULES = [VersionUnchanged(), VersionBackwards(), CompileTimeAnomaly(), NewCapability(), NewNetworkIndicator(),
         NewMember(), ComponentMismatch()]
