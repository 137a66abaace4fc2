"""Benchmark: scaling over processes, local and with Dask.

Usage::

    python bench/bench_scaling.py [--articles 2000] [--repeat 3]
                                  [--modes inproc,workers1,workers2,dask1,dask2]
                                  [--data ../shared/data]

Data: the benchmark corpus (``bench/corpus.py``), written once to a JSONL file.

Each mode is ``detente.ingest`` of the whole file into a fresh store, in a fresh process:

- ``inproc``: coding in the calling process (``detente ingest``);
- ``workersN``: N local worker processes (``detente ingest --workers N``);
- ``daskN``: a Dask LocalCluster of N single-threaded worker processes
  (``detente ingest --dask local --workers N``), Parquet part files in a temporary
  directory.

Every repeat runs every mode, in an order that alternates between repeats. The wall time
includes starting the workers (each loads the spaCy model); ``first`` is the time until the
first coded article reached the store's writer, and ``steady`` the rate after it. Ratios
(2 processes over 1) are taken within each repeat; the target for ``workers2 / workers1``
and ``dask2 / dask1`` on 2 cores is >= 1.7. Run it on an otherwise idle machine: other
load on the cores makes the ratios meaningless.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from common import alternate, footer, header, run_child, spread
from corpus import RECIPE, default_data, write_corpus

MODES = ("inproc", "workers1", "workers2", "dask1", "dask2")


def child(mode: str, corpus: Path, tmp: Path) -> dict[str, object]:
    from detente import api
    from detente.nlp import load_model

    if mode == "inproc":
        load_model()
        api.knowledge()
    kw: dict[str, object] = {}
    if mode.startswith("workers"):
        kw["workers"] = int(mode.removeprefix("workers"))
    elif mode.startswith("dask"):
        kw.update(workers=int(mode.removeprefix("dask")), dask="local")
    first: list[float] = []
    t = time.perf_counter()

    def progress(done: int, events: int) -> None:
        if not first:
            first.append(time.perf_counter() - t)

    summary = api.ingest([str(corpus)], db=tmp / f"{mode}-{time.time_ns()}.duckdb",
                         progress=progress, **kw)  # type: ignore[arg-type]
    return {"mode": mode, "seconds": time.perf_counter() - t, "first": first[0] if first else 0,
            "articles": summary.articles, "events": summary.events}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "CORPUS", "TMP"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, corpus, tmp = args.child
        print(json.dumps(child(mode, Path(corpus), Path(tmp))))
        return

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    corpus = write_corpus(tmp / "corpus.jsonl", args.articles, data=args.data or default_data())
    header("scaling: 1 and 2 local processes, Dask LocalCluster 1 and 2 workers",
           f"{args.articles} articles, {RECIPE}")
    runs: dict[str, list[dict[str, object]]] = {m: [] for m in modes}
    ratios: dict[str, list[float]] = {}
    pairs = [("workers2", "workers1"), ("dask2", "dask1"), ("workers2", "inproc"),
             ("dask1", "workers1")]
    for rep in range(args.repeat):
        got: dict[str, dict[str, object]] = {}
        for m in alternate(modes, rep):
            got[m] = run_child(Path(__file__), ["--child", m, str(corpus), str(tmp)],
                               sample=True)
            runs[m].append(got[m])
            print(f"repeat {rep + 1} {m}: {float(got[m]['seconds']):.1f} s", file=sys.stderr)
        for a, b in pairs:
            if a in got and b in got:
                ratios.setdefault(f"{a} / {b}", []).append(
                    float(got[b]["seconds"]) / float(got[a]["seconds"]))

    n = int(next(iter(runs.values()))[0]["articles"])
    print(f"\nper run: {n} articles; {args.repeat} repeats; median [min-max]")
    print(f"{'mode':<9} {'wall s':>24} {'articles/s':>11} {'first s':>8} {'steady/s':>9} "
          f"{'peak RSS MB':>12}")
    for m, rs in runs.items():
        secs = [float(r["seconds"]) for r in rs]
        med = sorted(secs)[len(secs) // 2]
        first = sorted(float(r["first"]) for r in rs)[len(rs) // 2]
        steady = sorted((n - 1) / max(float(r["seconds"]) - float(r["first"]), 1e-9)
                        for r in rs)[len(rs) // 2]
        peak = max(float(r["peak_rss_mb"]) for r in rs)
        print(f"{m:<9} {spread(secs):>24} {n / med:>11.2f} {first:>8.1f} {steady:>9.2f} "
              f"{peak:>12.0f}")
    print("peak RSS: all processes of the run together (workers included)")
    for k, v in ratios.items():
        print(f"throughput ratio {k}, per repeat: {spread(v)}")
    footer()


if __name__ == "__main__":
    main()
