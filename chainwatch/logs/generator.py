"""Synthetic but realistic network/process logs for tests and demos: weeks of benign traffic from many
hosts plus one host infected through the trojanized 3CX DesktopApp.

The infected host installs 3CX 18.12.416, stays quiet for 7 days (the implant's ``manifest`` timer),
then fetches ``icon<N>.ico`` from raw.githubusercontent.com/IconStorages and beacons with jitter to C2
domains from the public 3CX indicator lists. Every contact is written in every supported format: Zeek
TSV and JSON (dns, conn, ssl, http, files), Suricata EVE in the 7.x (dns v2) and 8.0 (dns v3) layouts,
Sysmon events 1/3/22 as XML and JSON exports and as an EVTX file (a sample plus every event of the infected
host), Squid access.log and a DNS CSV. ``manifest.json`` holds the
ground truth. Deterministic for a given seed.

    python -m chainwatch.logs.generator OUTDIR --days 21 --hosts 50 [--seed 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

START = datetime(2023, 3, 6, tzinfo=UTC).timestamp()  # a Monday; 3CX 18.12.416 was signed 13 Mar 2023
RESOLVER = "10.20.0.2"
PROXY = "10.20.0.3"

BROWSING = [
    "www.google.com", "www.bing.com", "outlook.office365.com", "teams.microsoft.com", "www.linkedin.com",
    "github.com", "stackoverflow.com", "en.wikipedia.org", "www.youtube.com", "www.bbc.co.uk", "www.nytimes.com",
    "news.ycombinator.com", "docs.python.org", "www.amazon.com", "www.reddit.com", "slack.com", "app.slack.com",
    "zoom.us", "www.dropbox.com", "drive.google.com", "mail.google.com", "www.salesforce.com", "jira.atlassian.com",
    "confluence.atlassian.com", "www.cnn.com", "weather.com", "www.espn.com", "cdn.jsdelivr.net",
    "fonts.googleapis.com", "ajax.googleapis.com", "www.apple.com", "support.microsoft.com", "learn.microsoft.com",
    "portal.azure.com", "login.microsoftonline.com", "www.office.com", "www.paypal.com", "www.ebay.com",
    "twitter.com", "www.facebook.com", "www.instagram.com", "medium.com", "www.theguardian.com",
    "raw.githubusercontent.com", "objects.githubusercontent.com", "pypi.org", "files.pythonhosted.org",
    "www.npmjs.com", "registry.npmjs.org", "www.3cx.com", "downloads.3cx.com",
]
# benign periodic services (all on the allow-list): (name, mean interval s, jitter fraction, port, proto)
PERIODIC = [
    ("time.windows.com", 3600 * 8, 0.0, 123, "udp"),
    ("v10.events.data.microsoft.com", 1800, 0.1, 443, "tcp"),
    ("settings-win.data.microsoft.com", 3600, 0.05, 443, "tcp"),
    ("update.googleapis.com", 5 * 3600, 0.05, 443, "tcp"),
    ("ocsp.digicert.com", 4 * 3600, 0.2, 80, "tcp"),
    ("www.msftconnecttest.com", 3600 * 2, 0.3, 80, "tcp"),
    ("slscr.update.microsoft.com", 22 * 3600, 0.1, 443, "tcp"),
]
C2 = [  # (domain, URL path, mean interval s, jitter fraction) — domains and paths from the public 3CX IOC lists
    ("akamaitechcloudservices.com", "/v2/fileapi", 3600.0, 0.15),
    ("msstorageazure.com", "/storage/blob", 6 * 3600.0, 0.2),
]
ICON_HOST = "raw.githubusercontent.com"
ICON_PATH = "/IconStorages/images/main/icon{n}.ico"
APP_IMAGE = r"C:\Users\{user}\AppData\Local\Programs\3CXDesktopApp\app\3CXDesktopApp.exe"
APP_SHA256 = "fad482ded2e25ce9e1dd3d3ecc3227af714bdfbbde04347dbc1b21d6a3670405"  # 18.12.416, public (Elastic)
BROWSER = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
SVCHOST = r"C:\Windows\System32\svchost.exe"
IMAGES = {
    "time.windows.com": SVCHOST, "v10.events.data.microsoft.com": SVCHOST, "settings-win.data.microsoft.com": SVCHOST,
    "update.googleapis.com": r"C:\Program Files\Google\Update\GoogleUpdate.exe", "ocsp.digicert.com": SVCHOST,
    "www.msftconnecttest.com": SVCHOST, "slscr.update.microsoft.com": SVCHOST,
}
JA3_BROWSER = "773906b0efdefa24a7f2b8eb6985bf37"
JA3_APP = "cd08e31494f9531f560d64c695473da9"
UA_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 "
           "Safari/537.36 Edg/111.0.1661.54")
UA_IMPLANT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/108.0.5359.128 Safari/537.36")


@dataclass
class Host:
    index: int
    ip: str
    name: str
    user: str


@dataclass(order=True)
class Contact:
    """One client contact: a DNS lookup followed by a connection (and HTTP/TLS on it)."""

    ts: float
    host: int = field(compare=False)
    domain: str = field(compare=False)
    port: int = field(compare=False, default=443)
    proto: str = field(compare=False, default="tcp")
    path: str = field(compare=False, default="/")
    method: str = field(compare=False, default="GET")
    bytes_out: int = field(compare=False, default=0)
    bytes_in: int = field(compare=False, default=0)
    image: str = field(compare=False, default=BROWSER)
    ja3: str = field(compare=False, default=JA3_BROWSER)
    user_agent: str = field(compare=False, default=UA_EDGE)
    mime: str = field(compare=False, default="text/html")


@dataclass
class ProcessStart:
    ts: float
    host: int
    image: str
    command_line: str
    sha256: str
    parent: str


def ip_for(domain: str) -> str:
    """A stable public-looking address per name (documentation ranges are avoided on purpose: realism)."""
    digest = hashlib.sha256(domain.encode()).digest()
    return f"{23 + digest[0] % 150}.{digest[1]}.{digest[2]}.{1 + digest[3] % 250}"


def cert_fp(domain: str) -> str:
    return hashlib.sha256(b"cert:" + domain.encode()).hexdigest()


def _is_weekday(ts: float) -> bool:
    return datetime.fromtimestamp(ts, UTC).weekday() < 5


class Scenario:
    def __init__(self, days: int, hosts: int, seed: int, browse_per_hour: float = 12.0) -> None:
        self.rng = random.Random(seed)
        self.days = days
        self.hosts = [Host(i, f"10.20.1.{10 + i}", f"WS-{i + 1:03d}.corp.example", f"user{i + 1:03d}")
                      for i in range(hosts)]
        self.infected = self.hosts[self.rng.randrange(hosts)]
        self.browse_per_hour = browse_per_hour
        self.end = START + days * 86400
        self.install_ts = START + 2 * 86400 + 10 * 3600 + self.rng.uniform(0, 1800)  # day 3, 10:xx
        self.wake_ts = self.install_ts + 7 * 86400 + self.rng.uniform(60, 600)  # the 7-day manifest timer
        self.icon = 1 + self.rng.randrange(15)

    def contacts(self) -> list[Contact]:
        out: list[Contact] = []
        rng = self.rng
        for host in self.hosts:
            # browsing: working hours on weekdays, Poisson arrivals
            for day in range(self.days):
                day_start = START + day * 86400
                if not _is_weekday(day_start):
                    continue
                t = day_start + 8 * 3600 + rng.uniform(0, 3600)
                stop = day_start + 17.5 * 3600 + rng.uniform(0, 3600)
                while t < stop:
                    domain = rng.choice(BROWSING)
                    https = rng.random() < 0.9
                    path = "/" + "/".join(rng.choice(["news", "a", "static", "img", "api", "v1", "p", "item"])
                                          for _ in range(rng.randint(1, 3)))
                    out.append(Contact(t, host.index, domain, 443 if https else 80, path=path,
                                       bytes_out=int(rng.lognormvariate(6.5, 0.8)),
                                       bytes_in=int(rng.lognormvariate(9.5, 1.5))))
                    t += rng.expovariate(self.browse_per_hour / 3600)
            # periodic allow-listed services, around the clock
            for domain, interval, jitter, port, proto in PERIODIC:
                t = START + rng.uniform(0, interval)
                while t < self.end:
                    size = 48 if port == 123 else int(rng.gauss(1200, 40))
                    out.append(Contact(t, host.index, domain, port, proto, path="/" if port != 80 else "/status",
                                       bytes_out=size, bytes_in=48 if port == 123 else int(rng.gauss(3500, 100)),
                                       image=IMAGES[domain], ja3=JA3_APP, user_agent="Microsoft-CryptoAPI/10.0",
                                       mime="application/ocsp-response" if "ocsp" in domain else "text/plain"))
                    t += interval * (1 + rng.uniform(-jitter, jitter))
        out.extend(self._infection())
        out.sort()
        return out

    def _infection(self) -> Iterator[Contact]:
        rng = self.rng
        host = self.infected
        image = APP_IMAGE.format(user=host.user)
        # the installer comes from 3CX's own download server (legitimate channel, trojanized build)
        yield Contact(self.install_ts - 120, host.index, "downloads.3cx.com", 443,
                      path="/downloads/3CXDesktopApp-18.12.416.msi",
                      bytes_out=900, bytes_in=118_000_000 // 1000, mime="application/x-msi")
        t = self.wake_ts
        yield Contact(t, host.index, ICON_HOST, 443, path=ICON_PATH.format(n=self.icon), bytes_out=620,
                      bytes_in=int(rng.gauss(7000, 300)), image=image, ja3=JA3_APP, user_agent=UA_IMPLANT,
                      mime="image/vnd.microsoft.icon")
        for domain, path, interval, jitter in C2:
            t = self.wake_ts + rng.uniform(30, 300)
            while t < self.end:
                yield Contact(t, host.index, domain, 443, path=path, method="POST",
                              bytes_out=int(rng.gauss(820, 25)), bytes_in=int(rng.gauss(230, 15)), image=image,
                              ja3=JA3_APP, user_agent=UA_IMPLANT, mime="application/octet-stream")
                t += interval * (1 + rng.uniform(-jitter, jitter))

    def processes(self) -> list[ProcessStart]:
        host = self.infected
        image = APP_IMAGE.format(user=host.user)
        return [
            ProcessStart(self.install_ts, host.index, r"C:\Windows\System32\msiexec.exe",
                         r'"C:\Windows\System32\msiexec.exe" /i "C:\Users' + f"\\{host.user}"
                         + r'\Downloads\3CXDesktopApp-18.12.416.msi"', "", r"C:\Windows\explorer.exe"),
            ProcessStart(self.install_ts + 95, host.index, image, f'"{image}"', APP_SHA256,
                         r"C:\Windows\System32\msiexec.exe"),
        ]

    def manifest(self) -> dict[str, Any]:
        return {
            "seed_start": START, "days": self.days, "hosts": len(self.hosts),
            "infected": {"ip": self.infected.ip, "name": self.infected.name, "user": self.infected.user,
                         "install_ts": self.install_ts, "wake_ts": self.wake_ts,
                         "image": APP_IMAGE.format(user=self.infected.user)},
            "c2_domains": [d for d, *_ in C2],
            "icon_url": f"https://{ICON_HOST}{ICON_PATH.format(n=self.icon)}",
            "periodic_services": [p[0] for p in PERIODIC],
        }


# ---------------------------------------------------------------------------------------------------------
# writers

def _iso_eve(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


def _iso_sysmon(ts: float) -> tuple[str, str]:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z", moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


ZEEK_LOGS: dict[str, list[tuple[str, str]]] = {
    "dns": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
            ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"), ("rtt", "interval"), ("query", "string"),
            ("qclass", "count"), ("qclass_name", "string"), ("qtype", "count"), ("qtype_name", "string"),
            ("rcode", "count"), ("rcode_name", "string"), ("AA", "bool"), ("TC", "bool"), ("RD", "bool"),
            ("RA", "bool"), ("Z", "count"), ("answers", "vector[string]"), ("TTLs", "vector[interval]"),
            ("rejected", "bool")],
    "conn": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
             ("id.resp_p", "port"), ("proto", "enum"), ("service", "string"), ("duration", "interval"),
             ("orig_bytes", "count"), ("resp_bytes", "count"), ("conn_state", "string"), ("local_orig", "bool"),
             ("local_resp", "bool"), ("missed_bytes", "count"), ("history", "string"), ("orig_pkts", "count"),
             ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
             ("tunnel_parents", "set[string]")],
    "ssl": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
            ("id.resp_p", "port"), ("version", "string"), ("cipher", "string"), ("curve", "string"),
            ("server_name", "string"), ("resumed", "bool"), ("last_alert", "string"), ("next_protocol", "string"),
            ("established", "bool"), ("ssl_history", "string"), ("cert_chain_fps", "vector[string]"),
            ("client_cert_chain_fps", "vector[string]"), ("sni_matches_cert", "bool"), ("ja3", "string")],
    "http": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
             ("id.resp_p", "port"), ("trans_depth", "count"), ("method", "string"), ("host", "string"),
             ("uri", "string"), ("referrer", "string"), ("version", "string"), ("user_agent", "string"),
             ("origin", "string"), ("request_body_len", "count"), ("response_body_len", "count"),
             ("status_code", "count"), ("status_msg", "string"), ("info_code", "count"), ("info_msg", "string"),
             ("tags", "set[enum]"), ("username", "string"), ("password", "string"), ("proxied", "set[string]"),
             ("orig_fuids", "vector[string]"), ("orig_filenames", "vector[string]"),
             ("orig_mime_types", "vector[string]"), ("resp_fuids", "vector[string]"),
             ("resp_filenames", "vector[string]"), ("resp_mime_types", "vector[string]")],
    "files": [("ts", "time"), ("fuid", "string"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
              ("id.resp_h", "addr"), ("id.resp_p", "port"), ("source", "string"), ("depth", "count"),
              ("analyzers", "set[string]"), ("mime_type", "string"), ("filename", "string"),
              ("duration", "interval"), ("local_orig", "bool"), ("is_orig", "bool"), ("seen_bytes", "count"),
              ("total_bytes", "count"), ("missing_bytes", "count"), ("overflow_bytes", "count"),
              ("timedout", "bool"), ("parent_fuid", "string"), ("md5", "string"), ("sha1", "string"),
              ("sha256", "string"), ("extracted", "string"), ("extracted_cutoff", "bool"),
              ("extracted_size", "count")],
}


def _zeek_value(value: Any, is_container: bool) -> str:
    if value is None:
        return "-"
    if is_container:
        if not value:
            return "(empty)"
        return ",".join(_zeek_escape(str(v)).replace(",", "\\x2c") for v in value)
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.6f}"
    text = str(value)
    return "(empty)" if text == "" else _zeek_escape(text)


def _zeek_escape(text: str) -> str:
    return text.replace("\\", "\\x5c").replace("\t", "\\x09").replace("\n", "\\x0a")


class ZeekWriter:
    """Zeek ASCII (TSV) and JSON writers for one log path."""

    def __init__(self, tsv: IO[str], js: IO[str], path: str, open_ts: float) -> None:
        self.tsv, self.js, self.path = tsv, js, path
        self.fields = ZEEK_LOGS[path]
        self.containers = [t.startswith(("set[", "vector[")) for _, t in self.fields]
        stamp = datetime.fromtimestamp(open_ts, UTC).strftime("%Y-%m-%d-%H-%M-%S")
        tsv.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")
        tsv.write(f"#path\t{path}\n#open\t{stamp}\n")
        tsv.write("#fields\t" + "\t".join(n for n, _ in self.fields) + "\n")
        tsv.write("#types\t" + "\t".join(t for _, t in self.fields) + "\n")

    def write(self, row: dict[str, Any]) -> None:
        self.tsv.write("\t".join(_zeek_value(row.get(n), c) for (n, _), c in zip(self.fields, self.containers)))
        self.tsv.write("\n")
        out = {n: row[n] for n, _ in self.fields if row.get(n) is not None and row.get(n) != []}
        out["ts"] = round(row["ts"], 6)
        self.js.write(json.dumps(out, separators=(",", ":")) + "\n")

    def close(self, close_ts: float) -> None:
        stamp = datetime.fromtimestamp(close_ts, UTC).strftime("%Y-%m-%d-%H-%M-%S")
        self.tsv.write(f"#close\t{stamp}\n")


SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class SysmonWriter:
    """Sysmon Operational events as a wevtutil-style XML export and as evtx_dump-style JSON lines."""

    VERSIONS = {1: 5, 3: 5, 22: 5}

    def __init__(self, xml: IO[str], js: IO[str], evtx_host: str = "", evtx_sample: int = 2000) -> None:
        self.xml, self.js = xml, js
        self.record_id = 0
        # kept for the EVTX writer: the first ``evtx_sample`` events plus every event of ``evtx_host``
        self.events: list[tuple[int, str, float, list[tuple[str, str]]]] = []
        self.evtx_host = evtx_host
        self.evtx_sample = evtx_sample
        xml.write('<?xml version="1.0" encoding="utf-8"?>\n<Events>\n')

    def write(self, event_id: int, computer: str, ts: float, data: list[tuple[str, str]]) -> None:
        self.record_id += 1
        system_time, _ = _iso_sysmon(ts)
        body = "".join(f'<Data Name="{k}">{_xml_escape(v)}</Data>' for k, v in data)
        self.xml.write(
            '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
            f'<Provider Name="Microsoft-Windows-Sysmon" Guid="{SYSMON_GUID}"/><EventID>{event_id}</EventID>'
            f"<Version>{self.VERSIONS[event_id]}</Version><Level>4</Level><Task>{event_id}</Task><Opcode>0</Opcode>"
            f'<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="{system_time}"/>'
            f"<EventRecordID>{self.record_id}</EventRecordID><Correlation/>"
            '<Execution ProcessID="3216" ThreadID="4424"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel>'
            f'<Computer>{computer}</Computer><Security UserID="S-1-5-18"/></System>'
            f"<EventData>{body}</EventData></Event>\n")
        event = {"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": SYSMON_GUID}},
                       "EventID": event_id, "Version": self.VERSIONS[event_id], "Level": 4, "Task": event_id,
                       "Opcode": 0, "Keywords": "0x8000000000000000",
                       "TimeCreated": {"#attributes": {"SystemTime": system_time}},
                       "EventRecordID": self.record_id, "Correlation": None,
                       "Execution": {"#attributes": {"ProcessID": 3216, "ThreadID": 4424}},
                       "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": computer,
                       "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
            "EventData": dict(data)}}
        self.js.write(json.dumps(event, separators=(",", ":")) + "\n")
        if len(self.events) < self.evtx_sample or computer == self.evtx_host:
            self.events.append((event_id, computer, ts, data))

    def close(self) -> None:
        self.xml.write("</Events>\n")


def _guid(rng: random.Random) -> str:
    a, b, c, d, e = (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16),
                     rng.getrandbits(48))
    return f"{{{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}}}"


def generate(outdir: str | Path, days: int = 21, hosts: int = 50, seed: int = 7, browse_per_hour: float = 12.0,
             evtx: bool = True) -> dict[str, Any]:
    """Write every format under ``outdir`` and return the ground-truth manifest."""
    out = Path(outdir)
    scenario = Scenario(days, hosts, seed, browse_per_hour)
    rng = random.Random(seed + 1)
    contacts = scenario.contacts()
    dirs = {name: out / name for name in ("zeek", "zeek-json", "suricata7", "suricata8", "sysmon", "squid", "csv")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    files: list[IO[str]] = []

    def open_text(path: Path) -> IO[str]:
        handle = path.open("w", encoding="utf-8", newline="\n")
        files.append(handle)
        return handle

    zeek = {p: ZeekWriter(open_text(dirs["zeek"] / f"{p}.log"), open_text(dirs["zeek-json"] / f"{p}.log"), p, START)
            for p in ZEEK_LOGS}
    eve7 = open_text(dirs["suricata7"] / "eve.json")
    eve8 = open_text(dirs["suricata8"] / "eve.json")
    sysmon = SysmonWriter(open_text(dirs["sysmon"] / "sysmon.xml"), open_text(dirs["sysmon"] / "sysmon.jsonl"),
                          scenario.infected.name)
    squid = open_text(dirs["squid"] / "access.log")
    csv_out = open_text(dirs["csv"] / "dns.csv")
    csv_out.write("timestamp,client_ip,query,answer\n")
    hosts_by_index = {h.index: h for h in scenario.hosts}
    processes = sorted(scenario.processes(), key=lambda p: p.ts)
    guid_of: dict[tuple[int, str], str] = {}
    flow_id = 1_000_000_000
    process_index = 0
    for contact in contacts:
        while process_index < len(processes) and processes[process_index].ts <= contact.ts:
            proc = processes[process_index]
            process_index += 1
            host = hosts_by_index[proc.host]
            guid = guid_of.setdefault((proc.host, proc.image), _guid(rng))
            _, utc = _iso_sysmon(proc.ts)
            hashes = f"SHA256={proc.sha256.upper()}" if proc.sha256 else "SHA256=" + hashlib.sha256(
                proc.image.encode()).hexdigest().upper()
            sysmon.write(1, host.name, proc.ts, [
                ("RuleName", "-"), ("UtcTime", utc), ("ProcessGuid", guid), ("ProcessId", str(rng.randint(1000, 9000))),
                ("Image", proc.image), ("FileVersion", "18.12.416" if "3CX" in proc.image else "5.2.3790.0"),
                ("Description", "3CX Desktop App" if "3CX" in proc.image else "Windows installer"),
                ("Product", "3CX Desktop App" if "3CX" in proc.image else "Windows Installer"),
                ("Company", "3CX Ltd" if "3CX" in proc.image else "Microsoft Corporation"),
                ("OriginalFileName", proc.image.rsplit("\\", 1)[-1]), ("CommandLine", proc.command_line),
                ("CurrentDirectory", f"C:\\Users\\{host.user}\\"), ("User", f"CORP\\{host.user}"),
                ("LogonGuid", _guid(rng)), ("LogonId", "0x3e7"), ("TerminalSessionId", "1"),
                ("IntegrityLevel", "Medium"),
                ("Hashes", hashes), ("ParentProcessGuid", _guid(rng)), ("ParentProcessId", "4020"),
                ("ParentImage", proc.parent), ("ParentCommandLine", proc.parent), ("ParentUser", f"CORP\\{host.user}")])
        host = hosts_by_index[contact.host]
        ts = contact.ts
        dst = ip_for(contact.domain)
        sport = 49152 + rng.randrange(16000)
        dns_port = 49152 + rng.randrange(16000)
        uid = "C" + hashlib.md5(f"{ts}{host.ip}{contact.domain}".encode()).hexdigest()[:17]
        dns_uid = "C" + hashlib.md5(f"dns{ts}{host.ip}".encode()).hexdigest()[:17]
        trans_id = rng.randrange(65536)
        rtt = rng.uniform(0.002, 0.04)
        ttl = 300.0
        # --- DNS
        zeek["dns"].write({"ts": ts, "uid": dns_uid, "id.orig_h": host.ip, "id.orig_p": dns_port, "id.resp_h": RESOLVER,
                           "id.resp_p": 53, "proto": "udp", "trans_id": trans_id, "rtt": rtt, "query": contact.domain,
                           "qclass": 1, "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A", "rcode": 0,
                           "rcode_name": "NOERROR", "AA": False, "TC": False, "RD": True, "RA": True, "Z": 0,
                           "answers": [dst], "TTLs": [ttl], "rejected": False})
        flow_id += 1
        dns_base = {"flow_id": flow_id, "in_iface": "eth0", "event_type": "dns", "proto": "UDP"}
        client_side = {"src_ip": host.ip, "src_port": dns_port, "dest_ip": RESOLVER, "dest_port": 53}
        answer = [{"rrname": contact.domain, "rrtype": "A", "ttl": int(ttl), "rdata": dst}]
        eve7.write(json.dumps({"timestamp": _iso_eve(ts), **dns_base, **client_side,
                               "dns": {"type": "query", "id": trans_id, "rrname": contact.domain, "rrtype": "A",
                                       "tx_id": 0, "opcode": 0}}) + "\n")
        eve7.write(json.dumps({"timestamp": _iso_eve(ts + rtt), **dns_base, **client_side,
                               "dns": {"version": 2, "type": "answer", "id": trans_id, "flags": "8180", "qr": True,
                                       "rd": True, "ra": True, "opcode": 0, "rrname": contact.domain, "rrtype": "A",
                                       "rcode": "NOERROR", "answers": answer}}) + "\n")
        eve8.write(json.dumps({"timestamp": _iso_eve(ts), **dns_base, **client_side,
                               "dns": {"version": 3, "type": "request", "tx_id": 0, "id": trans_id, "flags": "100",
                                       "rd": True, "opcode": 0, "rcode": "NOERROR",
                                       "queries": [{"rrname": contact.domain, "rrtype": "A"}]}}) + "\n")
        eve8.write(json.dumps({"timestamp": _iso_eve(ts + rtt), **dns_base, "src_ip": RESOLVER, "src_port": 53,
                               "dest_ip": host.ip, "dest_port": dns_port,
                               "dns": {"version": 3, "type": "response", "tx_id": 1, "id": trans_id, "flags": "8180",
                                       "qr": True, "rd": True, "ra": True, "opcode": 0, "rcode": "NOERROR",
                                       "queries": [{"rrname": contact.domain, "rrtype": "A"}],
                                       "answers": answer}}) + "\n")
        _, utc = _iso_sysmon(ts)
        guid = guid_of.setdefault((contact.host, contact.image), _guid(rng))
        sysmon.write(22, host.name, ts, [("RuleName", "-"), ("UtcTime", utc), ("ProcessGuid", guid),
                                         ("ProcessId", "6120"), ("QueryName", contact.domain), ("QueryStatus", "0"),
                                         ("QueryResults", f"::ffff:{dst};"), ("Image", contact.image),
                                         ("User", f"CORP\\{host.user}")])
        csv_out.write(f"{datetime.fromtimestamp(ts, UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{host.ip},"
                      f"{contact.domain},{dst}\n")
        # --- connection
        t_conn = ts + rtt + rng.uniform(0.001, 0.01)
        duration = rng.uniform(0.05, 2.0) if contact.port != 123 else 0.03
        service = {443: "ssl", 80: "http", 123: "ntp"}.get(contact.port, "-")
        zeek["conn"].write({"ts": t_conn, "uid": uid, "id.orig_h": host.ip, "id.orig_p": sport, "id.resp_h": dst,
                            "id.resp_p": contact.port, "proto": contact.proto, "service": service, "duration": duration,
                            "orig_bytes": contact.bytes_out, "resp_bytes": contact.bytes_in,
                            "conn_state": "SF", "local_orig": True,
                            "local_resp": False, "missed_bytes": 0,
                            "history": "ShADadfF" if contact.proto == "tcp" else "Dd",
                            "orig_pkts": 2 + contact.bytes_out // 1400, "orig_ip_bytes": contact.bytes_out + 200,
                            "resp_pkts": 2 + contact.bytes_in // 1400, "resp_ip_bytes": contact.bytes_in + 200,
                            "tunnel_parents": []})
        flow_id += 1
        flow_side = {"src_ip": host.ip, "src_port": sport, "dest_ip": dst, "dest_port": contact.port,
                     "proto": contact.proto.upper()}
        flow = {"timestamp": _iso_eve(t_conn + duration), "flow_id": flow_id, "in_iface": "eth0", "event_type": "flow",
                **flow_side, "app_proto": {"ssl": "tls", "ntp": "ntp", "http": "http"}.get(service, "failed"),
                "flow": {"pkts_toserver": 2 + contact.bytes_out // 1400, "pkts_toclient": 2 + contact.bytes_in // 1400,
                         "bytes_toserver": contact.bytes_out, "bytes_toclient": contact.bytes_in,
                         "start": _iso_eve(t_conn), "end": _iso_eve(t_conn + duration), "age": int(duration),
                         "state": "closed", "reason": "timeout", "alerted": False}}
        sysmon.write(3, host.name, t_conn, [
            ("RuleName", "-"), ("UtcTime", _iso_sysmon(t_conn)[1]), ("ProcessGuid", guid), ("ProcessId", "6120"),
            ("Image", contact.image), ("User", f"CORP\\{host.user}"), ("Protocol", contact.proto),
            ("Initiated", "true"), ("SourceIsIpv6", "false"), ("SourceIp", host.ip), ("SourceHostname", host.name),
            ("SourcePort", str(sport)), ("SourcePortName", "-"), ("DestinationIsIpv6", "false"),
            ("DestinationIp", dst), ("DestinationHostname", contact.domain), ("DestinationPort", str(contact.port)),
            ("DestinationPortName", {443: "https", 80: "http", 123: "ntp"}.get(contact.port, "-"))])
        url = f"{'https' if contact.port == 443 else 'http'}://{contact.domain}{contact.path}"
        if contact.port == 443:
            zeek["ssl"].write({"ts": t_conn + 0.01, "uid": uid, "id.orig_h": host.ip, "id.orig_p": sport,
                               "id.resp_h": dst, "id.resp_p": 443, "version": "TLSv13",
                               "cipher": "TLS_AES_128_GCM_SHA256",
                               "curve": "x25519", "server_name": contact.domain, "resumed": False,
                               "established": True, "ssl_history": "CsiI",
                               "cert_chain_fps": [cert_fp(contact.domain)],
                               "client_cert_chain_fps": [], "sni_matches_cert": True, "ja3": contact.ja3})
            tls = {"timestamp": _iso_eve(t_conn + 0.01), "flow_id": flow_id, "in_iface": "eth0", "event_type": "tls",
                   **flow_side, "tls": {"subject": f"CN={contact.domain}", "issuerdn": "C=US, O=Let's Encrypt, CN=R3",
                                        "serial": "04:A1:" + cert_fp(contact.domain)[:10].upper(),
                                        "fingerprint": ":".join(cert_fp(contact.domain)[i:i + 2]
                                                                for i in range(0, 40, 2)),
                                        "sni": contact.domain, "version": "TLS 1.3",
                                        "notbefore": "2023-01-10T00:00:00", "notafter": "2023-04-10T23:59:59",
                                        "ja3": {"hash": contact.ja3,
                                                "string": "771,4865-4866-4867,0-23-65281,29-23-24,0"}}}
            eve7.write(json.dumps(tls) + "\n")
            eve8.write(json.dumps(tls) + "\n")
        elif contact.port == 80:
            fuid = "F" + uid[1:]
            zeek["http"].write({"ts": t_conn + 0.01, "uid": uid, "id.orig_h": host.ip, "id.orig_p": sport,
                                "id.resp_h": dst, "id.resp_p": 80, "trans_depth": 1, "method": contact.method,
                                "host": contact.domain, "uri": contact.path, "version": "1.1",
                                "user_agent": contact.user_agent, "request_body_len": 0,
                                "response_body_len": contact.bytes_in, "status_code": 200, "status_msg": "OK",
                                "tags": [], "resp_fuids": [fuid], "resp_mime_types": [contact.mime]})
            body = hashlib.sha256(f"{contact.domain}{contact.path}{contact.bytes_in}".encode())
            zeek["files"].write({"ts": t_conn + 0.02, "fuid": fuid, "uid": uid, "id.orig_h": host.ip,
                                 "id.orig_p": sport, "id.resp_h": dst, "id.resp_p": 80, "source": "HTTP", "depth": 0,
                                 "analyzers": ["MD5", "SHA1"], "mime_type": contact.mime, "duration": 0.0,
                                 "local_orig": False, "is_orig": False, "seen_bytes": contact.bytes_in,
                                 "total_bytes": contact.bytes_in, "missing_bytes": 0, "overflow_bytes": 0,
                                 "timedout": False, "md5": hashlib.md5(body.digest()).hexdigest(),
                                 "sha1": hashlib.sha1(body.digest()).hexdigest(), "extracted_cutoff": False})
            http = {"timestamp": _iso_eve(t_conn + 0.01), "flow_id": flow_id, "in_iface": "eth0", "event_type": "http",
                    **flow_side, "tx_id": 0, "http": {"hostname": contact.domain, "url": contact.path,
                                                      "http_user_agent": contact.user_agent,
                                                      "http_content_type": contact.mime, "http_method": contact.method,
                                                      "protocol": "HTTP/1.1", "status": 200,
                                                      "length": contact.bytes_in}}
            eve7.write(json.dumps(http) + "\n")
            eve8.write(json.dumps(http) + "\n")
        eve7.write(json.dumps(flow) + "\n")
        eve8.write(json.dumps(flow) + "\n")
        if contact.port in (80, 443):
            # an SSL-bumping proxy logs the full URL of HTTPS requests too
            squid.write(f"{t_conn:.3f} {int(duration * 1000):6d} {host.ip} TCP_MISS/200 {contact.bytes_in} "
                        f"{contact.method} {url} - HIER_DIRECT/{dst} {contact.mime}\n")
    for writer in zeek.values():
        writer.close(scenario.end)
    sysmon.close()
    for handle in files:
        handle.close()
    manifest = scenario.manifest()
    manifest["contacts"] = len(contacts)
    if evtx:
        from chainwatch.logs.evtx_writer import write_evtx

        manifest["evtx_records"] = write_evtx(dirs["sysmon"] / "Microsoft-Windows-Sysmon%4Operational.evtx",
                                              sorted(sysmon.events, key=lambda e: e[2]))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainwatch.logs.generator", description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--browse-per-hour", type=float, default=12.0)
    parser.add_argument("--no-evtx", action="store_true")
    args = parser.parse_args(argv)
    manifest = generate(args.outdir, args.days, args.hosts, args.seed, args.browse_per_hour, not args.no_evtx)
    print(json.dumps({k: manifest[k] for k in ("infected", "c2_domains", "icon_url", "contacts")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
