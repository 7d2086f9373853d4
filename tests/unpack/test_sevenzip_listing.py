"""The 7zz listing parser and the limit checks made from a listing, before anything is extracted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainwatch.options import Limits
from chainwatch.unpack.sevenzip import parse_listing
from tests.unpack import builders as b
from tests.unpack.helpers import open_container

LISTING = """Path = app/bin/tool
Size = 1200
Packed Size = 600
Attributes = A -rwxr-xr-x
Encrypted = -

Path = app/link
Size = 11
Packed Size =
Attributes = A lrwxrwxrwx
Encrypted = -

Path = app
Folder = +
Size =

Path = app/hard
Hard Link = app/bin/tool
Size = 0

Path = disk/Payload
Size = 5
Mode = -rw-r--r--
Symbolic Link =
Encrypted = +
"""


def test_parse_listing_flags_links_dirs_and_sizes() -> None:
    items = {i.path: i for i in parse_listing(LISTING)}
    assert items["app/bin/tool"].size == 1200 and items["app/bin/tool"].packed == 600
    assert items["app/bin/tool"].link_target is None and not items["app/bin/tool"].is_dir
    assert items["app/link"].link_target == "" and items["app/link"].packed is None
    assert items["app"].is_dir and items["app"].size is None
    assert items["app/hard"].link_target == "app/bin/tool"
    assert items["disk/Payload"].encrypted and items["disk/Payload"].link_target is None


@pytest.mark.skipif(not b.have("7zz"), reason="Debian's 7zip (7zz) is not installed")
def test_member_count_and_size_limits_from_the_listing(tmp_path: Path) -> None:
    files = {f"f{i:02d}.bin": os.urandom(2000) for i in range(30)}
    archive = b.sevenzip_archive(tmp_path, files)
    few = open_container(archive, Limits(max_members=10))
    assert len(few.members) == 10
    assert len([e for e in few.errors if e.kind == "limit"]) == 20
    small = open_container(archive, Limits(max_member_bytes=1000))
    assert not small.members and len([e for e in small.errors if e.kind == "limit"]) == 30
