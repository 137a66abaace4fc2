"""Benchmark: crash safety of ingest, with more rounds than the test suite runs.

Usage::

    python bench/bench_crash.py [--articles 1000] [--rounds 3] [--random-kills 10]
                                [--seed 20261127]

Each round generates a seeded corpus (``tests/crashkit.py``: short articles in four JSONL
files, about 3 % bad records, 2 % exact repeats, 5 % near-copies), ingests it once
without interruption while another process reads the store every 0.2 s, then ingests it
again into a second store while SIGKILLing the ingest at every injected kill point
(mid-transaction, after a commit, after opening the file) and ``--random-kills`` times at
random moments, restarting it with the same command each time. It prints, per round and in
total: kills survived, articles/events/rejects stored, rows missing or extra against the
uninterrupted run, integrity problems, and what the reader saw (reads, torn reads, wait
for the store: median and max). Nothing is asserted; the figures go into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crashkit import (  # noqa: E402
    ingest_cmd,
    integrity_problems,
    make_corpus,
    read_while_running,
    run_with_kills,
    table_diff,
)


def one_round(root: Path, *, articles: int, seed: int, random_kills: int) -> dict[str, object]:
    corpus = make_corpus(root / "in", n=articles, seed=seed)
    ref = root / "ref.duckdb"
    t0 = time.perf_counter()
    proc = subprocess.Popen(ingest_cmd("none", corpus.root, ref), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    reads = read_while_running(proc, ref)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(err.decode())
    ref_seconds = time.perf_counter() - t0
    db = root / "crashed.duckdb"
    run = run_with_kills(corpus.root, db, seed=seed, random_kills=random_kills,
                         max_delay=ref_seconds * 0.5)
    diff = table_diff(db, ref)
    problems = integrity_problems(db)
    return {
        "seed": seed,
        "inputs": corpus.lines,
        "kills": len(run.killed),
        "killed_at": run.killed,
        "runs": run.runs,
        "reference_seconds": round(ref_seconds, 1),
        "crash_seconds": round(run.seconds, 1),
        "articles": diff["articles"][0],
        "events": diff["events"][0],
        "rejects": diff["rejects"][0],
        "extra_rows": sum(d[2] for d in diff.values()),
        "missing_rows": sum(d[3] for d in diff.values()),
        "integrity_problems": sum(problems.values()),
        "reads": reads.ok,
        "torn_reads": reads.torn,
        "read_wait_median_s": round(statistics.median(reads.seconds), 3) if reads.seconds
        else None,
        "read_wait_max_s": round(max(reads.seconds), 3) if reads.seconds else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--random-kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    print(f"command: python bench/bench_crash.py --articles {args.articles} --rounds "
          f"{args.rounds} --random-kills {args.random_kills} --seed {args.seed}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}, "
          f"python {platform.python_version()}")
    rows = []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="detente-crash-") as tmp:
            row = one_round(Path(tmp), articles=args.articles, seed=args.seed + r,
                            random_kills=args.random_kills)
        print(json.dumps(row))
        rows.append(row)
    total = {k: sum(int(r[k]) for r in rows)  # type: ignore[call-overload]
             for k in ("kills", "runs", "articles", "events", "rejects", "extra_rows",
                       "missing_rows", "integrity_problems", "reads", "torn_reads")}
    waits = [r["read_wait_max_s"] for r in rows if r["read_wait_max_s"] is not None]
    total["read_wait_max_s"] = max(waits) if waits else None  # type: ignore[assignment]
    print("total: " + json.dumps(total))


if __name__ == "__main__":
    main()
