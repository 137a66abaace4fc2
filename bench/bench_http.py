"""Load benchmark of the HTTP API: concurrent clients on loopback against ``detente serve``.

Usage::

    python bench/bench_http.py [--events 1000000] [--clients 50] [--requests 3000]
                               [--think 0] [--max-seconds 300] [--cache-size 1024]
                               [--db-workers 0] [--db /tmp/detente-bench-http.duckdb]
                               [--memory-events 200000] [--single N]

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

The server builds its in-memory index and reads ahead ``--memory-events`` events (the
first pages of the common filters, then the newest) before the load starts: the script
waits until ``/health`` says it is ready.

``--single N`` instead runs N requests of the same mix in this process and prints the CPU
milliseconds each kind costs (mean, median, p90) on two paths: the store calls the server
makes for an answer its caches do not hold when it has no in-memory index
(``event_page_keys`` and ``events_by_key``, else an older detente's ``event_page``;
``code_dyad_series``; serialised as the server does), then the in-memory index with
``--memory-events`` events read ahead (events not kept read from the store), with the
index's build time and memory: the server's cost per uncached answer, less the HTTP
stack, and much less sensitive to other work on the machine than latencies.

The first 2 x clients answers warm the server up and are not counted. Prints the command,
data, machine, load average (at the start and the end: the machine may be shared),
versions, then per endpoint and per kind the count, errors and latency percentiles (p50,
p95, p99, max, mean, in ms), the errors by status and code, the throughput, the server's
answer-cache and event-cache hit rates, reader-pool and in-memory index figures (from
``/health``), and its resident memory when ready and at its peak during the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_store import CODES, TYPES, build  # noqa: E402
from common import RssSampler, cpu_seconds, footer, header, web_versions  # noqa: E402

RECIPE = "2"
"""Version of the store's recipe (a kept ``--db`` of another is rebuilt): 2 has the
summaries sorted by pair (key) and day."""


def make_store(path: Path, n: int) -> None:
    from detente.store import Store

    with Store(path) as store:
        row = store.con.execute("SELECT value FROM meta WHERE key = ?",
                                ["bench_http_events"]).fetchone()
        if row is not None and row[0] == f"{n} {RECIPE}":
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
        con.execute("INSERT INTO meta VALUES (?, ?)", ["bench_http_events", f"{n} {RECIPE}"])
        con.execute("CHECKPOINT")
    print(f"built {n:,} synthetic events in {time.perf_counter() - t:.1f} s")


def skewed(rng: random.Random) -> str:
    k = len(CODES)
    return CODES[min(int(k ** rng.random()) - 1, k - 1)]


def next_request(rng: random.Random) -> tuple[str, str]:
    """``(endpoint label, path)`` of one request: half event queries, half dyad series."""
    a = skewed(rng)
    r = skewed(rng)
    while r == a:
        r = skewed(rng)
    t = rng.choice(TYPES)[0]
    if rng.random() < 0.5:
        return rng.choice([
            ("events?actor", f"/events?actor={a}&limit=50"),
            ("events?actor&recipient", f"/events?actor={a}&recipient={r}&limit=50"),
            ("events?type&since",
             f"/events?type={t}&since={rng.randrange(2000, 2025)}-01-01&limit=50"),
            ("events?actor&type", f"/events?actor={a}&type={t}&limit=50"),
        ])
    return rng.choice([("dyad?by=month", f"/dyads/{a}/{r}?by=month"),
                       ("dyad?by=year&both", f"/dyads/{a}/{r}?by=year&both=true")])


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
                  path: str) -> tuple[int, str, bytes]:
    """Send one GET and read its answer: ``(status, error code or "", body)``."""
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
    body = await reader.readexactly(length)
    if status == 200:
        return status, "", body
    try:
        return status, str(json.loads(body)["error"]["code"]), body
    except (ValueError, KeyError, TypeError):
        return status, "?", body


Result = tuple[str, float, int, str]
"""``(endpoint label, seconds, status, error code)`` of one answered request."""


async def client(i: int, port: int, args: argparse.Namespace, budget: dict[str, int],
                 results: list[Result], deadline: float) -> None:
    rng = random.Random(1000 + i)
    host = f"127.0.0.1:{port}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while budget["left"] > 0 and time.monotonic() < deadline:
            budget["left"] -= 1
            label, path = next_request(rng)
            t = time.perf_counter()
            try:
                status, code, _ = await request(reader, writer, host, path)
            except (asyncio.IncompleteReadError, ConnectionError):
                # the server closed an idle keep-alive connection: reconnect (counted in
                # this request's time) and send again
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status, code, _ = await request(reader, writer, host, path)
            results.append((label, time.perf_counter() - t, status, code))
            if args.think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
    finally:
        writer.close()


def single(db: Path, n: int, memory_events: int) -> None:
    """CPU milliseconds of ``n`` uncached answers of the mix in this process: from the
    store (the calls the server makes without its in-memory index) and, where this
    detente has one, from the in-memory index with ``memory_events`` events read ahead
    kept serialised (the server's default path; events not kept are read from the
    store and kept, as the server does)."""
    from datetime import date
    from urllib.parse import parse_qs, urlsplit

    from detente import api
    from detente.server import _json_bytes

    try:
        from detente.server import EventCache, _read_ahead
        from detente.serving import ServingIndex
        from detente.store import EventFilter
    except ImportError:  # an older detente: the store only
        EventFilter = ServingIndex = None  # type: ignore[assignment,misc]  # noqa: N806

    rng = random.Random(7)
    reqs = [next_request(rng) for _ in range(n + 20)]
    with api.open_for_serving(db, read_only=True) as store:
        def parsed(path: str) -> tuple[str, dict[str, str]]:
            url = urlsplit(path)
            return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}

        def filters(q: dict[str, str]) -> dict[str, Any]:
            return {"actor": q.get("actor"), "recipient": q.get("recipient"),
                    "event_type": q.get("type"),
                    "since": date.fromisoformat(q["since"]) if "since" in q else None}

        def from_store(path: str) -> None:
            route, q = parsed(path)
            if route == "/events":
                f, limit = filters(q), int(q["limit"])
                if EventFilter is not None:
                    rows = store.events_by_key(store.event_page_keys(EventFilter(**f),
                                                                     limit=limit))
                elif hasattr(store, "event_page_keys"):  # an older detente (comparisons)
                    rows = store.events_by_key(store.event_page_keys(**f, limit=limit))
                else:
                    rows = store.event_page(**f, limit=limit)
                _json_bytes({"events": rows})
            else:
                _, _, a, r = route.split("/")
                _json_bytes(store.code_dyad_series(a, r, by=q["by"],
                                                   both_directions="both" in q))

        table_of("store", time_mix(reqs, from_store))
        if ServingIndex is None:
            return
        rss0 = rss()
        w, c = time.perf_counter(), time.process_time()
        index = ServingIndex(store)
        print(f"\nin-memory index: built in {time.perf_counter() - w:.1f} s "
              f"({time.process_time() - c:.1f} s CPU), {index.stats()['bytes'] / 1e6:.0f} MB "
              f"of arrays, process RSS +{(rss() - rss0) / 1e6:.0f} MB")
        rss0 = rss()
        w, c = time.perf_counter(), time.process_time()
        kept = EventCache(memory_events + 1024 * 16)
        read = _read_ahead(store, kept, index.warm_keys(memory_events)) if memory_events else 0
        print(f"events read ahead (first pages, newest): {read:,} in "
              f"{time.perf_counter() - w:.1f} s ({time.process_time() - c:.1f} s CPU), process "
              f"RSS +{(rss() - rss0) / 1e6:.0f} MB")
        from orjson import Fragment

        def from_memory(path: str) -> None:
            route, q = parsed(path)
            if route == "/events":
                f, limit = EventFilter(**filters(q)), int(q["limit"])
                keys = index.page_keys(f, limit=limit)
                if keys is None:
                    keys = store.event_page_keys(f, limit=limit)
                got = kept.get_many(k[0] for k in keys)
                missing = [k for k in keys if k[0] not in got]
                if missing:
                    new = {r["id"]: _json_bytes(r) for r in store.events_by_key(missing)}
                    kept.put_many(new)
                    got.update(new)
                _json_bytes({"events": [Fragment(got[k[0]]) for k in keys]})
            else:
                _, _, a, r = route.split("/")
                series = index.dyad_series(a, r, by=q["by"], both_directions="both" in q)
                assert series is not None
                _json_bytes(series)

        table_of("memory", time_mix(reqs, from_memory))
        looked = kept.hits + kept.misses
        print(f"events of the pages found kept: {kept.hits} of {looked} "
              f"({100 * kept.hits / max(1, looked):.0f} %)")


def rss() -> int:
    """Resident bytes of this process (Linux), else 0."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def time_mix(reqs: list[tuple[str, str]], answer: Any) -> dict[str, list[float]]:
    """CPU ms per request label of ``answer(path)`` (the first 20 warm up, not counted)."""
    cpu: dict[str, list[float]] = {}
    for i, (label, path) in enumerate(reqs):
        t = time.process_time()  # all threads of this process (DuckDB's too)
        answer(path)
        if i >= 20:
            cpu.setdefault(label, []).append((time.process_time() - t) * 1000)
    return cpu


def table_of(name: str, cpu: dict[str, list[float]]) -> None:
    n = sum(len(xs) for xs in cpu.values())
    print(f"\nsingle ({name}): {n} requests of the mix in this process, no answer cache, "
          "CPU ms per answer")
    print(f"{'endpoint':<24} {'count':>6} {'mean':>8} {'median':>8} {'p90':>8}")
    for label, xs in sorted(cpu.items()):
        print(f"{label:<24} {len(xs):>6} {statistics.fmean(xs):>8.2f} "
              f"{statistics.median(xs):>8.2f} {pct(xs, 90):>8.2f}")
    everything = [x for xs in cpu.values() for x in xs]
    print(f"{'all':<24} {len(everything):>6} {statistics.fmean(everything):>8.2f} "
          f"{statistics.median(everything):>8.2f} {pct(everything, 90):>8.2f}")


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def run_load(port: int, args: argparse.Namespace) -> tuple[list[Result], float]:
    warm: list[Result] = []
    budget = {"left": 2 * args.clients}
    await asyncio.gather(*(client(i, port, args, budget, warm, time.monotonic() + 120)
                           for i in range(args.clients)))
    results: list[Result] = []
    budget = {"left": args.requests}
    t = time.perf_counter()
    deadline = time.monotonic() + args.max_seconds
    await asyncio.gather(*(client(100 + i, port, args, budget, results, deadline)
                           for i in range(args.clients)))
    return results, time.perf_counter() - t


async def wait_for_index(port: int, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Wait (up to 10 minutes) until the server's in-memory index is built, as /health
    tells; its figures."""
    for _ in range(1200):
        index = (await get_json(port, "/health")).get("index") or {}
        if index.get("state") not in ("building", "reading events"):
            return dict(index)
        if server.poll() is not None:
            raise SystemExit("the server stopped")
        await asyncio.sleep(0.5)
    raise SystemExit("the server's in-memory index was not ready within 10 minutes")


async def get_json(port: int, path: str) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        _, _, body = await request(reader, writer, f"127.0.0.1:{port}", path)
    finally:
        writer.close()
    out: dict[str, Any] = json.loads(body)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def table(results: list[Result]) -> None:
    """Per endpoint and per kind: count, errors, latency percentiles in ms."""
    print(f"{'endpoint':<24} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
    labels = sorted({r[0] for r in results})
    groups = [(x, [r for r in results if r[0] == x]) for x in labels]
    groups += [(f"all {k}", [r for r in results if r[0].startswith(k)])
               for k in ("events", "dyad")]
    groups.append(("all", results))
    for name, rows in groups:
        ms = [r[1] * 1000 for r in rows]
        errors = sum(1 for r in rows if r[2] != 200)
        print(f"{name:<24} {len(rows):>6} {errors:>6} {pct(ms, 50):>8.1f} {pct(ms, 95):>8.1f} "
              f"{pct(ms, 99):>8.1f} {max(ms, default=float('nan')):>8.1f} "
              f"{statistics.fmean(ms) if ms else float('nan'):>8.1f}")


def main() -> None:
    import psutil

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a client waits between two requests")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--cache-size", type=int, default=1024,
                    help="the server's --cache-size (0: every answer computed)")
    ap.add_argument("--db-workers", type=int, default=0,
                    help="the server's --db-workers (0: its default, one per core)")
    ap.add_argument("--db", type=Path, default=Path(tempfile.gettempdir())
                    / "detente-bench-http.duckdb")
    ap.add_argument("--memory-events", type=int, default=200_000,
                    help="the server's --memory-events (events read ahead and kept)")
    ap.add_argument("--single", type=int, default=0, metavar="N",
                    help="time N uncached answers in process instead (CPU ms per kind)")
    args = ap.parse_args()

    header("HTTP API under concurrent readers (bench/bench_http.py)",
           f"{args.events:,} synthetic events from bench_store.build (dates uniform over "
           "2000-2025, 60 ISO codes with a 1/(i+1) skew, the 16 PLOVER types), rewritten in "
           f"date order, serving summaries and indexes; kept at {args.db}")
    print(f"web: {web_versions()}")
    make_store(args.db, args.events)
    from detente.store import Store

    with Store(args.db, read_only=True) as store:
        stored = store.counts()["events"]
    print(f"store: {stored:,} events (bench_store.build drops draws of a type index past "
          f"the table), file {args.db.stat().st_size / 1e9:.2f} GB")
    if args.single:
        single(args.db, args.single, args.memory_events)
        footer()
        return
    port = free_port()
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "serve", "--db",
           str(args.db), "--port", str(port), "--read-only", "--rate-limit", "0",
           "--log-level", "warning", "--cache-size", str(args.cache_size)]
    if args.db_workers:
        cmd += ["--db-workers", str(args.db_workers)]
    cmd += ["--memory-events", str(args.memory_events)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        ready = asyncio.run(wait_for_index(port, server))
        rss_ready = psutil.Process(server.pid).memory_info().rss
        load_start = os.getloadavg()[0]
        cpu0 = cpu_seconds(server.pid), cpu_seconds()
        with RssSampler(server.pid) as sampler:
            results, secs = asyncio.run(run_load(port, args))
        cpu = cpu_seconds(server.pid) - cpu0[0], cpu_seconds() - cpu0[1]
        health = asyncio.run(get_json(port, "/health"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"load: {args.clients} clients on loopback (one asyncio process), think "
          f"{args.think:g} s, server cache {args.cache_size}, {len(results)} requests in "
          f"{secs:.1f} s ({len(results) / secs:.1f} requests/s); load average "
          f"{load_start:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the "
          "machine included)")
    print(f"cpu: server {cpu[0]:.1f} s, clients {cpu[1]:.1f} s (warm-up included), in "
          f"{secs:.1f} s on {os.cpu_count()} cores\n")
    table(results)
    codes = Counter(f"{r[2]} {r[3]}" for r in results if r[2] != 200)
    print(f"\nerrors by code: {json.dumps(dict(codes.most_common())) if codes else 'none'}")
    print(f"server in-memory index at the start: {json.dumps(ready)}; at the end: "
          f"{json.dumps(health.get('index'))}")
    print(f"server memory (RSS): {rss_ready / 1e6:.0f} MB when ready, peak "
          f"{sampler.peak / 1e6:.0f} MB during the load")
    cache = health.get("cache", {})
    asked = cache.get("hits", 0) + cache.get("misses", 0)
    print(f"server cache: {cache.get('hits', 0)} hits of {asked} lookups "
          f"({100 * cache.get('hits', 0) / max(1, asked):.0f} %, warm-up included); "
          f"readers: {json.dumps(health.get('readers'))}")
    events = health.get("event_cache") or {}
    looked = events.get("hits", 0) + events.get("misses", 0)
    if looked:
        print(f"server event cache: {events['hits']} of {looked} events of the pages computed "
              f"were kept ({100 * events['hits'] / looked:.0f} %), {events['entries']} kept")
    footer()


if __name__ == "__main__":
    main()
