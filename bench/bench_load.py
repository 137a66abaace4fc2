"""Benchmark: the HTTP API under load while articles are ingested through it.

Usage::

    python bench/bench_load.py [--events 1000000] [--clients 200] [--seconds 60]
                               [--db FILE] [--single [--repeat 3]] [--serve-option OPT]

Builds a synthetic store (``tests/loadkit.py``: ten events per article, dated in id order
as news arrives, two entities per event, clusters of three) in a temporary directory (or
keeps it at ``--db``), starts ``detente serve`` on loopback
(no rate limit, a token for writes), warms it up (model and knowledge loaded by a first
write and a first actor page), then runs ``--clients`` concurrent HTTP clients (one
asyncio process, httpx) looping over a mix of reads (event pages with and without actor,
dyad and date filters, single events and articles, dyad series, top actors, clusters,
actor pages, health) for ``--seconds``, while a writer posts four new articles every
second to ``POST /ingest`` (coded by the server with the spaCy model). Afterwards every
article the server confirmed is fetched back. Prints the command, data, machine, load
average (at the start and around the measurement: the machine may be shared), versions,
the store, then per endpoint the count and p50/p95/p99 latency in ms, the errors by status
and code (a 503 with ``Retry-After`` is retried, up to five times, and counted apart),
writes sent / confirmed / found stored / lost, the server's cache hit rate and reader-pool
figures, and the whole summary as one JSON line. Nothing is asserted; the figures go into
the README. The clients run on the same machine as the server, so both share its cores.

``--single`` instead times each endpoint alone, in process (one client, median of
``--repeat``, no query limit, no cache): what one request costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from common import cpu_seconds, footer, header, web_versions  # noqa: E402

from detente.store import Store  # noqa: E402
from loadkit import (  # noqa: E402
    build_synthetic_store,
    dumps,
    free_port,
    lost_writes,
    run_load,
    start_server,
    warm_up,
)

SINGLE = {"health": "/health", "article": "/articles/syn12345", "event": "/events/se12345",
          "dyad": "/dyads/USA/CHN?by=month", "events": "/events?limit=50",
          "events?dyad+since": "/events?actor=USA&recipient=CHN&since=2022-01-01&limit=20",
          "events?actor": "/events?actor=USA&limit=50", "top/actors": "/top/actors?limit=20",
          "actor": "/actors/TUR", "actors": "/actors?limit=100",
          "clusters": "/clusters?limit=20", "cluster": "/clusters/se12345"}


def single(db: Path, repeat: int = 3) -> None:
    """Each endpoint alone: one client, in-process, median of ``repeat``."""
    import statistics
    import warnings

    from detente import api
    from detente.server import ServerConfig, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with api.open_for_serving(db) as store:  # as `detente serve` opens it
        config = ServerConfig(db=db, rate_limit=0, query_timeout=0, cache_size=0)
        client = TestClient(create_app(config, store=store), base_url="http://127.0.0.1")
        client.get("/actors/USA")  # knowledge loaded
        out = {}
        for label, path in SINGLE.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = client.get(path)
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
            out[label] = round(statistics.median(times) * 1000, 1)
    print("single-client median ms: " + dumps(out))


RECIPE = "loadkit-2"
"""Version of the synthetic store's recipe (a kept ``--db`` of another is rebuilt)."""


def reuse(db: Path, events: int) -> dict[str, int] | None:
    """The counts of the store at ``db`` if this script built it with ``events`` events
    and this recipe (later writes through the API add a few articles)."""
    if not db.exists():
        return None
    with Store(db, read_only=True) as store:
        row = store.con.execute("SELECT value FROM meta WHERE key = ?",
                                ["bench_load_events"]).fetchone()
        if row is None or row[0] != f"{events} {RECIPE}":
            return None
        return store.counts()


def table(summary: dict[str, Any]) -> None:
    """Per endpoint: requests and latency percentiles in ms."""
    print(f"{'endpoint':<20} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    rows = [*summary["per_endpoint"].items(),
            ("all", {"n": summary["requests"], "p50_ms": summary["p50_ms"],
                     "p95_ms": summary["p95_ms"], "p99_ms": summary["p99_ms"]})]
    for name, v in rows:
        print(f"{name:<20} {v['n']:>6} {v['p50_ms'] or 0:>9.1f} {v['p95_ms'] or 0:>9.1f} "
              f"{v['p99_ms'] or 0:>9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--single", action="store_true", help="Instead: time each endpoint "
                    "alone (one client, in-process, median of --repeat, no query limit or "
                    "cache).")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None, help="Keep the synthetic store in this "
                    "file and reuse it when it holds --events events (default: a temporary "
                    "directory).")
    ap.add_argument("--serve-option", action="append", default=[], metavar="OPT",
                    help="Extra option for `detente serve` (repeatable), e.g. "
                    "--serve-option=--db-workers=4.")
    args = ap.parse_args()
    header("HTTP API under load while articles are ingested (bench/bench_load.py)",
           f"{args.events:,} synthetic events (tests/loadkit.py, recipe {RECIPE}: ten events "
           "per article over 1,800 days from 2019-01-01 in id order, 30 codes, 10 types, two "
           "entities per event, clusters of three, serving summaries); a writer posts four "
           "new articles a second through POST /ingest (coded by the server with the spaCy "
           "model)")
    print(f"web: {web_versions()}")
    with tempfile.TemporaryDirectory(prefix="detente-load-") as tmp:
        db = args.db or Path(tmp) / "load.duckdb"
        t0 = time.perf_counter()
        counts = reuse(db, args.events) if args.db else None
        if counts is None:
            db.unlink(missing_ok=True)
            counts = build_synthetic_store(db, events=args.events)
            with Store(db) as store:
                store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                  ["bench_load_events", f"{args.events} {RECIPE}"])
        print(f"store: {dumps(counts)} built or reused in {time.perf_counter() - t0:.1f} s, "
              f"{db.stat().st_size / 1e6:.0f} MB")
        if args.single:
            single(db, args.repeat)
            footer()
            return
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port=port, token="bench-token",
                              extra=tuple(args.serve_option))
        try:
            print(f"warm-up: {warm_up(base, 'bench-token'):.1f} s (model and knowledge "
                  "loaded by a first write and a first actor page)")
            load_start = os.getloadavg()[0]
            cpu0 = cpu_seconds(server.pid), cpu_seconds()
            result = asyncio.run(run_load(base, clients=args.clients, seconds=args.seconds,
                                          n_events=args.events, token="bench-token"))
            cpu = cpu_seconds(server.pid) - cpu0[0], cpu_seconds() - cpu0[1]
            load_end = os.getloadavg()[0]
            summary = result.summary()
            lost = lost_writes(base, result.writes_confirmed)
            health = httpx.get(f"{base}/health", timeout=60).json()
        finally:
            server.terminate()
            server.wait(60)
    print(f"load: {args.clients} clients on loopback (one asyncio process, one keep-alive "
          f"connection each) for {args.seconds:g} s plus a writer: {summary['requests']} reads in "
          f"{result.seconds:.1f} s ({summary['rps']} requests/s); load average "
          f"{load_start:.1f} before, {load_end:.1f} after (other work on the machine "
          "included)\n")
    print(f"cpu: server {cpu[0]:.1f} s ({1000 * cpu[0] / max(1, summary['requests']):.1f} "
          f"ms per read, the writes' coding included), clients {cpu[1]:.1f} s, in "
          f"{result.seconds:.1f} s on {os.cpu_count()} cores\n")
    table(summary)
    print(f"\nerrors: {summary['errors']} "
          f"{dumps(summary['errors_by_code']) if summary['errors'] else ''}; 503 answers "
          f"retried after their Retry-After: {summary['shed']}")
    if summary["error_examples"]:
        print(f"error examples: {dumps(summary['error_examples'])}")
    print(f"writes: {summary['writes_sent']} articles sent, {summary['writes_confirmed']} "
          f"confirmed, {summary['writes_confirmed'] - len(lost)} found stored afterwards, "
          f"{len(lost)} lost; write p50 {summary['write_p50_ms']} ms")
    cache = health.get("cache", {})
    asked = cache.get("hits", 0) + cache.get("misses", 0)
    print(f"server cache: {cache.get('hits', 0)} hits of {asked} lookups "
          f"({100 * cache.get('hits', 0) / max(1, asked):.0f} %), {cache.get('dropped', 0)} "
          f"answers dropped by writes; readers: {dumps(health.get('readers'))}")
    print("result: " + dumps({**summary, "lost_writes": len(lost)}))
    footer()


if __name__ == "__main__":
    main()
