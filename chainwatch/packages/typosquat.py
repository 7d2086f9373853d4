"""Names close to popular packages (typosquatting) and dependency-confusion version tricks."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from rapidfuzz.distance import DamerauLevenshtein

POPULAR_DIR = Path(__file__).resolve().parents[1] / "data" / "popular"
SQUAT_TARGETS = 3000  # only the most downloaded names are worth imitating
AFFIXES = ("python-", "py-", "-python", "-py", "py", "python3-", "-dev", "-sdk", "-lib", "-api", "-utils",
           "-tools", "node-", "-js", "js-", ".js", "2", "3")
HOMOGLYPHS = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s", "@": "a", "$": "s", "|": "l", "!": "i"})


def normalize(ecosystem: str, name: str) -> str:
    if ecosystem.startswith("pypi"):
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower()


@cache
def popular(ecosystem: str) -> tuple[str, ...]:
    fname = "npm.txt" if ecosystem == "npm" else "pypi.txt"
    path = POPULAR_DIR / fname
    try:
        return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return ()


@cache
def _popular_set(ecosystem: str) -> frozenset[str]:
    return frozenset(popular(ecosystem))


def rank(ecosystem: str, name: str) -> int | None:
    """1-based download rank of ``name`` among the popular names, or None."""
    eco = "npm" if ecosystem == "npm" else "pypi"
    key = normalize(eco, name)
    if key not in _popular_set(eco):
        return None
    return popular(eco).index(key) + 1


def _squash(name: str) -> str:
    return re.sub(r"[-_.]", "", name.translate(HOMOGLYPHS)).replace("rn", "m").replace("vv", "w")


def _bare(name: str) -> str:
    return name.split("/", 1)[1] if name.startswith("@") and "/" in name else name


@cache
def _indexes(eco: str) -> tuple[list[str], dict[str, int], dict[str, tuple[int, str]], dict[str, int]]:
    """Bare target names, squashed -> index, name-with-affix -> (index, affix), bare -> index."""
    targets = [_bare(t) for t in popular(eco)[:SQUAT_TARGETS]]
    squashed: dict[str, int] = {}
    affixed: dict[str, tuple[int, str]] = {}
    bare_index: dict[str, int] = {}
    for i, t in enumerate(targets):
        bare_index.setdefault(t, i)
        if len(t) >= 4:
            squashed.setdefault(_squash(t), i)
        if len(t) >= 5:
            for affix in AFFIXES:
                variants = [affix + t] if affix.endswith("-") else [t + affix] if affix[0] in "-.23" else \
                    [affix + t, t + affix]
                for v in variants:
                    affixed.setdefault(v, (i, affix))
    return targets, squashed, affixed, bare_index


@cache
def _reordered(eco: str) -> dict[tuple[str, ...], int]:
    """Sorted words of each multi-word target -> index (``aliyun-python-sdk-core`` -> core, python, sdk, ...)."""
    out: dict[tuple[str, ...], int] = {}
    for i, t in enumerate(_indexes(eco)[0]):
        words = tuple(sorted(re.split(r"[-_.]+", t)))
        if len(words) >= 3:
            out.setdefault(words, i)
    return out


def typosquat_of(ecosystem: str, name: str) -> dict[str, object] | None:
    """The popular package ``name`` imitates, with how, or None (popular names themselves are never squats)."""
    from rapidfuzz import process

    eco = "npm" if ecosystem == "npm" else "pypi"
    key = normalize(eco, name)
    if not key or key in _popular_set(eco):
        return None
    names = popular(eco)
    targets, squashed, affixed, bare_index = _indexes(eco)
    bare = _bare(key)
    if key.startswith("@") and bare in bare_index and not names[bare_index[bare]].startswith("@"):
        i = bare_index[bare]
        return {"target": names[i], "rank": i + 1, "how": "scoped copy of an unscoped popular name"}
    if bare in bare_index:
        return None
    sq = _squash(bare)
    if sq in squashed:
        i = squashed[sq]
        return {"target": names[i], "rank": i + 1, "how": "same name after separators/homoglyphs"}
    words = tuple(sorted(re.split(r"[-_.]+", bare)))
    if words in _reordered(eco):
        i = _reordered(eco)[words]
        return {"target": names[i], "rank": i + 1, "how": "same words in another order"}
    if bare in affixed:
        i, affix = affixed[bare]
        return {"target": names[i], "rank": i + 1, "how": f"popular name with {affix!r} added"}
    best = process.extractOne(bare, targets, scorer=DamerauLevenshtein.distance, score_cutoff=2)
    if best is not None:
        target, dist, i = best
        if len(target) >= 4 and dist <= (1 if len(target) < 8 else 2):
            return {"target": names[i], "rank": i + 1, "how": f"edit distance {int(dist)}"}
    return None


def odd_version(version: str | None) -> str | None:
    """Why a version number looks like a dependency-confusion or placeholder upload, else None."""
    if not version:
        return None
    v = version.strip()
    if re.fullmatch(r"0+(?:\.0+)*", v):
        return "all-zero version"
    m = re.match(r"(\d+)", v)
    if m and int(m.group(1)) >= 99 and int(m.group(1)) < 1900:
        return "very high major version (outranks internal packages)"
    if m and len(m.group(1)) >= 6 and not m.group(1).startswith(("19", "20")):
        return "very high major version (outranks internal packages)"
    return None
