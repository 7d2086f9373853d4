"""Regenerate bench/diff_pairs.json: consecutive releases of popular PyPI/npm packages, pinned by digest.

Run once by a maintainer (`python bench/make_diff_pins.py`); diff_eval.py then only downloads the pinned
files and checks their digests. One index look-up per named project, nothing else.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.pinned import _get, simple_index

OUT = Path(__file__).resolve().parent / "diff_pairs.json"

PYPI_WHEEL = ["attrs", "packaging", "certifi", "urllib3", "click", "jinja2", "python-dateutil", "pytz", "tomli",
              "typing-extensions", "wheel", "colorama", "pluggy", "iniconfig", "filelock", "platformdirs", "zipp",
              "tqdm", "pyparsing", "soupsieve", "decorator", "more-itertools", "cachetools", "markdown", "rich",
              "pygments", "charset-normalizer", "requests", "idna", "six", "setuptools", "pip"]
PYPI_SDIST = ["six", "idna", "pytz", "decorator", "colorama", "tomli", "iniconfig", "cachetools"]
PYPI_BINARY = [  # (project, filename regex) -> PE / ELF / Mach-O members
    ("markupsafe", r"cp311-cp311-win_amd64\.whl$"), ("pyyaml", r"cp311-cp311-win_amd64\.whl$"),
    ("msgpack", r"cp311-cp311-win_amd64\.whl$"), ("charset-normalizer", r"cp311-cp311-win_amd64\.whl$"),
    ("markupsafe", r"cp311-cp311-manylinux_2_17_x86_64.*\.whl$"),
    ("pyyaml", r"cp311-cp311-manylinux_2_17_x86_64.*\.whl$"),
    ("msgpack", r"cp311-cp311-manylinux_2_17_x86_64.*\.whl$"),
    ("markupsafe", r"cp311-cp311-macosx_11_0_arm64\.whl$"), ("pyyaml", r"cp311-cp311-macosx_11_0_arm64\.whl$"),
]
NPM = ["lodash", "express", "commander", "semver", "uuid", "minimist", "yargs", "axios", "debug", "chalk",
       "ms", "inherits", "glob", "async", "moment", "qs"]
_STABLE = re.compile(r"^\d+(\.\d+)*$")


def _version_of(filename: str, project: str) -> str | None:
    stem = re.sub(r"\.(whl|tar\.gz|zip)$", "", filename)
    parts = stem.split("-")
    return parts[1] if len(parts) > 1 else None


def last_two(project: str, pattern: str) -> list[dict]:
    files = [f for f in simple_index(project) if re.search(pattern, f["filename"]) and not f.get("yanked")]
    by_version: dict[str, dict] = {}
    for f in sorted(files, key=lambda f: f.get("upload-time") or ""):
        v = _version_of(f["filename"], project)
        if v and _STABLE.match(v):
            by_version.setdefault(v, f)
    ordered = sorted(by_version, key=lambda v: [int(x) for x in v.split(".")])
    if len(ordered) < 2:
        return []
    return [{"project": project, "version": v, "filename": by_version[v]["filename"],
             "sha256": by_version[v]["hashes"]["sha256"]} for v in ordered[-2:]]


def npm_last_two(name: str) -> list[dict]:
    doc = json.loads(_get(f"https://registry.npmjs.org/{name}", accept="application/vnd.npm.install-v1+json"))
    versions = [v for v in doc.get("versions", {}) if _STABLE.match(v)]
    versions.sort(key=lambda v: [int(x) for x in v.split(".")])
    out = []
    for v in versions[-2:]:
        dist = doc["versions"][v]["dist"]
        out.append({"project": name, "version": v, "tarball": dist["tarball"], "sha1": dist["shasum"]})
    return out


def main() -> None:
    pairs = []
    for p in PYPI_WHEEL:
        two = last_two(p, r"py3-none-any\.whl$|py2\.py3-none-any\.whl$")
        if two:
            pairs.append({"ecosystem": "pypi", "kind": "wheel", "old": two[0], "new": two[1]})
    for p in PYPI_SDIST:
        two = last_two(p, r"\.tar\.gz$")
        if two:
            pairs.append({"ecosystem": "pypi", "kind": "sdist", "old": two[0], "new": two[1]})
    for p, pat in PYPI_BINARY:
        two = last_two(p, pat)
        if two:
            pairs.append({"ecosystem": "pypi", "kind": "binary-wheel", "old": two[0], "new": two[1]})
    for n in NPM:
        two = npm_last_two(n)
        if len(two) == 2:
            pairs.append({"ecosystem": "npm", "kind": "tarball", "old": two[0], "new": two[1]})
    OUT.write_text(json.dumps(pairs, indent=1) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
