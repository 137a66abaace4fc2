"""Load benchmark of the HTTP API: concurrent clients on loopback against ``detente serve``.

Usage::

    python bench/bench_http.py [--events 1000000] [--clients 50] [--requests 3000]
                               [--think 0] [--max-seconds 300] [--db /tmp/bench-http.duckdb]

Data. ``--events`` synthetic events made inside DuckDB by ``bench_store.build`` (dates over
2000-2025, 60 ISO-3166 codes with a skew, the 16 PLOVER types; see bench_store.py), then
rewritten in date order, as a store filled by ingesting news as it arrives is, and given
the index ``detente serve`` creates on a writable store. The store is kept at ``--db`` and
reused when it already holds that many events.

Load. ``detente serve --read-only --rate-limit 0 --cache-size N`` runs in its own process
(one uvicorn worker). ``--clients`` clients each keep one HTTP/1.1 connection open and
send requests one after another, waiting ``--think`` seconds between two (0: as fast as
answers come back), until ``--requests`` requests were answered or ``--max-seconds``
passed. Half the requests are event queries, half dyad series; actor and recipient codes
are drawn with the data's skew, so frequent actors are asked for more often:

- ``GET /events?actor=A&limit=50``, ``GET /events?actor=A&recipient=R&limit=50``,
  ``GET /events?type=T&since=Y-01-01&limit=50``, ``GET /events?actor=A&type=T&limit=50``;
- ``GET /dyads/A/R?by=month``, ``GET /dyads/A/R?by=year&both=true``.

The first 2 x clients answers warm the server up and are not counted. Prints the command,
machine, load average, versions, then per kind the count, errors and latency percentiles
(p50, p90, p99, max, in ms) and the throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_store import CODES, TYPES, build  # noqa: E402


def make_store(path: Path, n: int) -> None:
    from detente.store import Store

    with Store(path) as store:
        row = store.con.execute("SELECT value FROM meta WHERE key = ?",
                                ["bench_http_events"]).fetchone()
        if row is not None and int(row[0]) == n:
            store.ensure_serving_indexes()
            return
    path.unlink(missing_ok=True)
    t = time.perf_counter()
    with Store(path) as store:
        build(store.con, n)
        con = store.con
        con.execute("CREATE TEMP TABLE ev AS SELECT * FROM events")
        con.execute("DELETE FROM events")
        con.execute("INSERT INTO events SELECT * FROM ev ORDER BY date, id")
        con.execute("DROP TABLE ev")
        store.rebuild_summaries()  # the rows above bypassed Store.write
        store.ensure_serving_indexes()
        con.execute("INSERT INTO meta VALUES (?, ?)", ["bench_http_events", str(n)])
        con.execute("CHECKPOINT")
    print(f"built {n:,} synthetic events in {time.perf_counter() - t:.1f} s")


def skewed(rng: random.Random) -> str:
    k = len(CODES)
    return CODES[min(int(k ** rng.random()) - 1, k - 1)]


def next_request(rng: random.Random) -> tuple[str, str]:
    a = skewed(rng)
    r = skewed(rng)
    while r == a:
        r = skewed(rng)
    t = rng.choice(TYPES)[0]
    if rng.random() < 0.5:
        path = rng.choice([
            f"/events?actor={a}&limit=50",
            f"/events?actor={a}&recipient={r}&limit=50",
            f"/events?type={t}&since={rng.randrange(2000, 2025)}-01-01&limit=50",
            f"/events?actor={a}&type={t}&limit=50",
        ])
        return "events", path
    return "dyad", rng.choice([f"/dyads/{a}/{r}?by=month", f"/dyads/{a}/{r}?by=year&both=true"])


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
                  path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n"
                 .encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    await reader.readexactly(length)
    return status


async def client(i: int, port: int, args: argparse.Namespace, budget: dict[str, int],
                 results: list[tuple[str, float, int]], deadline: float) -> None:
    rng = random.Random(1000 + i)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while budget["left"] > 0 and time.monotonic() < deadline:
            budget["left"] -= 1
            kind, path = next_request(rng)
            t = time.perf_counter()
            try:
                status = await request(reader, writer, f"127.0.0.1:{port}", path)
            except (asyncio.IncompleteReadError, ConnectionError):
                # the server closed an idle keep-alive connection: reconnect (counted in
                # this request's time) and send again
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status = await request(reader, writer, f"127.0.0.1:{port}", path)
            results.append((kind, time.perf_counter() - t, status))
            if args.think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
    finally:
        writer.close()


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def run_load(port: int, args: argparse.Namespace) -> tuple[list[tuple[str, float, int]],
                                                                   float]:
    warm: list[tuple[str, float, int]] = []
    budget = {"left": 2 * args.clients}
    await asyncio.gather(*(client(i, port, args, budget, warm, time.monotonic() + 120)
                           for i in range(args.clients)))
    results: list[tuple[str, float, int]] = []
    budget = {"left": args.requests}
    t = time.perf_counter()
    deadline = time.monotonic() + args.max_seconds
    await asyncio.gather(*(client(100 + i, port, args, budget, results, deadline)
                           for i in range(args.clients)))
    return results, time.perf_counter() - t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a client waits between two requests")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--cache-size", type=int, default=1024,
                    help="the server's --cache-size (0: every answer computed)")
    ap.add_argument("--db", type=Path, default=Path("/tmp/detente-bench-http.duckdb"))
    args = ap.parse_args()

    import duckdb

    import detente

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print(f"versions: detente {detente.__version__}, duckdb {duckdb.__version__}")
    make_store(args.db, args.events)
    from detente.store import Store

    with Store(args.db, read_only=True) as store:
        stored = store.counts()["events"]
    print(f"data: {stored:,} synthetic events (asked for {args.events:,}; bench_store.build "
          f"drops draws of a type index past the table), file "
          f"{args.db.stat().st_size / 1e9:.2f} GB")
    port = free_port()
    exe = Path(sys.executable).with_name("detente")
    server = subprocess.Popen([str(exe), "serve", "--db", str(args.db), "--port", str(port),
                               "--read-only", "--rate-limit", "0", "--log-level", "warning",
                               "--cache-size", str(args.cache_size)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    log = server.stderr.read().decode() if server.stderr else ""
                    raise SystemExit(log) from None
                time.sleep(0.1)
        results, secs = asyncio.run(run_load(port, args))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"load: {args.clients} clients, think {args.think:g} s, server cache "
          f"{args.cache_size}, {len(results)} requests in "
          f"{secs:.1f} s ({len(results) / secs:.1f} requests/s); load average now "
          f"{os.getloadavg()[0]:.1f}")
    print(f"\n{'kind':<8} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'mean ms':>8}")
    for kind in ("events", "dyad", "all"):
        rows = [r for r in results if kind == "all" or r[0] == kind]
        ms = [r[1] * 1000 for r in rows]
        errors = sum(1 for r in rows if r[2] != 200)
        print(f"{kind:<8} {len(rows):>6} {errors:>6} {pct(ms, 50):>8.1f} {pct(ms, 90):>8.1f} "
              f"{pct(ms, 99):>8.1f} {max(ms, default=float('nan')):>8.1f} "
              f"{statistics.fmean(ms) if ms else float('nan'):>8.1f}")


if __name__ == "__main__":
    main()
