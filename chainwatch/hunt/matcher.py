"""What a hunt worker matches against: hash sets, name/path regexes (Aho-Corasick prefiltered), software.

``HuntIndicators`` is built once in the parent from indicators and shipped to every worker (pickled once
per worker). Indicator metadata lives in ``refs``; the lookup tables hold indexes into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chainwatch.intel.model import HASH_KINDS, Indicator, IndicatorKind

try:  # re._parser is CPython's regex parser (3.11+); without it every regex runs on every path
    import re._constants as _sre_c  # type: ignore[import-not-found]
    import re._parser as _sre_p  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    _sre_p = None
    _sre_c = None




def ref_of(ind: Indicator) -> dict[str, Any]:
    """The part of an indicator a finding cites."""
    out: dict[str, Any] = {
        "kind": ind.kind.value, "value": ind.value if ind.kind != IndicatorKind.YARA else ind.extra.get("file", ""),
        "source": ind.source, "score": ind.score, "description": ind.description, "campaign": ind.campaign,
        "reference": ind.reference,
    }
    if ind.extra.get("reported_by"):
        out["reported_by"] = ind.extra["reported_by"]
    return out


def required_literal(pattern: str, min_len: int = 3) -> str | None:
    """Longest literal run every match of ``pattern`` must contain (lower-cased), or None."""
    if _sre_p is None:
        return None
    try:
        parsed = _sre_p.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    best, run = "", []
    for op, arg in parsed:
        if op is _sre_c.LITERAL:
            run.append(chr(arg))
            continue
        if len(run) > len(best):
            best = "".join(run)
        run = []
    if len(run) > len(best):
        best = "".join(run)
    return best.lower() if len(best) >= min_len else None


@dataclass
class HuntIndicators:
    refs: list[dict[str, Any]] = field(default_factory=list)
    hashes: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # "md5" -> value -> ref ids
    filenames: list[tuple[str, str | None, int]] = field(default_factory=list)  # (regex, fp regex, ref id)
    software: list[tuple[str, str, int]] = field(default_factory=list)  # (product, version, ref id)
    software_names: dict[str, str] = field(default_factory=dict)  # lower name/bundle id -> product
    yara_namespaces: dict[str, int] = field(default_factory=dict)  # YARA namespace -> ref id

    @classmethod
    def build(cls, indicators: list[Indicator]) -> HuntIndicators:
        out = cls()
        for ind in indicators:
            if ind.kind in HASH_KINDS:
                out.refs.append(ref_of(ind))
                out.hashes.setdefault(ind.kind.value, {}).setdefault(ind.value, []).append(len(out.refs) - 1)
            elif ind.kind == IndicatorKind.FILENAME:  # validated when the matcher compiles it
                out.refs.append(ref_of(ind))
                out.filenames.append((ind.value, ind.extra.get("fp_regex"), len(out.refs) - 1))
            elif ind.kind == IndicatorKind.SOFTWARE and "@" in ind.value:
                product, _, version = ind.value.partition("@")
                ref = ref_of(ind)
                ref["fixed"] = ind.extra.get("fixed")
                ref["platforms"] = ind.extra.get("platforms") or []
                ref["display"] = ind.extra.get("display", product)
                out.refs.append(ref)
                out.software.append((product, version, len(out.refs) - 1))
                for name in [product, *ind.extra.get("names", []), *ind.extra.get("bundle_ids", [])]:
                    out.software_names[str(name).lower()] = product
        return out

    def add_yara_namespace(self, namespace: str, ind: Indicator) -> None:
        self.refs.append(ref_of(ind))
        self.yara_namespaces[namespace] = len(self.refs) - 1

    @property
    def hash_kinds(self) -> set[str]:
        return set(self.hashes)

    def counts(self) -> dict[str, int]:
        return {
            **{k: len(v) for k, v in self.hashes.items()},
            "filename": len(self.filenames),
            "software": len(self.software),
            "yara_files": len(self.yara_namespaces),
        }


class NameMatcher:
    """Regexes on file paths; an Aho-Corasick pass over the path picks the few regexes worth running.

    A regex with a required literal is compiled the first time a path holds that literal: most never
    do, and compiling signature-base's ~3,800 filename regexes up front took 0.9 s of every hunt's start.
    """

    def __init__(self, entries: list[tuple[str, str | None, int]]) -> None:
        import ahocorasick

        self.always: list[tuple[re.Pattern[str], re.Pattern[str] | None, int]] = []
        self.by_literal: list[tuple[str, str | None, int]] = []
        self._compiled: dict[int, tuple[re.Pattern[str], re.Pattern[str] | None] | None] = {}
        self.automaton = ahocorasick.Automaton()
        literal_ids: dict[str, list[int]] = {}
        for regex, fp, ref in entries:
            lit = required_literal(regex)
            if lit is None:
                try:
                    self.always.append((re.compile(regex), re.compile(fp) if fp else None, ref))
                except re.error:
                    continue
            else:
                self.by_literal.append((regex, fp, ref))
                literal_ids.setdefault(lit, []).append(len(self.by_literal) - 1)
        for lit, ids in literal_ids.items():
            self.automaton.add_word(lit, ids)
        self.empty = not literal_ids
        if not self.empty:
            self.automaton.make_automaton()

    def _candidate(self, i: int) -> tuple[re.Pattern[str], re.Pattern[str] | None, int] | None:
        if i not in self._compiled:
            regex, fp, _ref = self.by_literal[i]
            try:
                self._compiled[i] = (re.compile(regex), re.compile(fp) if fp else None)
            except re.error:
                self._compiled[i] = None
        pair = self._compiled[i]
        return None if pair is None else (pair[0], pair[1], self.by_literal[i][2])

    def match(self, path: str) -> list[tuple[int, str]]:
        """(ref id, matched pattern text) for every regex matching the POSIX or the Windows form of ``path``."""
        win = path.replace("/", "\\")
        candidates: set[int] = set()
        if not self.empty:
            for hay in (path.lower(), win.lower()):
                for _end, ids in self.automaton.iter(hay):
                    candidates.update(ids)
        picked = [self._candidate(i) for i in sorted(candidates)]
        hits = []
        for entry in [*(e for e in picked if e is not None), *self.always]:
            rx, fp, ref = entry
            for form in (path, win):
                if rx.search(form):
                    if fp is not None and fp.search(form):
                        break
                    hits.append((ref, rx.pattern))
                    break
        return hits
