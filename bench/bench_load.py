"""Benchmark: the HTTP API under load while articles are ingested through it.

Usage::

    python bench/bench_load.py [--events 1000000] [--clients 200] [--seconds 60]

Builds a synthetic store (``tests/loadkit.py``: ten events per article, two entities per
event, clusters of three) in a temporary directory, starts ``detente serve`` on loopback
(no rate limit, a token for writes), warms it up (model and knowledge loaded by a first
write and a first actor page), then runs ``--clients`` concurrent HTTP clients (one
asyncio process, httpx) looping over a mix of reads (event pages with and without actor,
dyad and date filters, single events and articles, dyad series, top actors, clusters,
actor pages, health) for ``--seconds``, while a writer posts four new articles every
second to ``POST /ingest`` (coded by the server with the spaCy model). Afterwards every
article the server confirmed is fetched back. Prints the command, machine, the store
built and one JSON summary: requests, errors, requests per second, latency percentiles
(overall and per endpoint), writes sent / confirmed / lost. Nothing is asserted; the
figures go into the README. The client runs on the same machine as the server, so both
share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

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
          "actor": "/actors/TUR", "clusters": "/clusters?limit=20"}


def single(db: Path) -> None:
    """Each endpoint alone: one client, in-process, median of three."""
    import statistics
    import warnings

    from detente.server import ServerConfig, create_app
    from detente.store import Store

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with Store(db) as store:
        config = ServerConfig(db=db, rate_limit=0, query_timeout=0, cache_size=0)
        client = TestClient(create_app(config, store=store), base_url="http://127.0.0.1")
        client.get("/actors/USA")  # knowledge loaded
        out = {}
        for label, path in SINGLE.items():
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                r = client.get(path)
                times.append(time.perf_counter() - t0)
                r.raise_for_status()
            out[label] = round(statistics.median(times) * 1000, 1)
    print("single-client median ms: " + dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--single", action="store_true", help="Instead: time each endpoint "
                    "alone (one client, in-process, median of 3, no query limit or cache).")
    args = ap.parse_args()
    print(f"command: python bench/bench_load.py --events {args.events} --clients "
          f"{args.clients} --seconds {args.seconds:g}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}, "
          f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="detente-load-") as tmp:
        db = Path(tmp) / "load.duckdb"
        t0 = time.perf_counter()
        counts = build_synthetic_store(db, events=args.events)
        print(f"store: {dumps(counts)} built in {time.perf_counter() - t0:.1f} s, "
              f"{db.stat().st_size / 1e6:.0f} MB")
        if args.single:
            single(db)
            return
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port=port, token="bench-token")
        try:
            print(f"warm-up: {warm_up(base, 'bench-token'):.1f} s")
            result = asyncio.run(run_load(base, clients=args.clients, seconds=args.seconds,
                                          n_events=args.events, token="bench-token"))
            summary = result.summary()
            summary["lost_writes"] = len(lost_writes(base, result.writes_confirmed))
            print("result: " + dumps(summary))
        finally:
            server.terminate()
            server.wait(60)


if __name__ == "__main__":
    main()
