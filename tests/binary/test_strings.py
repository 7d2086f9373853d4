"""Strings and network indicators: public-suffix check, version lookalikes, wallets, XOR and base64."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from chainwatch.binary.elf import elf_facts
from chainwatch.binary.strings import (
    StringLimits,
    analyze_strings,
    base58check_ok,
    bech32_ok,
    extract_strings,
    indicators_in_text,
    xor_decoded_strings,
)

from .corpus_util import analyze_corpus_file, corpus_binaries

C2_URL = "https://cdn-update.azureonlinestorage-check.com/google/storage?id=%s"
UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/108.0.5359.128 Safari/537.36"
)


def values(facts: dict, kind: str) -> list[str]:
    return [v["value"] for v in facts[kind]]


def test_strings_both_encodings_with_offsets() -> None:
    data = b"\x00\x01hello world\x00\x02" + "wide string".encode("utf-16le") + b"\x00\x00"
    found = extract_strings(data)
    assert [(s.offset, s.text, s.encoding) for s in found] == [
        (2, "hello world", "ascii"),
        (15, "wide string", "utf-16le"),
    ]


def test_public_suffix_check_drops_file_names_and_code() -> None:
    text = "load foo.dll and libusb-1.0.so.0, self.data obj.name lib.rs main.py; visit www.3cx.com or sbmsa.wiki"
    facts = indicators_in_text(text)
    assert values(facts, "domains") == ["www.3cx.com", "sbmsa.wiki"]


def test_urls_emails_and_hosts() -> None:
    facts = indicators_in_text(f"GET {C2_URL} from bug-hello@gnu.org and http://192.0.2.7:8080/x")
    assert values(facts, "urls") == [C2_URL, "http://192.0.2.7:8080/x"]
    assert "cdn-update.azureonlinestorage-check.com" in values(facts, "domains")
    assert values(facts, "emails") == ["bug-hello@gnu.org"]
    assert values(facts, "ips") == ["192.0.2.7"]


def test_ip_version_lookalikes_are_skipped() -> None:
    facts = indicators_in_text("version 10.0.19041.1 v1.2.3.4 assembly 3.2.1.0 beacon 45.77.12.9 dns 8.8.8.8")
    assert values(facts, "ips") == ["45.77.12.9", "8.8.8.8"]


def test_ipv6_needs_a_real_address() -> None:
    facts = indicators_in_text("std::vector a::b::c 2001:db8:85a3::8a2e:370:7334")
    assert values(facts, "ips") == ["2001:db8:85a3::8a2e:370:7334"]


def test_wallet_checksums() -> None:
    genesis = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    bech = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert base58check_ok(genesis) and not base58check_ok(genesis[:-1] + "b")
    assert bech32_ok(bech) and not bech32_ok(bech[:-1] + "5")
    eth = "0x52908400098527886E0F7030069857D2E4169EE7"
    facts = indicators_in_text(f"pay {genesis} or {genesis[:-1]}b or {bech} or {eth}")
    assert {(w["value"], w["currency"]) for w in facts["wallets"]} == {
        (genesis, "BTC"), (bech, "BTC"), (eth, "ETH"),
    }


def test_user_agent() -> None:
    facts = indicators_in_text(f"UA: {UA}\n")
    assert values(facts, "user_agents") == [UA]


def xor(data: bytes, key: int) -> bytes:
    return bytes(b ^ key for b in data)


def _tampered_copy(src: Path, tmp_path: Path, payload: bytes, section: str = ".rodata") -> tuple[Path, int]:
    """Copy ``src`` and overwrite bytes in the middle of one of its data sections with ``payload``."""
    facts = elf_facts(src)
    sec = next(s for s in facts["sections"] if s["name"] == section)
    assert sec["size"] > len(payload) + 64
    offset = sec["offset"] + sec["size"] // 2
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    with dst.open("r+b") as fh:
        fh.seek(offset)
        fh.write(payload)
    return dst, offset


def test_xor_0x7a_c2_url_recovered_from_real_binary(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "binaries/elf/libusb-package/v1.0.30.0/libusb-1.0.so"
    before = analyze_strings(src.read_bytes())
    assert before["decoded"] == []
    # Encoded like the 3CX dylib: XOR 0x7a over the string and its NUL terminator.
    payload = xor(C2_URL.encode() + b"\x00", 0x7A) + xor(UA.encode() + b"\x00", 0x7A)
    tampered, offset = _tampered_copy(src, tmp_path, payload)
    after = analyze_strings(tampered.read_bytes())
    decoded = {d["value"]: d for d in after["decoded"]}
    assert decoded[C2_URL]["encoding"] == "xor:0x7a"
    assert decoded[C2_URL]["offset"] == offset
    assert decoded[UA]["offset"] == offset + len(C2_URL) + 1
    url = next(u for u in after["urls"] if u["value"] == C2_URL)
    assert (url["encoding"], url["offset"]) == ("xor:0x7a", offset)
    assert UA in values(after, "user_agents")
    # The plain-text pass alone does not see it.
    assert C2_URL not in values(before, "urls")


@pytest.mark.parametrize("key", [0x01, 0x20, 0x7A, 0xFF])
def test_xor_every_key_range(key: int) -> None:
    blob = bytes(range(256)) * 4 + xor(b"http://evil.example.net/a\x00", key) + bytes(range(256))
    found = xor_decoded_strings(blob)
    assert [(d["value"], d["encoding"]) for d in found] == [("http://evil.example.net/a", f"xor:0x{key:02x}")]


def test_base64_url_recovered(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "binaries/elf/debian-hello/hello"
    hidden = "https://raw.githubusercontent.com/IconStorages/images/main/icon%d.ico"
    encoded = base64.b64encode(hidden.encode()) + b"\x00"
    tampered, offset = _tampered_copy(src, tmp_path, encoded)
    facts = analyze_strings(tampered.read_bytes())
    item = next(d for d in facts["decoded"] if d["encoding"] == "base64")
    assert item["value"] == hidden and item["offset"] == offset
    assert "raw.githubusercontent.com" in values(facts, "domains")


def test_limits_cap_the_work() -> None:
    data = b"see http://a.example.com/ " * 10 + b"\x00" * 100 + b"http://late.example.org/x"
    facts = analyze_strings(data, StringLimits(max_scan_bytes=64))
    assert facts["truncated"] is True and facts["scanned_bytes"] == 64
    assert "http://late.example.org/x" not in values(facts, "urls")


def test_corpus_binaries_have_no_hidden_strings_or_false_domains(corpus: Path) -> None:
    for path in corpus_binaries(corpus):
        record, _ = analyze_corpus_file(path)
        facts = record.features["strings"]
        assert facts["decoded"] == [], path
        for domain in values(facts, "domains"):
            assert not domain.endswith((".dll", ".so", ".data", ".py", ".exe")), (path, domain)
        assert facts["wallets"] == [], path


def test_chunked_extraction_equals_one_pass(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import chainwatch.binary.strings as strings_mod

    data = (corpus / "binaries/pe/signed-other/OpenConsole.exe").read_bytes()
    whole = extract_strings(data)
    monkeypatch.setattr(strings_mod, "CHUNK_BYTES", 4099)  # odd size: runs and wide pairs cross chunks
    assert extract_strings(data) == whole


@pytest.mark.skipif(shutil.which("strings") is None, reason="GNU strings (binutils) not installed")
def test_same_runs_as_gnu_strings(corpus: Path) -> None:
    import subprocess

    path = corpus / "binaries/pe/unsigned/7za.exe"
    ours = extract_strings(path.read_bytes())
    for flag, encoding in (([], "ascii"), (["-el"], "utf-16le")):
        out = subprocess.run(["strings", "-a", "-n", "6", "-t", "d", *flag, str(path)],
                             capture_output=True, check=True).stdout.decode("latin-1")
        gnu = [int(line.split(None, 1)[0]) for line in out.splitlines() if line.strip()]
        assert sorted(s.offset for s in ours if s.encoding == encoding) == gnu


def test_pem_blocks_are_not_hidden_strings() -> None:
    body = base64.b64encode(b"CN=signer, URI=https://sigstore.example.org/v1/maintainer").decode()
    pem = f"-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n"
    assert analyze_strings(pem.encode())["decoded"] == []
    assert analyze_strings(body.encode())["decoded"] != []  # the same base64 outside PEM is reported
