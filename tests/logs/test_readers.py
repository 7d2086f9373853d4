"""Format tests: samples written from each tool's documented layout, read back through auto-detection."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from chainwatch.logs.readers import detect, iter_records, read_head
from chainwatch.logs.readers.generic import GenericReader, parse_mapping

ZEEK_DNS = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t2023-03-29-10-00-00\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name"
    "\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount"
    "\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n"
    "1680084000.123456\tCHhAvVGS1DHFjwGM9\t10.0.0.5\t53123\t10.0.0.2\t53\tudp\t4242\t0.012\tWWW.MSStorageAzure.com."
    "\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t198.51.100.7,198.51.100.8\t60.0,60.0\tF\n"
    "1680084060.5\tC2\t10.0.0.6\t53124\t10.0.0.2\t53\tudp\t4243\t-\tweird\\x09name.example\t1\tC_INTERNET\t1\tA\t3"
    "\tNXDOMAIN\tF\tF\tT\tT\t0\t(empty)\t(empty)\tF\n"
    "#close\t2023-03-29-11-00-00\n"
)

ZEEK_SSL_JSON = json.dumps({
    "ts": 1680084000.5, "uid": "C3", "id.orig_h": "10.0.0.5", "id.orig_p": 50000, "id.resp_h": "203.0.113.9",
    "id.resp_p": 443, "version": "TLSv12", "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "server_name": "akamaitechcloudservices.com", "established": True,
    "cert_chain_fps": ["AB" * 32], "ja3": "cd08e31494f9531f560d64c695473da9"})

ZEEK_HTTP_JSON = json.dumps({
    "ts": "2023-03-29T10:00:01.000000Z", "uid": "C4", "id.orig_h": "10.0.0.5", "id.orig_p": 50001,
    "id.resp_h": "185.199.108.133", "id.resp_p": 80, "trans_depth": 1, "method": "GET",
    "host": "raw.githubusercontent.com", "uri": "/IconStorages/images/main/icon12.ico?x=1", "version": "1.1",
    "request_body_len": 0, "response_body_len": 7321, "status_code": 200})

# Suricata 7 (dns v2): a query and a detailed answer, both with the client as src_ip
EVE7 = "\n".join(json.dumps(e) for e in [
    {"timestamp": "2023-03-29T10:00:00.000100+0000", "flow_id": 1, "event_type": "dns", "src_ip": "10.0.0.5",
     "src_port": 53123, "dest_ip": "10.0.0.2", "dest_port": 53, "proto": "UDP",
     "dns": {"type": "query", "id": 16000, "rrname": "pbxsources.com", "rrtype": "A", "tx_id": 0, "opcode": 0}},
    {"timestamp": "2023-03-29T10:00:00.020000+0000", "flow_id": 1, "event_type": "dns", "src_ip": "10.0.0.5",
     "src_port": 53123, "dest_ip": "10.0.0.2", "dest_port": 53, "proto": "UDP",
     "dns": {"version": 2, "type": "answer", "id": 16000, "flags": "8180", "qr": True, "rd": True, "ra": True,
             "opcode": 0, "rrname": "pbxsources.com", "rrtype": "A", "rcode": "NOERROR",
             "answers": [{"rrname": "pbxsources.com", "rrtype": "A", "ttl": 60, "rdata": "198.51.100.20"}]}},
    {"timestamp": "2023-03-29T10:00:00.030000+0000", "flow_id": 2, "event_type": "dns", "src_ip": "10.0.0.7",
     "src_port": 5000, "dest_ip": "10.0.0.2", "dest_port": 53, "proto": "UDP",
     "dns": {"version": 2, "type": "answer", "id": 1, "rrname": "example.org", "rrtype": "A", "rcode": "NOERROR",
             "grouped": {"A": ["192.0.2.1"]}}},
    {"timestamp": "2023-03-29T10:00:01.000000+0000", "flow_id": 3, "event_type": "tls", "src_ip": "10.0.0.5",
     "src_port": 50000, "dest_ip": "198.51.100.20", "dest_port": 443, "proto": "TCP",
     "tls": {"subject": "CN=pbxsources.com", "fingerprint": "ab:cd:ef:01", "sni": "pbxsources.com",
             "version": "TLS 1.2", "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865", "string": "771,..."}}},
    {"timestamp": "2023-03-29T10:00:02.000000+0000", "flow_id": 4, "event_type": "http", "src_ip": "10.0.0.5",
     "src_port": 50001, "dest_ip": "198.51.100.21", "dest_port": 80, "proto": "TCP",
     "http": {"hostname": "example.net", "url": "/a/b?c=d", "http_user_agent": "curl/8.0", "length": 12}},
    {"timestamp": "2023-03-29T10:05:00.000000+0000", "flow_id": 3, "event_type": "flow", "src_ip": "10.0.0.5",
     "src_port": 50000, "dest_ip": "198.51.100.20", "dest_port": 443, "proto": "TCP", "app_proto": "tls",
     "flow": {"pkts_toserver": 5, "pkts_toclient": 4, "bytes_toserver": 820, "bytes_toclient": 230,
              "start": "2023-03-29T10:00:00.900000+0000", "end": "2023-03-29T10:00:02.900000+0000"}},
    {"timestamp": "2023-03-29T10:00:01.000000+0000", "flow_id": 5, "event_type": "alert", "src_ip": "10.0.0.5",
     "src_port": 50002, "dest_ip": "10.0.0.2", "dest_port": 53, "proto": "UDP",
     "alert": {"signature_id": 2044810, "signature": "ET MALWARE 3CX Supply Chain Attack Domain in DNS Lookup"},
     "dns": {"query": [{"rrname": "pbxsources.com", "rrtype": "A"}]}},
])

# Suricata 8 (dns v3): request/response, queries[] array, responses logged from the responder's side
EVE8 = "\n".join(json.dumps(e) for e in [
    {"timestamp": "2023-03-29T10:00:00.000100+0000", "flow_id": 1, "event_type": "dns", "src_ip": "10.0.0.5",
     "src_port": 53123, "dest_ip": "10.0.0.2", "dest_port": 53, "proto": "UDP",
     "dns": {"version": 3, "type": "request", "tx_id": 0, "id": 0, "flags": "100", "rd": True, "opcode": 0,
             "rcode": "NOERROR", "queries": [{"rrname": "sbmsa.wiki", "rrtype": "A"}]}},
    {"timestamp": "2023-03-29T10:00:00.020000+0000", "flow_id": 1, "event_type": "dns", "src_ip": "10.0.0.2",
     "src_port": 53, "dest_ip": "10.0.0.5", "dest_port": 53123, "proto": "UDP",
     "dns": {"version": 3, "type": "response", "tx_id": 1, "id": 0, "flags": "8180", "qr": True, "rd": True,
             "ra": True, "opcode": 0, "rcode": "NOERROR", "queries": [{"rrname": "sbmsa.wiki", "rrtype": "A"}],
             "answers": [{"rrname": "sbmsa.wiki", "rrtype": "A", "ttl": 597, "rdata": "198.51.100.30"}]}},
])

SYSMON_XML = (Path(__file__).parent / "fixtures" / "sysmon_sample.xml").read_text(encoding="utf-8")

SQUID = (
    "1680084000.123     98 10.0.0.5 TCP_MISS/200 7321 GET "
    "https://raw.githubusercontent.com/IconStorages/images/main/icon7.ico - HIER_DIRECT/185.199.108.133 image/x-icon\n"
    "1680084001.456    120 10.0.0.5 TCP_TUNNEL/200 5120 CONNECT msstorageazure.com:443 - HIER_DIRECT/198.51.100.7 -\n"
    "1680084002.000     12 10.0.0.9 TCP_HIT/200 1520 GET http://www.example.com:8080/index.html?q=1 - HIER_NONE/- "
    "text/html\n"
)


def _write(tmp: Path, name: str, text: str, compress: bool = False) -> Path:
    path = tmp / name
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _reader(path: Path) -> str:
    reader = detect(read_head(path), str(path))
    assert reader is not None
    return reader.name


def test_zeek_tsv_dns_header_escapes_unset_and_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "dns.03:00:00-04:00:00.log.gz", ZEEK_DNS, compress=True)
    assert _reader(path) == "zeek-tsv"
    records = list(iter_records(path))
    assert [r.domain for r in records] == ["www.msstorageazure.com", "weird\tname.example"]
    first, second = records
    assert first.kind == "dns" and first.src == "10.0.0.5" and first.dst_ip == "10.0.0.2"
    assert first.answers == ("198.51.100.7", "198.51.100.8")
    assert abs(first.ts - 1680084000.123456) < 1e-6
    assert first.ref == "dns.03:00:00-04:00:00.log.gz:9"
    assert second.answers == ()


def test_zeek_json_ssl_and_http(tmp_path: Path) -> None:
    ssl = _write(tmp_path, "ssl.log", ZEEK_SSL_JSON + "\n")
    http = _write(tmp_path, "http.log", ZEEK_HTTP_JSON + "\n")
    assert _reader(ssl) == "zeek-json" and _reader(http) == "zeek-json"
    (tls,) = iter_records(ssl)
    assert tls.kind == "tls" and tls.domain == "akamaitechcloudservices.com"
    assert tls.ja3 == "cd08e31494f9531f560d64c695473da9" and tls.cert_sha1 == "ab" * 32
    (web,) = iter_records(http)
    assert web.kind == "http" and web.path == "/IconStorages/images/main/icon12.ico"
    assert web.url == "http://raw.githubusercontent.com/IconStorages/images/main/icon12.ico?x=1"
    assert web.bytes_in == 7321 and abs(web.ts - 1680084001.0) < 1e-6


def test_suricata7_eve_dns_v2_tls_http_flow_alert(tmp_path: Path) -> None:
    path = _write(tmp_path, "eve.json", EVE7 + "\n")
    assert _reader(path) == "suricata-eve"
    records = list(iter_records(path))
    dns = [r for r in records if r.kind == "dns"]
    assert [(r.src, r.domain) for r in dns] == [("10.0.0.5", "pbxsources.com"), ("10.0.0.5", "pbxsources.com"),
                                                ("10.0.0.7", "example.org"), ("10.0.0.5", "pbxsources.com")]
    assert dns[1].answers == ("198.51.100.20",) and dns[2].answers == ("192.0.2.1",)
    assert dns[3].extra["signature_id"] == "2044810"
    (tls,) = [r for r in records if r.kind == "tls"]
    assert tls.ja3 == "e7d705a3286e19ea42f587b344ee6865" and tls.cert_sha1 == "abcdef01"
    (http,) = [r for r in records if r.kind == "http"]
    assert http.domain == "example.net" and http.path == "/a/b"
    (flow,) = [r for r in records if r.kind == "conn"]
    assert flow.bytes_out == 820 and flow.bytes_in == 230 and abs(flow.duration - 2.0) < 1e-6


def test_suricata8_eve_dns_v3_response_client_is_dest(tmp_path: Path) -> None:
    path = _write(tmp_path, "eve.json", EVE8 + "\n")
    request, response = iter_records(path)
    assert request.domain == response.domain == "sbmsa.wiki"
    assert request.src == response.src == "10.0.0.5"  # v3 responses carry the resolver as src_ip
    assert response.dst_ip == "10.0.0.2" and response.answers == ("198.51.100.30",)


def test_sysmon_xml_events_22_3_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "sysmon.xml", SYSMON_XML)
    assert _reader(path) == "sysmon-xml"
    dns, conn, proc = iter_records(path)  # the Security-Auditing event is not Sysmon: skipped
    assert dns.kind == "dns" and dns.domain == "msstorageazure.com" and dns.src == "WS-042.corp.example"
    assert dns.image.endswith("3CXDesktopApp.exe") and dns.answers == ("198.51.100.7",)
    assert conn.kind == "conn" and conn.dst_ip == "198.51.100.7" and conn.dst_port == 443 and conn.domain == ""
    assert proc.kind == "proc" and "fad482ded2e25ce9e1dd3d3ecc3227af714bdfbbde04347dbc1b21d6a3670405" in proc.hashes
    assert dns.ref == "sysmon.xml#1"


def test_sysmon_json_evtx_dump_and_winlogbeat_shapes(tmp_path: Path) -> None:
    evtx_dump = {"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                                      "EventID": 22, "Computer": "WS-1",
                                      "TimeCreated": {"#attributes": {"SystemTime": "2023-03-29T10:00:00.000000Z"}}},
                           "EventData": {"QueryName": "pbxphonenetwork.com", "Image": "C:\\a.exe",
                                         "UtcTime": "2023-03-29 10:00:00.000"}}}
    winlogbeat = {"@timestamp": "2023-03-29T10:00:05.000Z",
                  "winlog": {"provider_name": "Microsoft-Windows-Sysmon", "event_id": "3", "computer_name": "WS-2",
                             "event_data": {"DestinationIp": "198.51.100.9", "DestinationHostname": "x.example",
                                            "DestinationPort": "443", "Image": "C:\\b.exe"}}}
    path = _write(tmp_path, "sysmon.jsonl", json.dumps(evtx_dump) + "\n" + json.dumps(winlogbeat) + "\n")
    assert _reader(path) == "sysmon-json"
    dns, conn = iter_records(path)
    assert (dns.kind, dns.src, dns.domain, dns.image) == ("dns", "WS-1", "pbxphonenetwork.com", "C:\\a.exe")
    assert (conn.kind, conn.src, conn.dst_ip, conn.domain) == ("conn", "WS-2", "198.51.100.9", "x.example")


def test_squid_native_access_log(tmp_path: Path) -> None:
    path = _write(tmp_path, "access.log", SQUID)
    assert _reader(path) == "squid"
    ico, tunnel, plain = iter_records(path)
    assert ico.domain == "raw.githubusercontent.com" and ico.path == "/IconStorages/images/main/icon7.ico"
    assert ico.dst_ip == "185.199.108.133" and ico.bytes_in == 7321
    assert tunnel.domain == "msstorageazure.com" and tunnel.path == ""
    assert plain.domain == "www.example.com" and plain.path == "/index.html" and plain.dst_ip == ""


def test_generic_csv_with_mapping_and_auto_columns(tmp_path: Path) -> None:
    auto = _write(tmp_path, "dns.csv", "timestamp,client_ip,query\n2023-03-29T10:00:00Z,10.0.0.5,journalide.org\n")
    assert _reader(auto) == "generic"
    (record,) = iter_records(auto)
    assert (record.src, record.domain, record.kind) == ("10.0.0.5", "journalide.org", "dns")
    custom = _write(tmp_path, "weird.tsv", "when\twho\twhat\n1680084000\tpc7\thttps://sourceslabs.com/x/y?z\n")
    mapping = parse_mapping("ts=when,src=who,url=what")
    reader = GenericReader(mapping)
    assert reader.sniff(read_head(custom), str(custom))
    (row,) = iter_records(custom, reader)
    assert (row.src, row.domain, row.path, row.kind, row.ts) == ("pc7", "sourceslabs.com", "/x/y", "http", 1680084000.0)


def test_unknown_and_hostile_inputs_are_errors_not_crashes(tmp_path: Path) -> None:
    from chainwatch.logs.hunt import HuntOptions, hunt
    from chainwatch.logs.match import LogMatcher

    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Events><Event>'
                                       "Sysmon</Event></Events>")
    (tmp_path / "truncated.log.gz").write_bytes(gzip.compress(ZEEK_DNS.encode())[:-20])
    result = hunt([tmp_path], LogMatcher(), HuntOptions(jobs=1))
    kinds = {Path(p).name: m for p, m, _ in result.partial.errors}
    assert "random.bin" in kinds and "bomb.xml" in kinds and "truncated.log.gz" in kinds


def test_sysmon_evtx_both_backends(tmp_path: Path) -> None:
    """An EVTX in the documented binary layout (file header, CRC'd chunks, binary XML records)."""
    from chainwatch.logs.evtx_writer import write_evtx
    from chainwatch.logs.readers.sysmon_evtx import SysmonEvtxReader

    image = r"C:\Users\a\AppData\Local\Programs\3CXDesktopApp\app\3CXDesktopApp.exe"
    events = [(22, "WS-042.corp.example", 1680084000.5 + i * 3600,
               [("RuleName", "-"), ("UtcTime", "2023-03-29 10:00:00.500"), ("QueryName", "msstorageazure.com"),
                ("QueryStatus", "0"), ("QueryResults", "::ffff:198.51.100.7;"), ("Image", image)])
              for i in range(300)]  # several 64 KiB chunks
    events.append((1, "WS-042.corp.example", 1680000000.0,
                   [("UtcTime", "2023-03-28 10:40:00.000"), ("Image", image),
                    ("Hashes", "SHA256=FAD482DED2E25CE9E1DD3D3ECC3227AF714BDFBBDE04347DBC1B21D6A3670405")]))
    path = tmp_path / "Microsoft-Windows-Sysmon%4Operational.evtx"
    assert write_evtx(path, events) == 301
    assert _reader(path) == "sysmon-evtx"
    for backend in ("evtx", "python-evtx"):
        records = list(SysmonEvtxReader(prefer=backend).records(path.open("rb"), path.name))
        assert len(records) == 301, backend
        assert records[0].domain == "msstorageazure.com" and records[0].image == image
        assert records[0].answers == ("198.51.100.7",) and records[0].src == "WS-042.corp.example"
        assert records[-1].kind == "proc" and records[-1].ref.endswith("#301")
        assert "fad482ded2e25ce9e1dd3d3ecc3227af714bdfbbde04347dbc1b21d6a3670405" in records[-1].hashes
    gz = tmp_path / "sysmon.evtx.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert len(list(iter_records(gz))) == 301


def test_hostile_values_do_not_crash(tmp_path: Path) -> None:
    from chainwatch.logs.hunt import HuntOptions, hunt
    from chainwatch.logs.match import LogMatcher
    from chainwatch.logs.timeparse import parse_ts

    assert parse_ts("nan") == 0.0 and parse_ts("1e300") == 0.0 and parse_ts("-5") == 0.0
    assert parse_ts("9999-12-31T23:59:59Z") == 0.0 and parse_ts(1680084000123) == 1680084000.123
    deep = '{"ts": 1, "id.orig_h": "a", "query": "x.example", "_path": "dns", "n": ' + "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.log").write_text(deep + "}\n")
    huge = "timestamp,client_ip,query\n2023-03-29T10:00:00Z,10.0.0.1," + "a" * 300_000 + "\n"
    (tmp_path / "huge.csv").write_text(huge)
    result = hunt([tmp_path], LogMatcher(), HuntOptions(jobs=1))
    assert {Path(p).name for p, _, _ in result.partial.errors} <= {"deep.log", "huge.csv"}
