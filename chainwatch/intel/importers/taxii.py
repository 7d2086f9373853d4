"""TAXII 2.1 pull: the STIX objects of one collection, page by page, into the STIX importer.

Plain HTTPS GETs of ``{api_root}/collections/{id}/objects/`` (TAXII 2.1 section 5.4) following the
``more``/``next`` envelope fields; ``added_after`` for incremental pulls. Limits: page count and bytes.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

from chainwatch.intel.importers import MAX_FEED_BYTES, ImportError_
from chainwatch.intel.importers.stix import read_stix_objects
from chainwatch.intel.model import Indicator

ACCEPT = "application/taxii+json;version=2.1"
MAX_PAGES = 1000


def _get(url: str, user: str | None, password: str | None, timeout: float) -> dict:
    req = urllib.request.Request(url, headers={"Accept": ACCEPT})
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read(MAX_FEED_BYTES + 1)
    except OSError as exc:
        raise ImportError_(f"TAXII request failed: {url}: {exc}") from exc
    if len(body) > MAX_FEED_BYTES:
        raise ImportError_(f"TAXII page larger than {MAX_FEED_BYTES} bytes: {url}")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ImportError_(f"TAXII response is not JSON: {url}") from exc
    if not isinstance(doc, dict):
        raise ImportError_(f"TAXII response is not an envelope: {url}")
    return doc


def read_taxii(api_root: str, collection: str, *, added_after: str | None = None, user: str | None = None,
               password: str | None = None, timeout: float = 60.0, source: str | None = None) -> Iterator[Indicator]:
    base = api_root.rstrip("/") + f"/collections/{urllib.parse.quote(collection)}/objects/"
    params: dict[str, str] = {}
    if added_after:
        params["added_after"] = added_after
    src = source or f"taxii:{urllib.parse.urlsplit(api_root).netloc}/{collection}"
    for _page in range(MAX_PAGES):
        url = base + ("?" + urllib.parse.urlencode(params) if params else "")
        envelope = _get(url, user, password, timeout)
        objects = envelope.get("objects") or []
        yield from read_stix_objects({"type": "bundle", "objects": objects}, src)
        if not envelope.get("more") or not envelope.get("next"):
            return
        params["next"] = str(envelope["next"])
    raise ImportError_(f"TAXII collection has more than {MAX_PAGES} pages; stopped")
