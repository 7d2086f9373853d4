"""Registry mirrors/proxies answer with relative file URLs; vet must resolve them, not die on 'unknown url type'."""
from typing import Any

import pytest

from chainwatch.packages import fetch
from chainwatch.packages.lockfiles import Dependency

SHA = "ab" * 32


def test_pypi_relative_file_url_is_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_json(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        files = [{"url": "../../packages/f5/08/idna-3.20.tar.gz", "filename": "idna-3.20.tar.gz",
                  "digests": {"sha256": SHA}, "upload_time_iso_8601": "2025-01-01T00:00:00Z",
                  "packagetype": "sdist"}]
        return {"info": {"version": "3.20"}, "releases": {"3.20": files}}

    monkeypatch.setattr(fetch, "get_json", fake_json)
    art = fetch.locate_pypi(Dependency("pypi", "idna", "3.20"))
    assert art.url.startswith(fetch.PYPI) and art.url.endswith("/packages/f5/08/idna-3.20.tar.gz")
    assert "../" not in art.url


def test_unopenable_url_is_a_fetch_error() -> None:
    with pytest.raises(fetch.FetchError):
        fetch._get("../relative/doc.json")
