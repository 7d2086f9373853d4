"""TAXII 2.1 pull against a local server speaking the objects endpoint with pagination."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from chainwatch.intel.importers.taxii import read_taxii
from chainwatch.intel.model import IndicatorKind
from tests.intel.test_stix_misp import STIX_SAMPLE

PAGES = {None: {"more": True, "next": "p2", "objects": STIX_SAMPLE["objects"][:1]},
         "p2": {"more": False, "objects": STIX_SAMPLE["objects"][1:]}}


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        nxt = parse_qs(url.query).get("next", [None])[0]
        self.seen.append((url.path, self.headers.get("Accept")))
        body = json.dumps(PAGES[nxt]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/taxii+json;version=2.1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_taxii_pull_follows_pages() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}/api1/"
        items = list(read_taxii(root, "3cx-collection"))
    finally:
        server.shutdown()
    kinds = {(i.kind, i.value) for i in items}
    assert (IndicatorKind.SHA256, "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983") in kinds
    assert (IndicatorKind.DOMAIN, "msstorageazure.com") in kinds
    assert all(i.source.startswith("taxii:127.0.0.1") for i in items)
    assert [p for p, _ in _Handler.seen] == ["/api1/collections/3cx-collection/objects/"] * 2
    assert all(a == "application/taxii+json;version=2.1" for _, a in _Handler.seen)
