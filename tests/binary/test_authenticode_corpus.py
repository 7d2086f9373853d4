"""Every signed PE of the development corpus verifies to a shipped root; unsigned ones say unsigned; the
certificate-table layout matches the manifest (computed independently with LIEF)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch.binary.authenticode import authenticode_facts, trusted_anchors

MS_ROOT_2011 = "CN=Microsoft Root Certificate Authority 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US"


def _signed_pes(corpus: Path) -> list[dict]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [f for f in manifest["files"] if (f.get("analysis") or {}).get("format") == "PE"]


def test_every_signed_corpus_pe_is_valid_with_a_trusted_chain(corpus: Path) -> None:
    checked = 0
    for entry in _signed_pes(corpus):
        expected = entry["analysis"]["authenticode"]
        facts = authenticode_facts(corpus / entry["path"])
        if not expected["signed"]:
            assert facts["status"] == "unsigned" and facts["signed"] is False, entry["path"]
            assert facts["cert_table"] is None
            continue
        checked += 1
        assert facts["status"] == "valid", (entry["path"], facts["signatures"])
        assert facts["signer"] == facts["signatures"][0]["signer_subject"]
        assert facts["signing_time"] == facts["signatures"][0]["signing_time"]
        top = [s for s in facts["signatures"] if not s["nested"]]
        assert len(top) == len(expected["signatures"])
        for sig, want in zip(top, expected["signatures"]):
            assert sig["digest_matches"] and sig["signature_valid"] and sig["chain_trusted"], entry["path"]
            # signer subject as LIEF saw it (its string order is the reverse of RFC 4514's)
            cn = next(p for p in want["signers"][0].split(", ") if p.startswith("CN="))
            assert sig["signer_subject"].startswith(cn)
            assert sig["chain"][0] == sig["signer_subject"]
            assert len(sig["thumbprint_sha1"]) == 40 and len(sig["thumbprint_sha256"]) == 64
            assert sig["signing_time"] and sig["signing_time"].startswith("20")
            assert any(t["valid"] and t["chain_trusted"] for t in sig["timestamps"])
            assert sig["claimed_signing_time"] == sig["signing_time"]
    assert checked == 8


@pytest.mark.parametrize(
    "path",
    [
        "binaries/pe/signed-microsoft/v14.42.34433/vcruntime140.dll",
        "binaries/pe/signed-microsoft/v14.42.34433/msvcp140.dll",
        "binaries/pe/signed-microsoft/v14.44.35112/vcruntime140.dll",
        "binaries/pe/signed-microsoft/v14.44.35112/msvcp140.dll",
        "binaries/pe/signed-other/conpty.dll",
        "binaries/pe/signed-other/OpenConsole.exe",
    ],
)
def test_microsoft_user_mode_chains_end_at_microsoft_root_2011(corpus: Path, path: str) -> None:
    facts = authenticode_facts(corpus / path)
    for sig in facts["signatures"]:
        assert "O=Microsoft Corporation" in sig["signer_subject"]
        assert sig["chain"][-1] == MS_ROOT_2011
        assert sig["chain_root"] == "Microsoft Root Certificate Authority 2011"
        assert sig["chain_root_sha256"] in trusted_anchors()[0]


def test_vc_runtime_has_a_nested_signature(corpus: Path) -> None:
    facts = authenticode_facts(corpus / "binaries/pe/signed-microsoft/v14.44.35112/vcruntime140.dll")
    nested = [s for s in facts["signatures"] if s["nested"]]
    assert len(nested) == 1 and nested[0]["digest_matches"] and nested[0]["chain_trusted"]
    assert nested[0]["signer_subject"].startswith("CN=Microsoft Corporation,")


def test_shim_two_entries_two_uefi_chains(corpus: Path) -> None:
    facts = authenticode_facts(corpus / "binaries/pe/signed-microsoft/shimx64.efi.signed")
    table = facts["cert_table"]
    assert len(table["entries"]) == 2 and table["extra_entries"] == 1
    roots = [s["chain_root"] for s in facts["signatures"]]
    assert roots == ["Microsoft Corporation UEFI CA 2011 (UEFI db)", "Microsoft UEFI CA 2023 (UEFI db)"]
    assert facts["status"] == "valid"


def test_kde_signature_chains_to_digicert(corpus: Path) -> None:
    facts = authenticode_facts(corpus / "binaries/pe/signed-other/snoretoast-x64.exe")
    sig = facts["signatures"][0]
    assert sig["signer_subject"].startswith("CN=K Desktop Environment e.V.")
    assert sig["chain"][1].startswith("CN=DigiCert SHA2 Assured ID Code Signing CA")
    assert sig["chain"][-1].startswith("CN=DigiCert Assured ID Root CA")
    assert sig["chain_trusted"]


def test_certificate_table_layout_matches_manifest(corpus: Path) -> None:
    """Offsets, dwLength, PKCS#7 length and alignment bytes equal what the corpus manifest recorded."""
    for entry in _signed_pes(corpus):
        want = entry["analysis"]["authenticode"].get("certificate_table")
        if not want:
            continue
        table = authenticode_facts(corpus / entry["path"])["cert_table"]
        assert table["offset"] == want["file_offset"] and table["size"] == want["size"]
        assert table["data_after_table"] is None and not table["not_at_end"]
        assert table["slack_suspicious"] is False
        for got, exp in zip(table["entries"], want["entries"], strict=True):
            assert got["offset"] == exp["offset"] and got["length"] == exp["dwLength"]
            assert got["pkcs7_length"] == exp["pkcs7_der_length"]
            slack = got["slack"]
            # the manifest counts bytes inside dwLength; we also count alignment up to the next 8-byte boundary
            assert (slack["length"] if slack else 0) >= exp["bytes_after_pkcs7_in_entry"]
            assert slack is None or (slack["all_zero"] and slack["length"] <= 7)


def test_anchor_store_has_the_roots_we_promise() -> None:
    by_hash, _ = trusted_anchors()
    names = {a.name for a in by_hash.values()}
    for want in ("Microsoft Root Certificate Authority 2010", "Microsoft Root Certificate Authority 2011",
                 "Microsoft Root Certificate Authority", "Microsoft UEFI CA 2023 (UEFI db)",
                 "Microsoft Corporation UEFI CA 2011 (UEFI db)", "DigiCert Trusted Root G4",
                 "GlobalSign Code Signing Root R45", "Sectigo Public Code Signing Root R46",
                 "Go Daddy Class 2 Certification Authority", "Starfield Class 2 Certification Authority",
                 "Entrust Code Signing Root Certification Authority - CSBR1"):
        assert want in names, want
    assert len(by_hash) > 200


def test_code_signing_eku_rule() -> None:
    from chainwatch.binary.authenticode import code_signing_allowed

    assert code_signing_allowed([])
    assert code_signing_allowed(["1.3.6.1.4.1.311.10.3.26", "1.3.6.1.5.5.7.3.3"])
    assert code_signing_allowed(["2.5.29.37.0"])
    assert not code_signing_allowed(["1.3.6.1.5.5.7.3.1"])  # a TLS server certificate


def test_timestamping_only_roots_do_not_vouch_for_code() -> None:
    from chainwatch.binary.authenticode import _anchor_allows

    by_hash, _ = trusted_anchors()
    tsa_only = next(a for a in by_hash.values() if a.name == "Microsoft Time Stamp Root Certificate Authority 2014")
    assert _anchor_allows(tsa_only, "time_stamping", uefi=False) is None
    assert _anchor_allows(tsa_only, "code_signing", uefi=False)
    uefi = next(a for a in by_hash.values() if a.eku == "uefi")
    assert _anchor_allows(uefi, "code_signing", uefi=True) is None
    assert _anchor_allows(uefi, "code_signing", uefi=False)
