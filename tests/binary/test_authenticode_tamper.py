"""Tampered copies of real Microsoft-signed DLLs, built at test time: each must come out with the right
status and a finding with evidence."""

from __future__ import annotations

from pathlib import Path

from chainwatch.binary.authenticode import SIGFLIP_TAG
from chainwatch.models import Severity
from tests.binary.test_pe_support import (
    VCRUNTIME,
    analyze,
    append_after_table,
    by_rule,
    flip_byte_in_section,
    sigflip,
    sign_self_signed,
    strip_signature,
)


def test_sigflip_payload_with_tag_is_critical_while_signature_stays_valid(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    info = sigflip(corpus / VCRUNTIME, out, payload_size=8192, tag=True)
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["status"] == "valid"  # exactly why CVE-2013-3900 matters
    slack = by_rule(findings, "authenticode.cert-table-slack")
    assert len(slack) == 1
    finding = slack[0]
    assert finding.severity == Severity.CRITICAL
    ev = finding.evidence
    assert ev["sigflip_tag"] is True
    assert ev["sigflip_tag_offset"] == info["payload_offset"]
    assert ev["offset"] <= info["payload_offset"] < ev["offset"] + ev["length"]
    assert ev["length"] >= info["payload_length"]
    assert ev["entropy"] > 7.5
    assert bytes.fromhex(ev["head_hex"]).find(SIGFLIP_TAG) >= 0
    assert ev["entry_offset"] == info["entry_offset"]
    assert ev["signature_status"] == "valid"
    assert "0x" in finding.message and "SigFlip" in finding.message


def test_sigflip_payload_without_tag_is_high(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    info = sigflip(corpus / VCRUNTIME, out, payload_size=2048, tag=False)
    record, findings = analyze(out)
    assert record.features["authenticode"]["status"] == "valid"
    slack = by_rule(findings, "authenticode.cert-table-slack")
    assert [f.severity for f in slack] == [Severity.HIGH]
    ev = slack[0].evidence
    assert ev["sigflip_tag"] is False and ev["all_zero"] is False
    assert ev["length"] >= info["payload_length"] and ev["entropy"] > 7.0


def test_zero_padding_beyond_alignment_is_only_low(corpus: Path, tmp_path: Path) -> None:
    src = tmp_path / "zeros.dll"
    sigflip(corpus / VCRUNTIME, src, payload_size=0, tag=False)  # no-op growth
    data = bytearray(src.read_bytes())
    # grow the entry by 64 zero bytes the SigFlip way, but with zeros
    from tests.binary.test_pe_support import _set_security, fix_checksum, parse_layout

    layout = parse_layout(bytes(data))
    import struct

    (length,) = struct.unpack_from("<I", data, layout.security_offset)
    data[layout.security_offset + length : layout.security_offset + length] = b"\0" * 64
    struct.pack_into("<I", data, layout.security_offset, length + 64)
    _set_security(data, layout.security_offset, layout.security_size + 64)
    fix_checksum(data)
    src.write_bytes(bytes(data))
    _, findings = analyze(src)
    assert [f.severity for f in by_rule(findings, "authenticode.cert-table-slack")] == [Severity.LOW]


def test_flipped_byte_in_text_breaks_the_signature(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    flip_byte_in_section(corpus / VCRUNTIME, out)
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["status"] == "broken"
    assert all(not s["digest_matches"] for s in auth["signatures"])
    assert all(s["signature_valid"] for s in auth["signatures"])  # the PKCS#7 itself is intact
    mismatch = by_rule(findings, "authenticode.digest-mismatch")
    assert mismatch and all(f.severity == Severity.HIGH for f in mismatch)
    ev = mismatch[0].evidence
    assert ev["signed_digest"] != ev["computed_digest"] and len(ev["computed_digest"]) == 64
    assert "Microsoft" in ev["signer_subject"]
    # the stored checksum no longer matches either
    assert by_rule(findings, "pe.checksum-mismatch")


def test_stripped_signature_is_unsigned(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    strip_signature(corpus / VCRUNTIME, out)
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["signed"] is False and auth["status"] == "unsigned" and auth["signatures"] == []
    assert not [f for f in findings if f.rule.startswith("authenticode.")]
    # the PE facts still describe the same code
    assert record.features["pe"]["exports"]


def test_self_signed_resign_is_untrusted(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    sign_self_signed(corpus / VCRUNTIME, out, common_name="Totally Legit Software")
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["status"] == "untrusted"
    sig = auth["signatures"][0]
    assert sig["digest_matches"] and sig["signature_valid"] and not sig["chain_trusted"]
    assert sig["self_signed"] is True
    assert sig["chain"] == ["O=Totally Legit Software,CN=Totally Legit Software"]
    untrusted = by_rule(findings, "authenticode.untrusted-chain")
    assert [f.severity for f in untrusted] == [Severity.MEDIUM]
    assert untrusted[0].evidence["thumbprint_sha256"] == sig["thumbprint_sha256"]


def test_self_signed_impersonating_microsoft_is_high(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    sign_self_signed(corpus / VCRUNTIME, out, common_name="Microsoft Corporation")
    _, findings = analyze(out)
    assert [f.severity for f in by_rule(findings, "authenticode.untrusted-chain")] == [Severity.HIGH]


def test_data_appended_after_the_table_is_high(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    append_after_table(corpus / VCRUNTIME, out, SIGFLIP_TAG + bytes(range(256)) * 8)
    record, findings = analyze(out)
    table = record.features["authenticode"]["cert_table"]
    assert table["not_at_end"] is True
    # like LIEF's authentihash, the digest covers everything but checksum, directory entry and table
    assert record.features["authenticode"]["status"] == "broken"
    after = by_rule(findings, "authenticode.data-after-cert-table")
    assert [f.severity for f in after] == [Severity.CRITICAL]
    ev = after[0].evidence
    assert ev["offset"] == (corpus / VCRUNTIME).stat().st_size and ev["size"] == 8 + 256 * 8
    assert ev["sigflip_tag"] is True
    # the overlay fact counts only bytes that are not the certificate table
    overlay = record.features["pe"]["overlay"]
    assert overlay["size"] == ev["size"] and overlay["regions"][0]["after_cert_table"] is True


def test_zero_bytes_after_the_table_are_low(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vcruntime140.dll"
    append_after_table(corpus / VCRUNTIME, out, b"\0" * 16)
    _, findings = analyze(out)
    assert not by_rule(findings, "authenticode.data-after-cert-table")
    assert [f.severity for f in by_rule(findings, "authenticode.cert-table-not-at-end")] == [Severity.LOW]


def test_garbage_security_directory_is_broken_not_a_crash(corpus: Path, tmp_path: Path) -> None:
    from tests.binary.test_pe_support import _set_security

    data = bytearray((corpus / VCRUNTIME).read_bytes())
    _set_security(data, len(data) - 16, 4096)  # points past EOF
    out = tmp_path / "bad.dll"
    out.write_bytes(bytes(data))
    record, findings = analyze(out)
    assert record.features["authenticode"]["status"] == "broken"
    assert by_rule(findings, "authenticode.bad-signature")


def test_flipped_bit_in_signer_signature_is_broken(corpus: Path, tmp_path: Path) -> None:
    from asn1crypto import cms

    from tests.binary.test_pe_support import parse_layout

    data = bytearray((corpus / VCRUNTIME).read_bytes())
    layout = parse_layout(bytes(data))
    blob = bytes(data[layout.security_offset + 8 : layout.security_offset + layout.security_size])
    signature = cms.ContentInfo.load(blob, strict=False)["content"]["signer_infos"][0]["signature"].native
    at = data.find(signature, layout.security_offset)
    assert at > 0
    data[at + 10] ^= 0x01
    out = tmp_path / "badsig.dll"
    out.write_bytes(bytes(data))
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["status"] == "broken"
    assert auth["signatures"][0]["digest_matches"] is True and auth["signatures"][0]["signature_valid"] is False
    bad = by_rule(findings, "authenticode.bad-signature")
    assert bad and bad[0].severity == Severity.HIGH and "does not verify" in bad[0].message


def test_corrupted_intermediate_certificate_is_untrusted(corpus: Path, tmp_path: Path) -> None:
    from tests.binary.test_pe_support import parse_layout

    data = bytearray((corpus / VCRUNTIME).read_bytes())
    layout = parse_layout(bytes(data))
    middle = layout.security_offset + 8 + 2000  # inside the embedded certificates of the PKCS#7
    data[middle : middle + 64] = b"\xa5" * 64
    out = tmp_path / "corrupt.dll"
    out.write_bytes(bytes(data))
    record, findings = analyze(out)
    assert record.features["authenticode"]["status"] in ("untrusted", "broken")
    assert by_rule(findings, "authenticode.untrusted-chain") or by_rule(findings, "authenticode.bad-signature")


def test_self_signed_ecdsa_and_pe32_digest(corpus: Path, tmp_path: Path) -> None:
    """ECDSA signer verification, and the digest of a PE32 (32-bit optional header) file."""
    import lief

    out = tmp_path / "Python.Runtime.dll"
    sign_self_signed(corpus / "binaries/pe/unsigned/dotnet/Python.Runtime.dll", out, ecdsa=True)
    record, findings = analyze(out)
    assert record.features["pe"]["pe32_plus"] is False
    sig = record.features["authenticode"]["signatures"][0]
    assert sig["digest_matches"] and sig["signature_valid"] and not sig["chain_trusted"]
    assert record.features["authenticode"]["status"] == "untrusted"
    lief.logging.disable()
    assert lief.PE.parse(str(out)).authentihash_sha256.hex() == sig["computed_digest"]
    assert by_rule(findings, "authenticode.untrusted-chain")


def test_random_corruption_never_crashes(corpus: Path, tmp_path: Path) -> None:
    """Hostile input: bytes flipped in the certificate table and headers give facts or a BinaryFormatError."""
    import random

    from chainwatch.binary import BinaryFormatError
    from chainwatch.binary.authenticode import authenticode_facts
    from chainwatch.binary.pe import parse_layout, pe_facts

    src = (corpus / "binaries/pe/signed-other/conpty.dll").read_bytes()
    layout = parse_layout(src)
    rng = random.Random(11)
    out = tmp_path / "fuzz.dll"
    statuses = set()
    for _ in range(40):
        data = bytearray(src)
        for _ in range(rng.choice([1, 8, 64])):
            pos = rng.randrange(layout.security_offset, len(data)) if rng.random() < 0.8 else rng.randrange(0x400)
            data[pos] = rng.randrange(256)
        out.write_bytes(bytes(data))
        for facts_of in (authenticode_facts, pe_facts):
            try:
                facts = facts_of(out)
            except BinaryFormatError:
                continue
            statuses.add(facts.get("status"))
    assert statuses & {"broken", "untrusted"}


def test_payload_inside_the_table_but_after_the_last_entry(corpus: Path, tmp_path: Path) -> None:
    """Variant: grow only the security directory size (not dwLength); the bytes sit in the table after
    the last WIN_CERTIFICATE entry, still outside the digest."""
    from tests.binary.test_pe_support import _set_security, fix_checksum, parse_layout

    data = bytearray((corpus / VCRUNTIME).read_bytes())
    layout = parse_layout(bytes(data))
    payload = SIGFLIP_TAG + bytes((i * 97 + 13) % 256 for i in range(1024))
    at = len(data)
    data += payload
    _set_security(data, layout.security_offset, layout.security_size + len(payload))
    fix_checksum(data)
    out = tmp_path / "vcruntime140.dll"
    out.write_bytes(bytes(data))
    record, findings = analyze(out)
    auth = record.features["authenticode"]
    assert auth["status"] == "valid" and auth["cert_table"]["trailing"]["offset"] == at
    slack = by_rule(findings, "authenticode.cert-table-slack")
    assert [f.severity for f in slack] == [Severity.CRITICAL]
    assert slack[0].evidence["entry_offset"] is None and slack[0].evidence["sigflip_tag_offset"] == at


def test_payload_disguised_as_a_second_non_pkcs7_entry(corpus: Path, tmp_path: Path) -> None:
    """A fake WIN_CERTIFICATE (type 1, X.509) carrying a payload is itself unaccounted-for data."""
    import struct

    from tests.binary.test_pe_support import _set_security, fix_checksum, parse_layout

    data = bytearray((corpus / VCRUNTIME).read_bytes())
    layout = parse_layout(bytes(data))
    body = bytes((i * 31 + 7) % 251 for i in range(2040))
    entry = struct.pack("<IHH", 8 + len(body), 0x200, 1) + body
    data += entry
    _set_security(data, layout.security_offset, layout.security_size + len(entry))
    fix_checksum(data)
    out = tmp_path / "vcruntime140.dll"
    out.write_bytes(bytes(data))
    record, findings = analyze(out)
    assert record.features["authenticode"]["status"] == "valid"
    assert record.features["authenticode"]["cert_table"]["extra_entries"] == 1
    slack = by_rule(findings, "authenticode.cert-table-slack")
    assert [f.severity for f in slack] == [Severity.HIGH] and slack[0].evidence["length"] == len(body)
    assert [f.severity for f in by_rule(findings, "authenticode.bad-signature")] == [Severity.MEDIUM]


def test_pkcs9_countersignature_time_is_read_and_its_chain_checked(corpus: Path, tmp_path: Path) -> None:
    import datetime as dt

    when = dt.datetime(2023, 3, 13, 6, 33, 26, tzinfo=dt.UTC)
    out = tmp_path / "vcruntime140.dll"
    sign_self_signed(corpus / VCRUNTIME, out, countersign_time=when)
    record, _ = analyze(out)
    sig = record.features["authenticode"]["signatures"][0]
    stamp = sig["timestamps"][0]
    assert stamp["kind"] == "pkcs9-countersignature" and stamp["valid"] is True
    assert stamp["time"] == "2023-03-13T06:33:26Z"
    assert stamp["chain_trusted"] is False  # a self-signed "TSA" proves no time
    assert sig["signing_time"] is None and sig["claimed_signing_time"] == "2023-03-13T06:33:26Z"
