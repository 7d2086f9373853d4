"""Importers turn a feed (signature-base, STIX 2.1, MISP, CSV, plain lists) into ``Indicator`` objects.

Each importer is a small module exposing ``read_*`` generators; they never write to the store
themselves (``IndicatorStore.add_many`` does), so they are easy to test and to compose.
"""

from __future__ import annotations


class ImportError_(Exception):
    """A feed cannot be read (wrong format, too large, malformed)."""


MAX_FEED_BYTES = 512 * 1024 * 1024  # one feed file
