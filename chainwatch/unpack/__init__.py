"""Unpackers: one module per family, each defining ``UNPACKERS`` (discovered by ``chainwatch.registry``).

| module | content types | how |
| --- | --- | --- |
| ``zip`` | archive/zip (wheel, jar, nupkg, apk, xpi) | Python zipfile; libarchive salvage when the directory is gone |
| ``crx`` | archive/crx (CRX2/CRX3) | header skipped, zip part read in place |
| ``compressed`` | archive/tar, compressed/gzip/bzip2/xz/zstd | tarfile stream; single files decompressed |
| ``asar`` | archive/asar (Electron) | pickle header + JSON index, read here |
| ``msi`` | archive/msi | olefile tables for installed paths + 7zz for streams and cabinets |
| ``sevenzip`` | archive/7z, cab, dmg, iso, xar, squashfs, wim, pe/nsis | Debian's ``7zz``, list first, then extract |
| ``archive_libarchive`` | archive/ar (.deb), rpm, cpio, rar; 7z/cab/iso/xar without 7zz | libarchive-c |

Every unpacker writes only through ``interface.ExtractionSink`` (or extracts with 7zz into
``sink.dest`` and calls ``sink.adopt_tree()``), so names, links, sizes, ratios and the global
budget are checked in one place. ``chainwatch.filetype.detect_file`` gives the content type,
including the cases the head alone cannot tell (NSIS payload after the stub, the DMG trailer).
"""
