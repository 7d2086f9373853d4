"""Log hunting throughput and memory: DNS events per second against 100,000 domain indicators, side by side
with ``grep -F -f domains.txt`` on the same files, and peak RSS at growing file sizes (streaming: RSS must not
grow with the file).

    PYTHONPATH=. python bench/bench_logs.py [--rows 5000000] [--indicators 100000] [--jobs 2] [--out bench/out]
        [--rss-steps 0.2,0.5,1.0] [--eve-rows 500000]

For each file it prints events/s wall and per CPU-second (the hunt's own process plus its workers) for the
full hunt (matching + beacon scoring) and for matching only, the same for grep, the ratios, the load average
before and after, and peak RSS (the sum over the hunt's processes and the largest worker). Files: Zeek
dns.log in the documented TSV layout at each ``--rss-steps`` fraction of ``--rows`` (about 1 line in 20,000
hits an indicator), then Suricata eve.json with ``--eve-rows`` dns events in the 7.x (dns v2) and the 8.0
(dns v3) layouts (plus one flow event per 50). Figures and the conditions they were measured under:
``bench/LOGS_RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil

from chainwatch.intel.model import Indicator, IndicatorKind
from chainwatch.logs.generator import ZEEK_LOGS
from chainwatch.logs.hunt import HuntOptions, hunt
from chainwatch.logs.match import LogMatcher

C2 = ["msstorageazure.com", "akamaitechcloudservices.com", "pbxsources.com", "sbmsa.wiki", "journalide.org"]
WORDS = ["cloud", "cdn", "api", "static", "img", "mail", "login", "data", "edge", "update", "news", "shop", "app",
         "secure", "files", "media", "track", "sync", "web", "portal"]
TLDS = ["com", "net", "org", "io", "de", "co.uk", "info", "biz", "xyz", "online"]


def make_indicators(count: int, rng: random.Random) -> list[str]:
    names = set(C2)
    while len(names) < count:
        label = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(6, 14)))
        names.add(f"{label}{rng.choice(WORDS)}.{rng.choice(TLDS)}")
    return sorted(names)


def _clients(rng: random.Random, rows: int) -> tuple[list[str], list[list[str]], float, float]:
    """2,000 client hosts, each with a working set of 200 of 20,000 benign names (Zipf-like popularity);
    the first timestamp and the step that spreads ``rows`` events over three weeks."""
    benign = [f"{rng.choice(WORDS)}{i}.{rng.choice(['example', 'corp', 'vendor', 'site'])}{i % 97}."
              f"{rng.choice(TLDS)}" for i in range(20_000)]
    weights = [1.0 / (rank + 1) for rank in range(len(benign))]
    hosts = [f"10.{i // 250}.{i % 250}.{rng.randint(1, 254)}" for i in range(2000)]
    working = [rng.choices(benign, weights, k=200) for _ in hosts]
    return hosts, working, 1678060800.0, 21 * 86400 / rows


def write_dns_log(path: Path, rows: int, rng: random.Random) -> None:
    """A Zeek dns.log: 2,000 hosts, 20,000 distinct benign names with Zipf-like popularity; each host
    queries a working set of 200 of them (as real clients do), and 1 row in 20,000 is a C2 name."""
    fields = ZEEK_LOGS["dns"]
    hosts, working, start, step = _clients(rng, rows)
    with path.open("w", encoding="ascii") as out:
        out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
                  "#open\t2023-03-06-00-00-00\n")
        out.write("#fields\t" + "\t".join(n for n, _ in fields) + "\n")
        out.write("#types\t" + "\t".join(t for _, t in fields) + "\n")
        buffer: list[str] = []
        randrange = rng.randrange
        for i in range(rows):
            who = randrange(2000)
            host = hosts[who]
            name = C2[i % len(C2)] if i % 20_000 == 7 else working[who][int(200 * rng.random() ** 2)]
            buffer.append(f"{start + i * step:.6f}\tC{i:017x}\t{host}\t{49152 + i % 16000}\t10.0.0.2\t53\tudp\t"
                          f"{i % 65536}\t0.010000\t{name}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t"
                          f"93.184.{i % 250}.{i % 199}\t300.000000\tF\n")
            if len(buffer) >= 100_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))
        out.write("#close\t2023-03-27-00-00-00\n")


def write_eve_log(path: Path, rows: int, rng: random.Random, version: int) -> None:
    """A Suricata eve.json with ``rows`` dns events in the Suricata 7 (dns v2: query + answer) or 8.0 (dns
    v3: request + response, responses logged from the resolver's side) layout, same clients and names as
    ``write_dns_log``, and one flow event per 50 dns events (it goes through the JSON path)."""
    hosts, working, start, step = _clients(rng, rows)
    resolver = "10.0.0.2"
    with path.open("w", encoding="ascii") as out:
        buffer: list[str] = []
        for i in range(0, rows, 2):
            who = rng.randrange(2000)
            host = hosts[who]
            name = C2[i % len(C2)] if i % 20_000 == 6 else working[who][int(200 * rng.random() ** 2)]
            moment = time.gmtime(int(start + i * step))
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
            micros = int((start + i * step) % 1 * 1e6)
            port = 49152 + i % 16000
            ident = i % 65536
            answer = f'{{"rrname":"{name}","rrtype":"A","ttl":300,"rdata":"93.184.{i % 250}.{i % 199}"}}'
            head = f'{{"timestamp":"{stamp}.{micros:06d}+0000","flow_id":{1000000 + i},"in_iface":"eth0",' \
                   '"event_type":"dns",'
            client = f'"src_ip":"{host}","src_port":{port},"dest_ip":"{resolver}","dest_port":53,"proto":"UDP",'
            server = f'"src_ip":"{resolver}","src_port":53,"dest_ip":"{host}","dest_port":{port},"proto":"UDP",'
            later = f"{stamp}.{min(micros + 9000, 999999):06d}+0000"
            if version == 2:
                buffer.append(f'{head}{client}"dns":{{"type":"query","id":{ident},"rrname":"{name}","rrtype":"A",'
                              '"tx_id":0,"opcode":0}}\n')
                buffer.append(f'{head.replace(stamp + f".{micros:06d}+0000", later)}{client}"dns":{{"version":2,'
                              f'"type":"answer","id":{ident},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,'
                              f'"rrname":"{name}","rrtype":"A","rcode":"NOERROR","answers":[{answer}],'
                              f'"grouped":{{"A":["93.184.{i % 250}.{i % 199}"]}}}}}}\n')
            else:
                query = f'"queries":[{{"rrname":"{name}","rrtype":"A"}}]'
                buffer.append(f'{head}{client}"dns":{{"version":3,"type":"request","tx_id":0,"id":{ident},'
                              f'"flags":"100","rd":true,"opcode":0,"rcode":"NOERROR",{query}}}}}\n')
                buffer.append(f'{head.replace(stamp + f".{micros:06d}+0000", later)}{server}"dns":{{"version":3,'
                              f'"type":"response","tx_id":1,"id":{ident},"flags":"8180","qr":true,"rd":true,'
                              f'"ra":true,"opcode":0,"rcode":"NOERROR",{query},"answers":[{answer}]}}}}\n')
            if i % 50 == 0:
                buffer.append(f'{{"timestamp":"{stamp}.{micros:06d}+0000","flow_id":{1000000 + i},'
                              f'"event_type":"flow",{client}"app_proto":"dns","flow":{{"pkts_toserver":1,'
                              '"pkts_toclient":1,"bytes_toserver":80,"bytes_toclient":96,'
                              f'"start":"{stamp}.{micros:06d}+0000","end":"{later}","age":0,"state":"established",'
                              '"reason":"timeout","alerted":false}}\n')
            if len(buffer) >= 100_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


class PeakRss:
    """Samples the RSS of a process and its children every 50 ms (peak of the sum, peak of one child)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.total = 0
        self.worker = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                children = self.process.children(recursive=True)
                own = self.process.memory_info().rss
                kids = [c.memory_info().rss for c in children]
            except psutil.Error:
                kids, own = [], 0
            self.total = max(self.total, own + sum(kids))
            self.worker = max([self.worker, *kids])
            self.stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def run_hunt(path: Path, matcher: LogMatcher, jobs: int, beacons: bool) -> dict[str, float]:
    """Run the hunt in a forked child; its RSS (and its workers') is sampled from here."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        baseline = psutil.Process().memory_info().rss
        started = time.perf_counter()
        cpu0 = time.process_time()
        result = hunt([path], matcher, HuntOptions(jobs=jobs, beacons=beacons))
        wall = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - cpu0 + children.ru_utime + children.ru_stime
        hits = sum(a.count for a in result.partial.hits.hits.values())
        payload = {"rows": result.partial.records, "wall": wall, "cpu": cpu, "hits": hits,
                   "baseline_mib": baseline / 2**20, "pairs": result.partial.pairs.pair_count,
                   "beacons": len(result.beacons), "points": result.partial.pairs.points}
        os.write(write, json.dumps(payload).encode())
        os._exit(0)
    os.close(write)
    with PeakRss(pid) as peak:
        data = b""
        while chunk := os.read(read, 65536):
            data += chunk
        os.waitpid(pid, 0)
    out = json.loads(data)
    out["peak_total_mib"] = peak.total / 2**20
    out["peak_worker_mib"] = peak.worker / 2**20
    return out


def run_grep(path: Path, patterns: Path) -> dict[str, float]:
    grep = shutil.which("grep")
    assert grep, "grep not found"
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([grep, "-F", "-c", "-f", str(patterns), str(path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "LC_ALL": "C"})
    with PeakRss(proc.pid) as peak:
        stdout, _ = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "lines": int(stdout.strip() or 0), "peak_rss_mib": peak.total / 2**20}


def compare(title: str, log: Path, events: int, matcher: LogMatcher, patterns: Path, jobs: int) -> None:
    """chainwatch (full hunt, match only) and grep on one file; rates per DNS event written."""
    size_mib = log.stat().st_size / 2**20
    load_before = os.getloadavg()[0]
    full = run_hunt(log, matcher, jobs, beacons=True)
    match_only = run_hunt(log, matcher, jobs, beacons=False)
    grep = run_grep(log, patterns)
    print(f"\n== {title}, {size_mib:.0f} MiB (load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores) ==")
    for label, r in (("chainwatch match+beacons", full), ("chainwatch match only", match_only)):
        print(f"{label:26s} {events / r['wall']:>12,.0f} events/s wall "
              f"{events / max(r['cpu'], 1e-9):>12,.0f} events/CPU-s  {r['wall']:6.2f}s wall "
              f"{r['cpu']:6.2f}s CPU  records {r['rows']:,}  hits {r['hits']:,}  pairs {r['pairs']:,}  RSS: start "
              f"{r['baseline_mib']:.0f} MiB, peak all processes {r['peak_total_mib']:.0f} MiB, "
              f"peak one worker {r['peak_worker_mib']:.0f} MiB")
    print(f"{'grep -F -f domains.txt':26s} {events / grep['wall']:>12,.0f} events/s wall "
          f"{events / max(grep['cpu'], 1e-9):>12,.0f} events/CPU-s  {grep['wall']:6.2f}s wall "
          f"{grep['cpu']:6.2f}s CPU  lines {grep['lines']:,}  peak RSS {grep['peak_rss_mib']:.0f} MiB")
    print(f"ratio chainwatch/grep   match only: wall {grep['wall'] / match_only['wall']:.2f}x, per CPU-s "
          f"{grep['cpu'] / max(match_only['cpu'], 1e-9):.2f}x   full hunt: wall {grep['wall'] / full['wall']:.2f}x, "
          f"per CPU-s {grep['cpu'] / max(full['cpu'], 1e-9):.2f}x   (beacons scored {full['beacons']:,})")
    print(f"goal >= 1,000,000 events/s wall on 2 cores: match only {events / match_only['wall'] / 1e6:.2f}x of it "
          f"({events / max(match_only['cpu'], 1e-9) / 5e5:.2f}x of the 500,000 events/CPU-s it needs), full hunt "
          f"{events / full['wall'] / 1e6:.2f}x ({events / max(full['cpu'], 1e-9) / 5e5:.2f}x per CPU-s)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--eve-rows", type=int, default=500_000, help="DNS events per EVE file (0: skip EVE)")
    parser.add_argument("--rss-steps", default="0.2,0.5,1.0", help="fractions of --rows for the RSS growth check")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    names = make_indicators(args.indicators, rng)
    patterns = out / "domains.txt"
    patterns.write_text("\n".join(names) + "\n")
    matcher = LogMatcher.from_indicators(
        Indicator(IndicatorKind.DOMAIN, n, "bench", 90 if n in C2 else 60) for n in names)
    print(f"indicators: {matcher.count} domains   cores: {os.cpu_count()}   load: {os.getloadavg()[0]:.1f}")

    sizes = sorted({max(1000, int(args.rows * float(f))) for f in args.rss_steps.split(",")})
    for rows in sizes:
        log = out / f"dns_{rows}.log"
        if not log.exists():
            t0 = time.perf_counter()
            write_dns_log(log, rows, random.Random(rows))
            print(f"generated {log} ({log.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f}s")
        compare(f"{rows:,} DNS events, Zeek dns.log TSV", log, rows, matcher, patterns, args.jobs)
    for version in (2, 3) if args.eve_rows else ():
        log = out / f"eve{version}_{args.eve_rows}.json"
        if not log.exists():
            write_eve_log(log, args.eve_rows, random.Random(args.eve_rows), version)
        compare(f"{args.eve_rows:,} DNS events, Suricata EVE dns v{version} ({'8.0' if version == 3 else '7'})",
                log, args.eve_rows, matcher, patterns, args.jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
