"""Derive the popular-name lists from the workplace package indexes (run by hand; output is committed).

    python chainwatch/data/popular/derive.py PYPI_TSV NPM_TSV

* ``pypi.txt``: PyPI names by their rank among the 15,000 most downloaded (column
  ``rank_among_15000_most_downloaded`` of ``pypi.tsv``), best first, normalised per PEP 503.
* ``npm.txt``: the 15,000 npm names with the most downloads a month (column ``downloads_a_month`` of
  ``npm.tsv``), best first.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = 15_000


def main(pypi_tsv: str, npm_tsv: str) -> None:
    csv.field_size_limit(1 << 24)
    ranked: list[tuple[int, str]] = []
    with open(pypi_tsv, encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rank = (row.get("rank_among_15000_most_downloaded") or "").strip()
            if rank.isdigit():
                ranked.append((int(rank), re.sub(r"[-_.]+", "-", row["name"]).lower()))
    names = list(dict.fromkeys(n for _, n in sorted(ranked)))[:TOP]
    (HERE / "pypi.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    counted: list[tuple[int, str]] = []
    with open(npm_tsv, encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            dl = (row.get("downloads_a_month") or "").strip()
            if dl.isdigit():
                counted.append((-int(dl), row["name"]))
    npm = list(dict.fromkeys(n for _, n in sorted(counted)))[:TOP]
    (HERE / "npm.txt").write_text("\n".join(npm) + "\n", encoding="utf-8")
    print(f"pypi.txt: {len(names)} names; npm.txt: {len(npm)} names")


if __name__ == "__main__":
    main(*sys.argv[1:3])
