"""Build tampered copies of real PE files at test time (never committed): SigFlip payloads, byte flips,
stripped and self-signed Authenticode signatures, appended data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import struct
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from chainwatch.analyzers.interface import MemberContext
from chainwatch.analyzers.pe import ANALYZERS
from chainwatch.binary.authenticode import SIGFLIP_TAG, _Digests
from chainwatch.binary.pe import compute_checksum, parse_layout
from chainwatch.filetype import HEAD_BYTES, detect
from chainwatch.models import Finding, MemberRecord
from chainwatch.options import Limits
from chainwatch.rules import authenticode_rules, pe_rules

VCRUNTIME = "binaries/pe/signed-microsoft/v14.44.35112/vcruntime140.dll"
SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
SPC_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"


def _set_security(data: bytearray, offset: int, size: int) -> None:
    layout = parse_layout(bytes(data))
    assert layout.security_entry_offset is not None
    struct.pack_into("<II", data, layout.security_entry_offset, offset, size)


def fix_checksum(data: bytearray) -> None:
    layout = parse_layout(bytes(data))
    struct.pack_into("<I", data, layout.checksum_offset, compute_checksum(bytes(data), layout.checksum_offset))


def sigflip(src: Path, dst: Path, payload_size: int = 4096, tag: bool = True, seed: int = 7) -> dict[str, int]:
    """Append an encrypted-looking payload inside the last WIN_CERTIFICATE, as SigFlip does: grow dwLength and
    the security directory size, recompute the checksum. The Authenticode digest stays valid."""
    data = bytearray(src.read_bytes())
    layout = parse_layout(bytes(data))
    table_off, table_size = layout.security_offset, layout.security_size
    assert table_off + table_size == len(data), "expects the certificate table at EOF"
    (length,) = struct.unpack_from("<I", data, table_off)  # single entry in vcruntime140.dll
    rng = random.Random(seed)
    body = rng.randbytes(payload_size)
    payload = (SIGFLIP_TAG + body) if tag else body
    pad = (-(length + len(payload))) % 8
    insert_at = table_off + length
    data[insert_at:insert_at] = payload + b"\0" * pad
    new_length = length + len(payload) + pad
    struct.pack_into("<I", data, table_off, new_length)
    _set_security(data, table_off, table_size + len(payload) + pad)
    fix_checksum(data)
    dst.write_bytes(bytes(data))
    return {"payload_offset": insert_at, "payload_length": len(payload), "entry_offset": table_off}


def flip_byte_in_section(src: Path, dst: Path, section: str = ".text", delta: int = 0x100) -> int:
    data = bytearray(src.read_bytes())
    layout = parse_layout(bytes(data))
    for name, _, _, raw_ptr, raw_size, _ in layout.sections:
        if name == section:
            offset = raw_ptr + min(delta, raw_size - 1)
            data[offset] ^= 0xFF
            dst.write_bytes(bytes(data))
            return offset
    raise ValueError(f"no section {section}")


def strip_signature(src: Path, dst: Path) -> None:
    data = bytearray(src.read_bytes())
    layout = parse_layout(bytes(data))
    offset = layout.security_offset
    _set_security(data, 0, 0)
    del data[offset:]
    fix_checksum(data)
    dst.write_bytes(bytes(data))


def append_after_table(src: Path, dst: Path, extra: bytes) -> None:
    dst.write_bytes(src.read_bytes() + extra)


def self_signed_certificate(common_name: str, ecdsa: bool = False) -> tuple[Any, x509.Certificate]:
    key: Any = ec.generate_private_key(ec.SECP256R1()) if ecdsa else rsa.generate_private_key(
        public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def _countersignature(signature: bytes, when: dt.datetime) -> tuple[cms.SignerInfo, asn1_x509.Certificate]:
    """A PKCS#9 countersignature (the pre-RFC 3161 Authenticode timestamp) from a self-signed "TSA"."""
    key, cert = self_signed_certificate("Test Timestamping Authority")
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": when})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(signature).digest()]}),
    ])
    counter = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256()),
    })
    return counter, asn1_cert


def sign_self_signed(
    src: Path,
    dst: Path,
    common_name: str = "Totally Legit Software",
    ecdsa: bool = False,
    countersign_time: dt.datetime | None = None,
) -> None:
    """Strip any signature and sign with a fresh self-signed certificate (a minimal Authenticode PKCS#7)."""
    data = bytearray(src.read_bytes())
    layout = parse_layout(bytes(data))
    if layout.security_size:
        _set_security(data, 0, 0)
        del data[layout.security_offset :]
    data += b"\0" * ((-len(data)) % 8)
    layout = parse_layout(bytes(data))
    digest = _Digests(bytes(data), layout, len(data), 0).get("sha256")
    assert digest is not None

    spc_value = bytes.fromhex("3009030100a004a2028000")  # SpcPeImageData { flags '', file <<>> }
    attr_type_value = _tlv(0x30, core.ObjectIdentifier(SPC_PE_IMAGE_DATA).dump() + spc_value)
    digest_info = algos.DigestInfo({"digest_algorithm": {"algorithm": "sha256"}, "digest": digest}).dump()
    spc_contents = attr_type_value + digest_info
    spc = _tlv(0x30, spc_contents)
    encap = cms.ContentInfo.load(
        _tlv(0x30, core.ObjectIdentifier(SPC_INDIRECT_DATA).dump() + _tlv(0xA0, spc))
    )

    key, cert = self_signed_certificate(common_name, ecdsa)
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    signed_attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [cms.ContentType(SPC_INDIRECT_DATA)]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(spc_contents).digest()]}),
    ])
    if ecdsa:
        signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    else:
        signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    certificates = [asn1_cert]
    unsigned_attrs = None
    if countersign_time is not None:
        counter, tsa_cert = _countersignature(signature, countersign_time)
        certificates.append(tsa_cert)
        unsigned_attrs = cms.CMSAttributes([cms.CMSAttribute({"type": "counter_signature", "values": [counter]})])
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa" if ecdsa else "rsassa_pkcs1v15"},
        "signature": signature,
        "unsigned_attrs": unsigned_attrs,
    })
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": encap,
        "certificates": certificates,
        "signer_infos": [signer],
    })
    blob = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    entry_length = 8 + len(blob)
    entry = struct.pack("<IHH", entry_length, 0x200, 2) + blob
    entry += b"\0" * ((-len(entry)) % 8)
    table_offset = len(data)
    data += entry
    _set_security(data, table_offset, len(entry))
    fix_checksum(data)
    dst.write_bytes(bytes(data))


# --------------------------------------------------------------------------------------- analysis helpers


def analyze(path: Path, logical: str | None = None) -> tuple[MemberRecord, list[Finding]]:
    """Run the pe/authenticode/dotnet analyzers and the PE + Authenticode rules on one file."""
    head = path.open("rb").read(HEAD_BYTES)
    record = MemberRecord(path=logical or path.name, size=path.stat().st_size, type=detect(head, path.name))
    for analyzer in ANALYZERS:
        if analyzer.applies(record, head):
            record.features[analyzer.name] = analyzer.analyze(MemberContext(record, path, Limits(), head=head))
    findings = [f for rule in authenticode_rules.RULES + pe_rules.RULES for f in rule.check(record)]
    return record, findings


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def corpus_pe_paths(corpus: Path) -> list[Path]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [corpus / f["path"] for f in manifest["files"] if (f.get("analysis") or {}).get("format") == "PE"]


def test_sigflip_keeps_the_digest_valid(corpus: Path, tmp_path: Path) -> None:
    """The fixture itself: SigFlip's layout must leave Authenticode valid (LIEF agrees independently)."""
    import lief

    out = tmp_path / "vcruntime140.dll"
    sigflip(corpus / VCRUNTIME, out)
    lief.logging.disable()
    assert lief.PE.parse(str(out)).verify_signature() == lief.PE.Signature.VERIFICATION_FLAGS.OK


def test_self_signed_fixture_verifies_with_lief(corpus: Path, tmp_path: Path) -> None:
    """Our minimal Authenticode PKCS#7 is well-formed: LIEF checks its digest and signature as OK."""
    import lief

    out = tmp_path / "resigned.dll"
    sign_self_signed(corpus / VCRUNTIME, out)
    lief.logging.disable()
    assert lief.PE.parse(str(out)).verify_signature() == lief.PE.Signature.VERIFICATION_FLAGS.OK
