"""Authenticode, fully: certificate-table layout, every (nested) signature, digest, signature, chain, time.

Why our own: ``signify`` does not import on OpenSSL 3, LIEF's ``verify_signature`` does not check trust,
and nothing common looks at the bytes *inside* the certificate table that the PKCS#7 blob does not
cover. That is where 3CX hid its payload in a still-"valid" Microsoft DLL (SigFlip, CVE-2013-3900).

Parsing uses asn1crypto; signatures and chains use cryptography; the file is read through an mmap.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, core, parser, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from chainwatch.binary import BinaryFormatError, entropy
from chainwatch.binary.pe import PeLayout, open_map, parse_layout

SIGFLIP_TAG = bytes.fromhex("feedfacefeedface")
MAX_ENTRIES = 32
MAX_SIGNATURES = 16  # top-level + nested, per file
MAX_NESTING = 4
MAX_CHAIN = 10
MAX_BLOB = 64 * 1024 * 1024
ALIGNMENT_SLACK = 7  # WIN_CERTIFICATE entries are 8-byte aligned: up to 7 zero bytes are normal
WIN_CERT_TYPE_PKCS_SIGNED_DATA = 2
EFI_SUBSYSTEMS = (10, 11, 12, 13)  # UEFI db anchors only vouch for EFI images
OID_SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
OID_SPC_PE_IMAGE_DATA = "1.3.6.1.4.1.311.2.1.15"
OID_SPC_SP_OPUS_INFO = "1.3.6.1.4.1.311.2.1.12"
OID_CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
_HASH_OF_SIGALG = {"sha1_rsa": "sha1", "sha256_rsa": "sha256", "sha384_rsa": "sha384", "sha512_rsa": "sha512",
                   "md5_rsa": "md5", "sha1_ecdsa": "sha1", "sha256_ecdsa": "sha256", "sha384_ecdsa": "sha384",
                   "sha512_ecdsa": "sha512"}


class _SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("value", core.Any, {"optional": True})]


class _DigestInfo(core.Sequence):
    _fields = [("digest_algorithm", algos.DigestAlgorithm), ("digest", core.OctetString)]


class _SpcIndirectDataContent(core.Sequence):
    _fields = [("data", _SpcAttributeTypeAndOptionalValue), ("message_digest", _DigestInfo)]


# --------------------------------------------------------------------------------------- trust anchors


@dataclass(frozen=True)
class Anchor:
    name: str
    sha256: str
    eku: str
    disallowed: datetime | None
    cert: x509.Certificate


@lru_cache(maxsize=1)
def trusted_anchors() -> tuple[dict[str, Anchor], dict[bytes, list[Anchor]]]:
    """Shipped code-signing roots (``chainwatch/data/roots``): by SHA-256 and by DER subject."""
    text = resources.files("chainwatch.data.roots").joinpath("codesigning-roots.pem").read_text("utf-8")
    by_hash: dict[str, Anchor] = {}
    by_subject: dict[bytes, list[Anchor]] = {}
    meta: dict[str, str] = {}
    pem_lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("# ") and ": " in line:
            key, value = line[2:].split(": ", 1)
            meta[key] = value
        elif line.startswith("-----BEGIN"):
            pem_lines = [line]
        elif line.startswith("-----END"):
            pem_lines.append(line)
            try:
                with warnings.catch_warnings():  # a few old roots have negative serials / long names
                    warnings.simplefilter("ignore")
                    cert = x509.load_pem_x509_certificate("\n".join(pem_lines).encode())
                    subject_der = cert.subject.public_bytes()
            except ValueError:
                meta, pem_lines = {}, []
                continue
            disallowed = None
            if meta.get("Disallowed"):
                try:
                    disallowed = datetime.fromisoformat(meta["Disallowed"])
                except ValueError:
                    disallowed = None
            der = cert.public_bytes(Encoding.DER)
            anchor = Anchor(meta.get("Name", ""), hashlib.sha256(der).hexdigest(), meta.get("EKU", "any"),
                            disallowed, cert)
            by_hash[anchor.sha256] = anchor
            by_subject.setdefault(subject_der, []).append(anchor)
            meta, pem_lines = {}, []
        elif pem_lines:
            pem_lines.append(line)
    return by_hash, by_subject


# --------------------------------------------------------------------------------------- helpers


def _der_length(data: bytes | memoryview) -> int:
    """Length of the first DER/BER value in ``data`` (header + contents + trailer)."""
    try:
        _, _, _, header, contents, trailer = parser.parse(bytes(data[: min(len(data), MAX_BLOB)]))
    except ValueError as exc:
        raise BinaryFormatError(f"not DER: {exc}") from exc
    return len(header) + len(contents) + len(trailer)


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return repr(name)


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _slack_facts(buf: bytes | mmap.mmap, offset: int, length: int) -> dict[str, Any]:
    data = bytes(buf[offset : offset + length])
    tag_at = data.find(SIGFLIP_TAG)
    return {
        "offset": offset,
        "length": len(data),
        "entropy": entropy(data),
        "all_zero": data.count(0) == len(data),
        "sigflip_tag": tag_at >= 0,
        "sigflip_tag_offset": offset + tag_at if tag_at >= 0 else None,
        "head_hex": data[:32].hex(),
    }


class _Digests:
    """Authenticode digests of one file, by algorithm (computed once each)."""

    def __init__(self, buf: bytes | mmap.mmap, layout: PeLayout, table_offset: int, table_size: int) -> None:
        self.buf = buf
        self.layout = layout
        self.table = (table_offset, table_size)
        self.cache: dict[str, bytes] = {}

    def ranges(self) -> list[tuple[int, int]]:
        """Everything except the checksum, the security directory entry and the certificate table."""
        size = self.layout.file_size
        cut = [(self.layout.checksum_offset, 4)]
        if self.layout.security_entry_offset is not None:
            cut.append((self.layout.security_entry_offset, 8))
        off, length = self.table
        if length and off < size:
            cut.append((off, min(length, size - off)))
        cut.sort()
        out, pos = [], 0
        for start, length in cut:
            if start > pos:
                out.append((pos, start))
            pos = max(pos, start + length)
        if pos < size:
            out.append((pos, size))
        return out

    def get(self, algorithm: str) -> bytes | None:
        if algorithm not in self.cache:
            try:
                digest = hashlib.new(algorithm)
            except ValueError:
                return None
            view = memoryview(self.buf)
            for start, end in self.ranges():
                digest.update(view[start:end])
            view.release()
            self.cache[algorithm] = digest.digest()
        return self.cache[algorithm]


def _verify_raw(public_key: Any, signature: bytes, data: bytes, hash_name: str, sig_alg: str) -> bool:
    hash_cls = _HASHES.get(hash_name)
    if hash_cls is None:
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if sig_alg == "rsassa_pss":
                pad: padding.AsymmetricPadding = padding.PSS(padding.MGF1(hash_cls()), padding.PSS.AUTO)
            else:
                pad = padding.PKCS1v15()
            public_key.verify(signature, data, pad, hash_cls())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_cls()))
        elif isinstance(public_key, dsa.DSAPublicKey):
            public_key.verify(signature, data, hash_cls())
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _load_certs(signed_data: cms.SignedData) -> list[x509.Certificate]:
    out = []
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        try:
            out.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:
            continue
    return out


def _find_signer_cert(signer_info: cms.SignerInfo, certs: list[x509.Certificate]) -> x509.Certificate | None:
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        issuer_der = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        for cert in certs:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer_der:
                return cert
        for cert in certs:  # tolerate re-encoded issuer names
            if cert.serial_number == serial:
                return cert
    else:
        key_id = sid.chosen.native
        for cert in certs:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except (x509.ExtensionNotFound, ValueError):
                continue
            if ski == key_id:
                return cert
    return None


def _signed_attrs(signer_info: cms.SignerInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in signer_info["signed_attrs"] or []:
        out[attr["type"].native] = attr["values"]
    return out


def _verify_signer(
    signer_info: cms.SignerInfo, content: bytes, certs: list[x509.Certificate]
) -> tuple[x509.Certificate | None, bool, bool, str | None]:
    """(signer cert, messageDigest attr matches content, signature over signed attrs valid, problem)."""
    cert = _find_signer_cert(signer_info, certs)
    if cert is None:
        return None, False, False, "signer certificate not in the signature"
    hash_name = signer_info["digest_algorithm"]["algorithm"].native
    sig_alg = signer_info["signature_algorithm"]["algorithm"].native
    hash_name = _HASH_OF_SIGALG.get(sig_alg, hash_name) if hash_name not in _HASHES else hash_name
    signature = signer_info["signature"].native
    attrs = signer_info["signed_attrs"]
    if attrs is not None and len(attrs):
        values = _signed_attrs(signer_info)
        digest_value = values.get("message_digest")
        try:
            expected = hashlib.new(hash_name, content).digest()
        except ValueError:
            return cert, False, False, f"unsupported digest {hash_name}"
        digest_ok = digest_value is not None and len(digest_value) > 0 and digest_value[0].native == expected
        to_verify = b"\x31" + attrs.dump()[1:]  # [0] IMPLICIT -> SET OF, as signed
    else:
        digest_ok = True
        to_verify = content
    try:
        public_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return cert, digest_ok, False, "unsupported public key"
    ok = _verify_raw(public_key, signature, to_verify, hash_name, sig_alg)
    problem = None if (ok and digest_ok) else ("messageDigest attribute mismatch" if not digest_ok
                                                else "signature over signed attributes does not verify")
    return cert, digest_ok, ok, problem


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _anchor_allows(anchor: Anchor, purpose: str, uefi: bool) -> str | None:
    """Why ``anchor`` may not vouch for ``purpose`` ("code_signing" or "time_stamping"), or None."""
    if anchor.eku == "uefi":
        return None if uefi and purpose == "code_signing" else f"{anchor.name} is a UEFI Secure Boot anchor"
    if anchor.eku == "any" or purpose in anchor.eku:
        return None
    return f"root {anchor.name} is not trusted for {purpose.replace('_', ' ')}"


def build_chain(
    leaf: x509.Certificate,
    pool: list[x509.Certificate],
    at: datetime | None,
    *,
    uefi: bool = False,
    purpose: str = "code_signing",
) -> dict[str, Any]:
    """Walk issuer links from ``leaf`` through ``pool`` and the shipped anchors, verifying each signature."""
    by_hash, by_subject = trusted_anchors()
    chain = [leaf]
    anchor: Anchor | None = None
    problem = None
    seen = {_fingerprint(leaf)}
    current = leaf
    while len(chain) <= MAX_CHAIN:
        found = by_hash.get(_fingerprint(current))
        if found is not None:
            anchor = found
            break
        issuer_der = current.issuer.public_bytes()
        candidates = [a.cert for a in by_subject.get(issuer_der, [])]
        candidates += [c for c in pool if c.subject.public_bytes() == issuer_der]
        parent = next((c for c in candidates if _fingerprint(c) not in seen and _issued_by(current, c)), None)
        if parent is None:
            if current.issuer == current.subject:
                problem = "self-signed certificate that is not a trusted root"
            else:
                problem = f"no issuer found for {_name(current.issuer)}"
            break
        seen.add(_fingerprint(parent))
        chain.append(parent)
        current = parent
    else:
        problem = "chain too long"
    trusted = anchor is not None
    refusal = _anchor_allows(anchor, purpose, uefi) if anchor is not None else None
    if refusal:
        trusted, problem = False, refusal
    if anchor is not None and anchor.disallowed is not None and at is not None:
        when = at if at.tzinfo else at.replace(tzinfo=UTC)
        disallowed = anchor.disallowed if anchor.disallowed.tzinfo else anchor.disallowed.replace(tzinfo=UTC)
        if when >= disallowed:
            trusted, problem = False, f"root {anchor.name} is disallowed since {_when(disallowed)}"
    time_ok = True
    if at is not None:
        for cert in chain:
            if not (cert.not_valid_before_utc <= (at if at.tzinfo else at.replace(tzinfo=UTC))
                    <= cert.not_valid_after_utc):
                time_ok = False
    return {
        "trusted": trusted,
        "subjects": [_name(c.subject) for c in chain],
        "root": anchor.name if anchor else None,
        "root_sha256": anchor.sha256 if anchor else None,
        "self_signed": leaf.issuer == leaf.subject,
        "valid_at_signing_time": time_ok if at is not None else None,
        "problem": problem,
    }


def _ekus(cert: x509.Certificate) -> list[str]:
    try:
        return [oid.dotted_string for oid in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except (x509.ExtensionNotFound, ValueError):
        return []


def code_signing_allowed(ekus: list[str]) -> bool:
    """No EKU extension, anyExtendedKeyUsage, or id-kp-codeSigning (RFC 5280 4.2.1.12)."""
    return not ekus or OID_CODE_SIGNING in ekus or "2.5.29.37.0" in ekus


def _tsa_chain(cert: x509.Certificate | None, pool: list[x509.Certificate], at: datetime | None) -> dict[str, Any]:
    if cert is None:
        return {"chain_trusted": False, "chain": [], "chain_problem": "no timestamping certificate"}
    chain = build_chain(cert, pool, at, purpose="time_stamping")
    return {"chain_trusted": chain["trusted"], "chain": chain["subjects"], "chain_problem": chain["problem"]}


def _timestamps(signer_info: cms.SignerInfo, certs: list[x509.Certificate]) -> list[dict[str, Any]]:
    """Countersignatures (PKCS#9) and RFC 3161 tokens, with whether each covers this signature."""
    out: list[dict[str, Any]] = []
    signature = signer_info["signature"].native
    for attr in signer_info["unsigned_attrs"] or []:
        kind = attr["type"].native
        try:
            if kind == "counter_signature":
                for counter in attr["values"]:
                    values = _signed_attrs(counter)
                    when = values.get("signing_time")
                    cert, digest_ok, sig_ok, problem = _verify_signer(counter, signature, certs)
                    at = when[0].native if when else None
                    out.append({
                        "kind": "pkcs9-countersignature",
                        "time": _when(at),
                        "signer": _name(cert.subject) if cert else None,
                        "valid": digest_ok and sig_ok,
                        "problem": problem,
                        **_tsa_chain(cert, certs, at),
                    })
            elif kind in ("microsoft_time_stamp_token", "signature_time_stamp_token"):
                for token in attr["values"]:
                    token_sd = token["content"]
                    tst_der = token_sd["encap_content_info"]["content"].parsed
                    tst = tst_der if isinstance(tst_der, tsp.TSTInfo) else tsp.TSTInfo.load(tst_der.dump())
                    imprint = tst["message_imprint"]
                    alg = imprint["hash_algorithm"]["algorithm"].native
                    covers = hashlib.new(alg, signature).digest() == imprint["hashed_message"].native
                    tsa_certs = _load_certs(token_sd) + certs
                    content = token_sd["encap_content_info"]["content"].contents
                    valid = covers
                    tsa_cert = None
                    for counter in token_sd["signer_infos"]:
                        cert, digest_ok, sig_ok, _ = _verify_signer(counter, content, tsa_certs)
                        valid = valid and digest_ok and sig_ok
                        tsa_cert = cert or tsa_cert
                    out.append({
                        "kind": "rfc3161",
                        "time": _when(tst["gen_time"].native),
                        "signer": _name(tsa_cert.subject) if tsa_cert else None,
                        "valid": valid,
                        "problem": None if valid else "timestamp does not cover or verify",
                        **_tsa_chain(tsa_cert, tsa_certs, tst["gen_time"].native),
                    })
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            out.append({"kind": kind, "time": None, "signer": None, "valid": False, "problem": f"malformed: {exc}"})
    return out


def _parse_signature(
    blob: bytes, digests: _Digests, nested: int, out: list[dict[str, Any]], uefi: bool = False
) -> None:
    """Parse one PKCS#7 SignedData (and, recursively, its nested signatures) into ``out``."""
    if len(out) >= MAX_SIGNATURES:
        return
    record: dict[str, Any] = {"nested": nested > 0, "depth": nested}
    out.append(record)
    try:
        info = cms.ContentInfo.load(blob, strict=False)
        if info["content_type"].native != "signed_data":
            raise ValueError(f"content type {info['content_type'].native}")
        signed_data = info["content"]
        encap = signed_data["encap_content_info"]
        if encap["content_type"].dotted != OID_SPC_INDIRECT_DATA:
            raise ValueError(f"encapsulated content is {encap['content_type'].dotted}, not SpcIndirectDataContent")
        content = encap["content"].contents
        spc = _SpcIndirectDataContent.load(b"\x30" + _encode_length(len(content)) + content)
        digest_alg = spc["message_digest"]["digest_algorithm"]["algorithm"].native
        signed_digest = spc["message_digest"]["digest"].native
        certs = _load_certs(signed_data)
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            record["problem"] = f"{len(signer_infos)} SignerInfos (Authenticode requires exactly one)"
        signer_info = signer_infos[0]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        record.update({"parse_error": str(exc)[:300], "digest_matches": False, "signature_valid": False,
                       "chain_trusted": False, "chain": []})
        return
    computed = digests.get(digest_alg)
    cert, attr_ok, sig_ok, problem = _verify_signer(signer_info, content, certs)
    stamps = _timestamps(signer_info, certs)
    # the signing time comes from a timestamp that verifies and chains to a timestamping root
    stamp_time = next((s["time"] for s in stamps if s["valid"] and s.get("chain_trusted") and s["time"]), None)
    claimed = next((s["time"] for s in stamps if s["time"]), None)
    at = datetime.fromisoformat(stamp_time.replace("Z", "+00:00")) if stamp_time else None
    chain = build_chain(cert, certs, at or datetime.now(UTC), uefi=uefi) if cert is not None else {
        "trusted": False, "subjects": [], "root": None, "root_sha256": None, "self_signed": False,
        "valid_at_signing_time": None, "problem": "no signer certificate"}
    ekus = _ekus(cert) if cert else []
    if chain["trusted"] and not code_signing_allowed(ekus):
        chain["trusted"] = False
        chain["problem"] = "the signer certificate's extended key usage does not allow code signing"
    opus = _signed_attrs(signer_info).get(OID_SPC_SP_OPUS_INFO)
    record.update({
        "signer_subject": _name(cert.subject) if cert else None,
        "signer_issuer": _name(cert.issuer) if cert else None,
        "serial": f"{cert.serial_number:x}" if cert else None,
        "thumbprint_sha1": hashlib.sha1(cert.public_bytes(Encoding.DER)).hexdigest() if cert else None,
        "thumbprint_sha256": _fingerprint(cert) if cert else None,
        "signer_ekus": ekus,
        "digest_algorithm": digest_alg,
        "spc_data_type": spc["data"]["type"].dotted,  # 1.3.6.1.4.1.311.2.1.15 = SpcPeImageData
        "signed_digest": signed_digest.hex(),
        "computed_digest": computed.hex() if computed else None,
        "digest_matches": computed is not None and computed == signed_digest,
        "message_digest_matches": attr_ok,
        "signature_valid": attr_ok and sig_ok,
        "signature_problem": problem,
        "signing_time": stamp_time,
        "claimed_signing_time": claimed,  # from any timestamp, even one that does not verify or chain
        "timestamps": stamps,
        "chain_trusted": chain["trusted"],
        "chain": chain["subjects"],
        "chain_root": chain["root"],
        "chain_root_sha256": chain["root_sha256"],
        "chain_problem": chain["problem"],
        "self_signed": chain["self_signed"],
        "valid_at_signing_time": chain["valid_at_signing_time"],
        "certificates": [_name(c.subject) for c in certs][:32],
        "has_opus_info": opus is not None,
    })
    if nested >= MAX_NESTING:
        return
    for attr in signer_info["unsigned_attrs"] or []:
        if attr["type"].native != "microsoft_nested_signature":
            continue
        for inner in attr["values"]:
            _parse_signature(inner.dump(), digests, nested + 1, out, uefi)


def _walk_table(buf: bytes | mmap.mmap, offset: int, size: int) -> tuple[list[dict[str, Any]], list[bytes],
                                                                          dict[str, Any] | None]:
    """WIN_CERTIFICATE entries of the table, their PKCS#7 blobs, and unused bytes at the table's end."""
    entries: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    pos, end = offset, offset + size
    trailing = None
    while pos + 8 <= end and len(entries) < MAX_ENTRIES:
        length, revision, cert_type = struct.unpack_from("<IHH", buf, pos)
        if length < 8 or pos + length > end:
            break
        entry: dict[str, Any] = {"offset": pos, "length": length, "revision": revision, "type": cert_type,
                                 "pkcs7_length": None, "slack": None}
        aligned_end = min(end, pos + ((length + 7) & ~7))
        body_start = pos + 8
        if cert_type == WIN_CERT_TYPE_PKCS_SIGNED_DATA:
            try:
                pkcs7_length = _der_length(memoryview(buf)[body_start : pos + length]
                                           if isinstance(buf, mmap.mmap) else buf[body_start : pos + length])
                entry["pkcs7_length"] = pkcs7_length
                blobs.append(bytes(buf[body_start : body_start + pkcs7_length]))
                slack_start = body_start + pkcs7_length
            except BinaryFormatError as exc:
                entry["error"] = str(exc)[:200]
                slack_start = body_start  # nothing in it is a signature: all of it is unaccounted bytes
        else:
            slack_start = body_start  # not a PKCS#7 entry (Windows ignores other types): unaccounted bytes
        if aligned_end > slack_start:
            entry["slack"] = _slack_facts(buf, slack_start, aligned_end - slack_start)
        entries.append(entry)
        pos = aligned_end
    if pos < end:
        trailing = _slack_facts(buf, pos, end - pos)
    return entries, blobs, trailing


def _suspicious_slack(slack: dict[str, Any] | None) -> bool:
    return slack is not None and not (slack["all_zero"] and slack["length"] <= ALIGNMENT_SLACK)


def authenticode_facts(path: Path) -> dict[str, Any]:
    """The ``features["authenticode"]`` facts of one PE file."""
    fh, buf = open_map(path)
    try:
        layout = parse_layout(buf)
        return _facts(buf, layout)
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()
        fh.close()


def _facts(buf: bytes | mmap.mmap, layout: PeLayout) -> dict[str, Any]:
    offset, size, file_size = layout.security_offset, layout.security_size, layout.file_size
    facts: dict[str, Any] = {"signed": False, "status": "unsigned", "signatures": [], "cert_table": None,
                             "signer": None, "signer_thumbprint_sha256": None, "signing_time": None}
    if not size and not offset:
        return facts
    table: dict[str, Any] = {
        "offset": offset, "size": size, "entries": [], "trailing": None, "data_after_table": None,
        "not_at_end": False, "overlaps_image": False, "out_of_file": False,
    }
    facts["cert_table"] = table
    if offset + size > file_size or offset < layout.size_of_headers or size < 8:
        table["out_of_file"] = offset + size > file_size
        facts.update(signed=True, status="broken", problem="security directory points outside the file or is empty")
        return facts
    table["overlaps_image"] = offset < layout.sections_end
    entries, blobs, trailing = _walk_table(buf, offset, size)
    table["entries"] = entries
    table["trailing"] = trailing
    table["extra_entries"] = max(0, len(entries) - 1)
    table_end = offset + size
    if table_end < file_size:
        table["not_at_end"] = True
        after = _slack_facts(buf, table_end, file_size - table_end)
        table["data_after_table"] = {"offset": after["offset"], "size": after["length"], "entropy": after["entropy"],
                                     "all_zero": after["all_zero"], "sigflip_tag": after["sigflip_tag"],
                                     "head_hex": after["head_hex"]}
    table["slack_suspicious"] = any(_suspicious_slack(e["slack"]) for e in entries) or _suspicious_slack(trailing)
    facts["signed"] = True
    digests = _Digests(buf, layout, offset, size)
    signatures: list[dict[str, Any]] = []
    uefi = layout.subsystem in EFI_SUBSYSTEMS
    for blob in blobs:
        try:
            _parse_signature(blob, digests, 0, signatures, uefi)
        except Exception as exc:  # a hostile blob must not hide the table facts (slack!) gathered above
            signatures.append({"nested": False, "depth": 0, "parse_error": f"{type(exc).__name__}: {exc}"[:300],
                               "digest_matches": False, "signature_valid": False, "chain_trusted": False,
                               "chain": []})
    facts["signatures"] = signatures
    facts["status"] = _status(signatures)
    primary = signatures[0] if signatures else {}
    facts["signer"] = primary.get("signer_subject")  # the primary signer, for release-to-release comparison
    facts["signer_thumbprint_sha256"] = primary.get("thumbprint_sha256")
    facts["signing_time"] = primary.get("signing_time")
    return facts


def _status(signatures: list[dict[str, Any]]) -> str:
    """broken if any signature is (digest or signature), valid if the primary one chains to a root."""
    if not signatures:
        return "broken"
    if any(not s.get("digest_matches") or not s.get("signature_valid") for s in signatures):
        return "broken"
    primary = signatures[0]
    return "valid" if primary.get("chain_trusted") else "untrusted"
