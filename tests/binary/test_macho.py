"""Mach-O facts: corpus slices and signatures vs the manifest, a synthetic Developer ID signature, and a
tampered copy with a new LC_LOAD_DYLIB built at test time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import plistlib
import struct
from pathlib import Path

import lief
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from chainwatch.analyzers.interface import AnalysisError
from chainwatch.binary.macho import CodeSignatureError, macho_facts, parse_code_signature
from chainwatch.models import MemberRecord
from chainwatch.rules.macho_rules import AdhocSigned, SignatureMismatch, SignedIdentity, Unsigned

ARM64_DYLIB = "binaries/macho/libusb-package/v1.0.30.0/arm64/libusb-1.0.dylib"


def manifest_macho(corpus: Path) -> list[dict]:
    data = json.loads((corpus / "manifest.json").read_text())
    return [f for f in data["files"] if (f.get("analysis") or {}).get("format") == "Mach-O"]


def test_corpus_slices_and_signatures_match_manifest(corpus: Path) -> None:
    entries = manifest_macho(corpus)
    assert len(entries) == 8
    for entry in entries:
        facts = macho_facts(corpus / entry["path"])
        expected = entry["analysis"]["slices"]
        assert [s["arch"] for s in facts["slices"]] == [e["cpu"].lower() for e in expected], entry["path"]
        for got, want in zip(facts["slices"], expected, strict=True):
            assert got["filetype"] == want["filetype"]
            sig = want["code_signature"]
            cs = got["codesign"]
            if not sig["present"]:
                assert cs == {"kind": "none"}
                continue
            assert cs["kind"] == ("linker-signed" if sig.get("linker_signed") else "adhoc")
            assert cs["identifier"] == sig["identifier"]
            assert cs["team_id"] == sig["team_id"]
            assert cs["cms"]["present"] is (sig["cms_signature_bytes"] > 0)
            assert len(cs["cdhash"]) == 40
            # Our page hashing agrees with the signature on the untouched file.
            assert cs["code_hashes"]["checked"] > 0 and cs["code_hashes"]["mismatched"] == 0
        assert "/usr/lib/libSystem.B.dylib" in facts["slices"][0]["dylibs"]


def test_corpus_rules_are_info_only(corpus: Path) -> None:
    for entry in manifest_macho(corpus):
        facts = macho_facts(corpus / entry["path"])
        record = MemberRecord(path=entry["path"], size=1, type="macho", features={"macho": facts})
        for rule in (Unsigned(), AdhocSigned(), SignedIdentity(), SignatureMismatch()):
            for finding in rule.check(record):
                assert finding.severity.value == "info", finding


def test_fat_binary_has_both_slices(corpus: Path) -> None:
    facts = macho_facts(corpus / "binaries/macho/markupsafe/v3.0.2/universal2/_speedups.cpython-311-darwin.so")
    assert facts["fat"] is True
    assert [(s["arch"], s["codesign"]["kind"]) for s in facts["slices"]] == [
        ("x86_64", "none"), ("arm64", "linker-signed"),
    ]
    assert facts["slices"][1]["offset"] > 0


def test_new_load_dylib_shows_and_breaks_the_signature(corpus: Path, tmp_path: Path) -> None:
    src = corpus / ARM64_DYLIB
    before = macho_facts(src)["slices"][0]
    binary = lief.MachO.parse(str(src)).at(0)
    binary.add_library("@rpath/libhook.dylib")
    out = tmp_path / "tampered.dylib"
    binary.write(str(out))
    after = macho_facts(out)["slices"][0]
    assert after["dylibs"] == [*before["dylibs"], "@rpath/libhook.dylib"]
    assert after["load_commands"].count("LOAD_DYLIB") == before["load_commands"].count("LOAD_DYLIB") + 1
    # The linker signature was not redone: the header page no longer matches its hash.
    assert after["codesign"]["kind"] == "linker-signed"
    assert after["codesign"]["code_hashes"]["mismatched"] >= 1
    assert after["codesign"]["code_hashes"]["first_mismatch_offset"] == 0
    record = MemberRecord(path="tampered.dylib", size=1, type="macho", features={"macho": macho_facts(out)})
    [finding] = SignatureMismatch().check(record)
    assert finding.severity.value == "medium" and finding.evidence["code_hashes"]["mismatched"] >= 1


# ---------------------------------------------------------------- synthetic Developer ID signature


def _blob(magic: int, payload: bytes) -> bytes:
    return struct.pack(">II", magic, 8 + len(payload)) + payload


def _code_directory(page: bytes, identifier: str, team: str, flags: int = 0) -> bytes:
    ident = identifier.encode() + b"\x00"
    team_b = team.encode() + b"\x00"
    header_len = 88  # version 0x20400 header
    ident_off = header_len
    team_off = ident_off + len(ident)
    hash_off = team_off + len(team_b)
    page_hash = hashlib.sha256(page).digest()
    body = struct.pack(
        ">IIIIIIIBBBBIIIIQQQQ",
        0x20400, flags, hash_off, ident_off, 0, 1, len(page), 32, 2, 0, 12, 0, 0, team_off, 0, 0, 0, 0, 0,
    )
    # magic+length are prefixed by _blob; the fixed header above is 80 bytes after them.
    assert len(body) + 8 == header_len
    return _blob(0xFADE0C02, body + ident + team_b + page_hash)


def _signing_cert(team: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.USER_ID, team),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Developer ID Application: Example Corp ({team})"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256())
    )
    return cert, key


def _super_blob(page: bytes, team: str = "33CF4654HL") -> bytes:
    cd = _code_directory(page, "com.example.libffmpeg", team)
    cert, key = _signing_cert(team)
    cms = (
        pkcs7.PKCS7SignatureBuilder().set_data(cd).add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )
    entitlements = plistlib.dumps({"com.apple.security.cs.allow-jit": True, "com.apple.security.get-task-allow": False})
    blobs = [
        (0, cd),
        (2, _blob(0xFADE0C01, struct.pack(">I", 0))),
        (5, _blob(0xFADE7171, entitlements)),
        (0x10000, _blob(0xFADE0B01, cms)),
    ]
    offset = 12 + 8 * len(blobs)
    index, payload = b"", b""
    for slot, blob in blobs:
        index += struct.pack(">II", slot, offset + len(payload))
        payload += blob
    return struct.pack(">III", 0xFADE0CC0, offset + len(payload), len(blobs)) + index + payload


def test_developer_id_signature_parsed() -> None:
    page = bytes(range(256)) * 16
    facts = parse_code_signature(_super_blob(page), slice_data=page)
    assert facts["kind"] == "developer-id"
    assert facts["identity"] == "Developer ID Application: Example Corp (33CF4654HL)"
    assert facts["team_id"] == "33CF4654HL"
    assert facts["identifier"] == "com.example.libffmpeg"
    assert facts["cms"]["cd_digest_matches"] is True
    assert dt.datetime.fromisoformat(facts["signing_time"]).year >= 2024
    assert facts["entitlements"]["keys"] == ["com.apple.security.cs.allow-jit", "com.apple.security.get-task-allow"]
    assert facts["code_hashes"] == {"checked": 1, "mismatched": 0, "first_mismatch_offset": None}
    cd_blob = _code_directory(page, "com.example.libffmpeg", "33CF4654HL")
    assert facts["cdhash"] == hashlib.sha256(cd_blob).hexdigest()[:40]


def test_patched_page_and_swapped_directory_are_seen() -> None:
    page = bytes(range(256)) * 16
    sig = _super_blob(page)
    patched = bytearray(page)
    patched[100] ^= 0xFF
    assert parse_code_signature(sig, slice_data=bytes(patched))["code_hashes"]["mismatched"] == 1
    # Re-point the CodeDirectory's identifier byte: the CMS now signs a different CodeDirectory.
    tampered = bytearray(sig)
    pos = tampered.find(b"com.example.libffmpeg")
    tampered[pos] = ord("C")
    facts = parse_code_signature(bytes(tampered), slice_data=page)
    assert facts["cms"]["cd_digest_matches"] is False
    record = MemberRecord(path="x", size=1, type="macho",
                          features={"macho": {"slices": [{"arch": "arm64", "codesign": facts}]}})
    assert [f.rule for f in SignatureMismatch().check(record)] == ["macho.signature-mismatch"]
    assert [f.evidence["slices"][0]["team_id"] for f in SignedIdentity().check(record)] == ["33CF4654HL"]


def test_malformed_signature_and_file() -> None:
    with pytest.raises(CodeSignatureError):
        parse_code_signature(b"\xfa\xde\x0c\xc0\x00\x00\xff\xff\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x14")
    with pytest.raises(CodeSignatureError):
        parse_code_signature(b"\x00" * 16)


def test_not_a_macho(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dylib"
    bad.write_bytes(b"\xcf\xfa\xed\xfe" + b"\xff" * 28)
    with pytest.raises(AnalysisError):
        macho_facts(bad)


def test_macholib_fallback_when_lief_fails(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus / "binaries/macho/markupsafe/v3.0.2/universal2/_speedups.cpython-311-darwin.so"
    via_lief = macho_facts(path)
    monkeypatch.setattr(lief.MachO, "parse", lambda *_a, **_k: None)
    via_macholib = macho_facts(path)
    assert via_macholib["parser"] == "macholib"
    for ours, ref in zip(via_macholib["slices"], via_lief["slices"], strict=True):
        for key in ("arch", "filetype", "offset", "dylibs", "rpaths", "load_commands"):
            assert ours[key] == ref[key], key
        assert ours["codesign"].get("cdhash") == ref["codesign"].get("cdhash")


def test_team_id_change_on_a_real_binary_is_a_signer_change(corpus: Path, tmp_path: Path) -> None:
    """bench/variants.py re-labels the CodeDirectory of every slice in place; the diff rule names both teams."""
    from bench.variants import macho_set_team
    from chainwatch.diff.rules.signing import SignerChanged

    src = corpus / "binaries/macho/markupsafe/v3.0.2/universal2/_speedups.cpython-311-darwin.so"
    records = []
    for team in ("ZX9K4Q7B2M", "Q3W8E1R5T6"):
        out = tmp_path / f"{team}.so"
        out.write_bytes(macho_set_team(src.read_bytes(), team))
        facts = macho_facts(out)
        signed = [s["codesign"] for s in facts["slices"] if s["codesign"]["kind"] != "none"]
        assert [c["team_id"] for c in signed] == [team]
        assert signed[0]["identifier"] and not signed[0]["identifier"].endswith(team)
        records.append(MemberRecord(path="_speedups.so", size=out.stat().st_size, type="macho",
                                    sha256=hashlib.sha256(out.read_bytes()).hexdigest(), features={"macho": facts}))
    [finding] = SignerChanged().check_pair(records[0], records[1], None)  # type: ignore[arg-type]
    assert finding.evidence["before"].endswith("ZX9K4Q7B2M") and finding.evidence["after"].endswith("Q3W8E1R5T6")
    assert "Q3W8E1R5T6" in finding.message and "ZX9K4Q7B2M" in finding.message
