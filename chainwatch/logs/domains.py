"""Domain reputation helpers for beacon scoring: registrable domain, brand look-alikes, the periodic
services allow-list."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

# Brand token -> registrable domains that legitimately carry it. A registrable domain that contains the
# token (msstorageazure.com, akamaitechcloudservices.com, msedgepackageinfo.com) but is none of these is
# a look-alike.
BRANDS: dict[str, frozenset[str]] = {
    "microsoft": frozenset({"microsoft.com", "microsoftonline.com", "microsoftstore.com", "microsoft.net"}),
    "azure": frozenset({"azure.com", "azure.net", "azureedge.net", "azurewebsites.net", "azurefd.net",
                        "azure-api.net", "azure-devices.net"}),
    "msedge": frozenset({"msedge.net"}),
    "office": frozenset({"office.com", "office.net", "office365.com", "officeapps.live.com"}),
    "windows": frozenset({"windows.com", "windows.net", "windowsupdate.com"}),
    "onedrive": frozenset({"onedrive.com"}),
    "outlook": frozenset({"outlook.com"}),
    "sharepoint": frozenset({"sharepoint.com"}),
    "visualstudio": frozenset({"visualstudio.com"}),
    "skype": frozenset({"skype.com"}),
    "akamai": frozenset({"akamai.com", "akamai.net", "akamaiedge.net", "akamaihd.net", "akamaized.net",
                         "akamaitechnologies.com", "akamaistream.net"}),
    "google": frozenset({"google.com", "googleapis.com", "googleusercontent.com", "google-analytics.com",
                         "googlevideo.com", "googletagmanager.com", "googlesyndication.com", "googleadservices.com"}),
    "gstatic": frozenset({"gstatic.com"}),
    "apple": frozenset({"apple.com", "apple-cloudkit.com", "cdn-apple.com", "apple-dns.net"}),
    "icloud": frozenset({"icloud.com", "icloud-content.com"}),
    "amazon": frozenset({"amazon.com", "amazonaws.com", "amazontrust.com", "amazonvideo.com"}),
    "github": frozenset({"github.com", "githubusercontent.com", "githubassets.com", "github.io"}),
    "cloudflare": frozenset({"cloudflare.com", "cloudflare.net", "cloudflare-dns.com", "cloudflareinsights.com"}),
    "dropbox": frozenset({"dropbox.com", "dropboxapi.com", "dropboxstatic.com"}),
    "adobe": frozenset({"adobe.com", "adobe.io", "adobelogin.com", "adobedtm.com"}),
    "zoom": frozenset({"zoom.us", "zoom.com"}),
    "3cx": frozenset({"3cx.com", "3cx.net", "3cx.de", "3cx.eu"}),
    "paypal": frozenset({"paypal.com"}),
    "okta": frozenset({"okta.com", "oktacdn.com"}),
}
# "ms" + a cloud word is Microsoft-flavoured (msstorageboxes.com, msboxonline.com, msedgeupdate.net)
MS_PREFIX_WORDS = ("storage", "box", "edge", "update", "online", "cloud", "office", "teams", "auth", "login")
OFFICIAL = frozenset().union(*BRANDS.values())
INTERNAL_SUFFIXES = (".local", ".lan", ".corp", ".internal", ".home.arpa", ".intranet", ".localdomain")


@cache
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled public suffix list, offline


@lru_cache(maxsize=65536)
def registrable(name: str) -> str:
    """``a.b.example.co.uk`` -> ``example.co.uk``; IPs and bare labels come back unchanged."""
    if not name or _is_ip(name):
        return name
    parts = _extractor()(name)
    return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else name


def _maybe_ip(value: str) -> bool:
    """Cheap pre-test: an IP literal starts with a digit or holds a colon (skips most exceptions)."""
    return bool(value) and (value[0].isdigit() or ":" in value)


def _is_ip(value: str) -> bool:
    if not _maybe_ip(value):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Lookalike:
    brand: str
    reason: str  # "brand-token" | "ms-prefix" | "edit-distance"
    official: str


@lru_cache(maxsize=65536)
def lookalike(name: str) -> Lookalike | None:
    """Does the name's registrable domain borrow a brand it does not belong to?"""
    base = registrable(name)
    if not base or base in OFFICIAL or _is_ip(base) or "." not in base:
        return None
    label = base.split(".", 1)[0]
    for brand, official in BRANDS.items():
        if brand in label and len(label) > len(brand):
            return Lookalike(brand, "brand-token", sorted(official)[0])
    if label.startswith("ms") and any(word in label[2:] for word in MS_PREFIX_WORDS):
        return Lookalike("microsoft", "ms-prefix", "microsoft.com")
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    candidates = [(official_label, official) for official_label, official in _official_labels().get(len(label), ())
                  if label != official_label]
    if not candidates:
        return None
    best = process.extractOne(label, [c[0] for c in candidates], scorer=Levenshtein.distance, score_cutoff=2)
    if best is None:
        return None
    official_label, official_domain = candidates[best[2]]
    return Lookalike(official_label, "edit-distance", official_domain)


@cache
def _official_labels() -> dict[int, tuple[tuple[str, str], ...]]:
    """Label length -> (first label, official domain) of official domains whose label is long enough to
    imitate and within two characters of that length (edit distance <= 2 needs it)."""
    pairs = [(official.split(".", 1)[0], official) for official in sorted(OFFICIAL)]
    pairs = [(label, official) for label, official in pairs if len(label) >= 6]
    longest = max((len(label) for label, _ in pairs), default=0) + 3
    return {size: tuple(p for p in pairs if abs(len(p[0]) - size) <= 2) for size in range(longest)}


def is_internal(name_or_ip: str) -> bool:
    """RFC 1918 / link-local / loopback addresses and internal-only DNS suffixes."""
    if not _maybe_ip(name_or_ip):
        return name_or_ip.endswith(INTERNAL_SUFFIXES) or "." not in name_or_ip
    try:
        address = ipaddress.ip_address(name_or_ip)
    except ValueError:
        return name_or_ip.endswith(INTERNAL_SUFFIXES) or "." not in name_or_ip
    return address.is_private or address.is_loopback or address.is_link_local or address.is_multicast


class PeriodicAllowList:
    """Known services that are periodic by design (data file ``data/periodic_allowlist.json``)."""

    def __init__(self, services: list[dict[str, Any]]) -> None:
        self.by_domain: dict[str, str] = {}
        self.by_port: dict[int, str] = {}
        for service in services:
            for domain in service.get("domains", ()):
                self.by_domain[domain.lower()] = service["name"]
            for port in service.get("ports", ()):
                self.by_port[int(port)] = service["name"]

    @classmethod
    def builtin(cls) -> PeriodicAllowList:
        text = resources.files("chainwatch.logs").joinpath("data/periodic_allowlist.json").read_text("utf-8")
        return cls(json.loads(text)["services"])

    def service(self, name: str, port: int = 0) -> str | None:
        if port and port in self.by_port:
            return self.by_port[port]
        name = name.lower()
        while name:
            if name in self.by_domain:
                return self.by_domain[name]
            _, _, name = name.partition(".")
        return None
