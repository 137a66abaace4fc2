"""Benchmark: memory stays flat as the corpus grows.

Usage::

    python bench/bench_memory.py [--sizes 10000,100000] [--workers 1] [--data ../shared/data]

Data: the benchmark corpus (``bench/corpus.py``) at each size, written to JSONL files.

For each size, the exact user command ``detente ingest CORPUS --db NEW.duckdb --workers N
--quiet --json`` runs in a fresh process while the resident memory of its process tree is
sampled every 0.5 s. Printed per size: wall seconds, articles/s, the peak resident memory
of the tree and of the ingest process alone, and the memory at each tenth of the run (to
see whether it climbs); then the ratio of the largest size's peak to the smallest's
(target: within 1.2, and under 2 GB at 100,000 articles).

A 100,000-article run takes hours on 2 cores (about 60 million characters of text); use
``--sizes 1000,10000`` for a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RssSampler, footer, header
from corpus import RECIPE, default_data, write_corpus


def run(corpus: Path, db: Path, workers: int) -> dict[str, object]:
    import psutil

    cli = Path(sys.executable).parent / "detente"
    cmd = [str(cli), "ingest", str(corpus), "--db", str(db), "--workers", str(workers),
           "--quiet", "--json"]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        main_samples: list[tuple[float, int]] = []
        with RssSampler(proc.pid, interval=0.5) as tree:
            while proc.poll() is None:
                with contextlib.suppress(psutil.Error):
                    main_samples.append((time.perf_counter() - t,
                                         psutil.Process(proc.pid).memory_info().rss))
                time.sleep(0.5)
        main_peak = max((rss for _, rss in main_samples), default=0)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed: {err.read()[-2000:]}")
        out.seek(0)
        summary = json.loads(out.read())
    secs = time.perf_counter() - t
    samples = tree.samples

    def by_tenths(series: list[tuple[float, int]]) -> list[float]:
        out = []
        for k in range(1, 11):
            upto = [rss for ts, rss in series if ts <= secs * k / 10]
            out.append(max(upto) / 2**20 if upto else 0.0)
        return out

    return {"command": " ".join(cmd), "seconds": secs, "articles": summary["articles"],
            "events": summary["events"], "tree_peak_mb": tree.peak / 2**20,
            "main_peak_mb": main_peak / 2**20, "tenths": by_tenths(samples),
            "main_tenths": by_tenths(main_samples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    header("memory as the corpus grows", f"sizes {sizes}, {RECIPE}; workers {args.workers}")
    results = []
    for n in sizes:
        corpus = write_corpus(tmp / f"corpus-{n}.jsonl", n, data=args.data or default_data())
        r = run(corpus, tmp / f"mem-{n}.duckdb", args.workers)
        results.append((n, r))
        print(f"\n{n} articles: {r['command']}")
        print(f"  {float(r['seconds']):.0f} s, {int(r['articles']) / float(r['seconds']):.2f} "
              f"articles/s, {r['events']} events")
        print(f"  peak RSS: process tree {float(r['tree_peak_mb']):.0f} MB, ingest process "
              f"{float(r['main_peak_mb']):.0f} MB")
        print("  peak RSS of the tree up to each tenth of the run (MB): "
              + " ".join(f"{x:.0f}" for x in r["tenths"]))  # type: ignore[attr-defined]
        print("  and of the ingest process alone (MB): "
              + " ".join(f"{x:.0f}" for x in r["main_tenths"]))  # type: ignore[attr-defined]
        sys.stdout.flush()
        (tmp / f"mem-{n}.duckdb").unlink(missing_ok=True)
    if len(results) > 1:
        (n0, r0), (n1, r1) = results[0], results[-1]
        print(f"\nratio peak RSS {n1} / {n0} articles: process tree "
              f"{float(r1['tree_peak_mb']) / float(r0['tree_peak_mb']):.3f}, ingest process "
              f"{float(r1['main_peak_mb']) / float(r0['main_peak_mb']):.3f} (target <= 1.2)")
    footer()


if __name__ == "__main__":
    main()
