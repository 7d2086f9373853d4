"""Member matching between two inventories: logical path, normalised path, then content (sha256, TLSH).

Paths are compared below the artifact root, so ``app-1.0/x.dll`` meets ``app-1.1/x.dll`` and
``a-1.0.whl!/pkg/x`` meets ``a-1.1.whl!/pkg/x``. A second pass normalises version strings and build
hash suffixes (delvewheel's ``avcodec-61-<32 hex>.dll``, ``pkg-1.2.3.dist-info``), a third pairs moves
and renames by identical content, a fourth by TLSH similarity within the same file type.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from chainwatch.fingerprint import tlsh_distance
from chainwatch.models import MemberRecord

TLSH_MAX_DISTANCE = 70  # below this two members are "the same file, edited"
TLSH_MAX_CANDIDATES = 400  # per type bucket: keeps the pairwise pass bounded on huge releases

_HASH_SUFFIX = re.compile(r"-[0-9a-f]{8,64}(?=\.[A-Za-z0-9]+$|$)")
# A version starts where no letter stands before it; glued to a name, one digit in (``node18.20.4``).
# Tried at every digit of a long run, the pattern was quadratic in the run's length; a run is now tried
# at its start, or at its second digit when a letter precedes it, and a ``v`` after a digit: the only
# places where the old search could first succeed. Each number is taken whole
_VERSION = re.compile(r"(?:(?<![A-Za-z0-9])|(?<=[A-Za-z]\d)|(?<=\d)(?=v))v?\d++(?:[._]\d++)+"
                      r"(?:[-_.]?(?:a|b|rc|dev|post|alpha|beta)\d*)?")
_SEP = re.compile(r"(!/|/)")


def strip_root(path: str, root: str) -> str:
    """Path below the artifact root ('' for the root itself)."""
    if path == root:
        return ""
    for sep in ("!/", "/"):
        if path.startswith(root + sep):
            return path[len(root) + len(sep):]
    return path


def normalise_component(name: str) -> str:
    """Drop build hash suffixes and version numbers from one path component."""
    name = _HASH_SUFFIX.sub("", name)
    name = _VERSION.sub("#", name)
    return name.lower()


def normalise_key(key: str) -> str:
    parts = _SEP.split(key)
    return "".join(p if p in ("/", "!/") else normalise_component(p) for p in parts)


def root_of(inventory: Iterable[MemberRecord]) -> str:
    """The artifact root: the depth-0 record (the scanned file or directory)."""
    records = list(inventory)
    for r in records:
        if r.depth == 0 and r.parent is None:
            return r.path
    if not records:
        return ""
    first = min(records, key=lambda r: len(r.path)).path
    return re.split(r"!/|/", first, maxsplit=1)[0]


@dataclass
class Pair:
    """One old/new member pairing (either side None for removed/added)."""

    old: MemberRecord | None
    new: MemberRecord | None
    how: str  # "path", "normalised", "sha256", "tlsh", "root", "added", "removed"
    distance: int | None = None  # TLSH distance when computed

    @property
    def path(self) -> str:
        return (self.new or self.old).path  # type: ignore[union-attr]

    @property
    def changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.sha256 != self.new.sha256


def match(old: list[MemberRecord], new: list[MemberRecord]) -> list[Pair]:
    """Pair members of two inventories; every record lands in exactly one pair."""
    old_root, new_root = root_of(old), root_of(new)
    pairs: list[Pair] = []
    old_left = {strip_root(r.path, old_root): r for r in old if r.type != "directory" or r.path == old_root}
    new_left = {strip_root(r.path, new_root): r for r in new if r.type != "directory" or r.path == new_root}

    # 1. same logical path (the roots pair with each other via the key "")
    for key in list(new_left):
        if key in old_left:
            o, n = old_left.pop(key), new_left.pop(key)
            pairs.append(Pair(o, n, "root" if key == "" else "path"))

    # 2. same normalised path, when unique on both sides
    def by_norm(side: dict[str, MemberRecord]) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for k in side:
            groups[normalise_key(k)].append(k)
        return groups

    old_norm, new_norm = by_norm(old_left), by_norm(new_left)
    for nkey, new_keys in new_norm.items():
        old_keys = old_norm.get(nkey, [])
        if len(new_keys) == 1 and len(old_keys) == 1:
            pairs.append(Pair(old_left.pop(old_keys[0]), new_left.pop(new_keys[0]), "normalised"))

    # 3. moves/renames by identical content (ignore empty files: they all share one hash)
    old_by_hash: dict[str, list[str]] = defaultdict(list)
    for k, r in old_left.items():
        if r.sha256 and r.size > 0:
            old_by_hash[r.sha256].append(k)
    for key in sorted(new_left):
        r = new_left[key]
        cands = old_by_hash.get(r.sha256 or "", [])
        while cands and cands[0] not in old_left:
            cands.pop(0)
        if r.size > 0 and cands:
            pairs.append(Pair(old_left.pop(cands.pop(0)), new_left.pop(key), "sha256"))

    # 4. renames of edited files by TLSH similarity, within one file type
    buckets: dict[str, list[str]] = defaultdict(list)
    for k, r in old_left.items():
        if r.tlsh:
            buckets[r.type].append(k)
    for key in sorted(new_left, key=lambda k: new_left[k].path):
        r = new_left[key]
        cands = [k for k in buckets.get(r.type, [])[:TLSH_MAX_CANDIDATES] if k in old_left]
        best: tuple[int, str] | None = None
        for k in cands:
            d = tlsh_distance(old_left[k].tlsh, r.tlsh)
            if d is not None and d <= TLSH_MAX_DISTANCE and (best is None or d < best[0]):
                best = (d, k)
        if best is not None:
            pairs.append(Pair(old_left.pop(best[1]), new_left.pop(key), "tlsh", best[0]))

    pairs.extend(Pair(r, None, "removed") for r in old_left.values())
    pairs.extend(Pair(None, r, "added") for r in new_left.values())
    pairs.sort(key=lambda p: p.path)
    return pairs
