"""Benchmark: scaling over processes, local and with Dask.

Usage::

    python bench/bench_scaling.py [--articles 2000] [--repeat 3]
                                  [--modes inproc,workers1,workers2,dask1,dask2,twin]
                                  [--data ../shared/data]

Data: the benchmark corpus (``bench/corpus.py``), written once to a JSONL file.

Each mode is ``detente.ingest`` of the whole file into a fresh store, in a fresh process:

- ``inproc``: coding in the calling process (``detente ingest``);
- ``workersN``: N local worker processes (``detente ingest --workers N``);
- ``daskN``: a Dask LocalCluster of N single-threaded worker processes; the ingest runs
  as ``detente ingest --dask ADDRESS`` against it, Parquet part files in a temporary
  directory;
- ``twin`` (not run unless named in ``--modes``): the machine's own ceiling for two
  processes. Two independent ``inproc`` runs at once, each on one half of the corpus into
  its own store (no pool, no inter-process traffic, no shared pages, each loading its own
  model in parallel); wall is until both have finished. ``inproc / twin`` is what two
  processes can give on these cores at best: when it is well under 2, the cores slow down
  each other (shared caches and memory bandwidth, or two virtual CPUs on one physical
  core), and no worker pool can do better.

Two times per run, both printed:

- ``wall``: everything the command costs, start-up included: loading the model and the
  knowledge (inproc, workersN: inside the ingest), starting the Dask cluster and loading
  the model on its workers, and closing it;
- ``start-up``: the part of ``wall`` before coding starts where it can be told apart:
  inproc loads the model and the knowledge first, daskN starts the cluster and loads the
  model and knowledge on every worker (``Client.run(warm_up)``) before the ingest; the
  local pool starts its workers inside the ingest, so its start-up stays in ``wall``.
  ``after start-up`` is the ingest alone on a warm process or cluster: the rate a long
  run settles at.

Every repeat runs every mode, in an order that alternates between repeats, and prints the
load average after each run. Ratios (2 processes over 1) are taken within each repeat;
the target for ``workers2 / workers1`` and ``dask2 / dask1`` on 2 cores is >= 1.7. ``cpu
s`` is the CPU time of the run's whole process tree: under load from other work, wall
times stretch but CPU seconds per article barely move. Run it on an otherwise idle
machine: other load on the cores makes the wall-time ratios meaningless.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from common import alternate, footer, header, load, median, run_child, spread
from corpus import RECIPE, default_data, write_corpus

MODES = ("inproc", "workers1", "workers2", "dask1", "dask2", "twin")
DEFAULT_MODES = MODES[:-1]


def twin(corpus: Path, tmp: Path) -> dict[str, object]:
    """Two ``inproc`` children at once, each on one half of ``corpus``."""
    import resource
    import subprocess

    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    halves = []
    for i, part in enumerate((lines[:len(lines) // 2], lines[len(lines) // 2:])):
        half = tmp / f"twin-{i}-{time.time_ns()}.jsonl"
        half.write_text("".join(part), encoding="utf-8")
        halves.append(half)
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--child", "inproc", str(h), str(tmp)],
                              stdout=subprocess.PIPE, text=True) for h in halves]
    outs = [p.communicate()[0] for p in procs]
    wall = time.perf_counter() - t
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a twin child failed: {[p.returncode for p in procs]}")
    got = [json.loads([ln for ln in o.splitlines() if ln.strip()][-1]) for o in outs]
    cpu = sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
              for f in ("ru_utime", "ru_stime"))
    return {"mode": "twin", "seconds": wall, "startup": max(g["startup"] for g in got),
            "run": wall - max(g["startup"] for g in got),
            "first": min(g["first"] for g in got), "cpu": cpu, "cpu_self": 0.0,
            "articles": sum(g["articles"] for g in got), "events": sum(g["events"] for g in got)}


def child(mode: str, corpus: Path, tmp: Path) -> dict[str, object]:
    import resource

    from detente import api, distributed
    from detente.nlp import load_model

    if mode == "twin":
        return twin(corpus, tmp)
    first: list[float] = []
    t = time.perf_counter()

    def progress(done: int, events: int) -> None:
        if not first:
            first.append(time.perf_counter() - t)

    db = tmp / f"{mode}-{time.time_ns()}.duckdb"
    startup = 0.0
    if mode == "inproc":
        load_model()
        api.knowledge()
        startup = time.perf_counter() - t
        summary = api.ingest([str(corpus)], db=db, progress=progress)
    elif mode.startswith("workers"):
        summary = api.ingest([str(corpus)], db=db, progress=progress,
                             workers=int(mode.removeprefix("workers")))
    else:
        with distributed.dask_client("local", workers=int(mode.removeprefix("dask"))) as client:
            client.run(distributed.warm_up)
            startup = time.perf_counter() - t
            summary = api.ingest([str(corpus)], db=db, progress=progress,
                                 dask=client.scheduler.address)
            run_end = time.perf_counter() - t
    wall = time.perf_counter() - t
    if not mode.startswith("dask"):
        run_end = wall
    own, children = (sum(getattr(resource.getrusage(who), f) for f in ("ru_utime", "ru_stime"))
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"mode": mode, "seconds": wall, "startup": startup, "run": run_end - startup,
            "first": first[0] if first else 0.0, "cpu": own + children, "cpu_self": own,
            "articles": summary.articles, "events": summary.events}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default=",".join(DEFAULT_MODES),
                    help=f"comma-separated, from {', '.join(MODES)} (default: all but twin)")
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
    pairs = [("workers2", "workers1", "seconds"), ("dask2", "dask1", "seconds"),
             ("dask2", "dask1", "run"), ("workers2", "inproc", "seconds"),
             ("dask1", "workers1", "seconds"), ("twin", "inproc", "seconds"),
             ("workers2", "twin", "seconds")]
    for rep in range(args.repeat):
        got: dict[str, dict[str, object]] = {}
        for m in alternate(modes, rep):
            got[m] = run_child(Path(__file__), ["--child", m, str(corpus), str(tmp)],
                               sample=True)
            runs[m].append(got[m])
            line = (f"repeat {rep + 1} {m}: wall {float(got[m]['seconds']):.1f} s, load "
                    f"average after it {load()}")
            print(line, flush=True)  # once: stdout is the record, flushed as progress
        for a, b, key in pairs:
            if a in got and b in got:
                label = f"{a} / {b}" + (" after start-up" if key == "run" else " wall")
                ratios.setdefault(label, []).append(float(got[b][key]) / float(got[a][key]))

    n = int(next(iter(runs.values()))[0]["articles"])

    def med(rs: list[dict[str, object]], key: str) -> float:
        return median([float(str(r[key])) for r in rs])

    print(f"\nper run: {n} articles; {args.repeat} repeats; median [min-max]")
    print(f"{'mode':<9} {'wall s':>24} {'articles/s':>11} {'start-up s':>11} "
          f"{'after start-up/s':>17} {'first s':>8} {'cpu s':>7} {'parent':>7} {'peak RSS MB':>12}")
    for m, rs in runs.items():
        secs = [float(r["seconds"]) for r in rs]
        peak = max(float(r["peak_rss_mb"]) for r in rs)
        separate = m in ("inproc", "twin") or m.startswith("dask")
        start = f"{med(rs, 'startup'):.1f}" if separate else "(in wall)"
        after = f"{n / med(rs, 'run'):.2f}" if separate else "-"
        print(f"{m:<9} {spread(secs):>24} {n / median(secs):>11.2f} {start:>11} {after:>17} "
              f"{med(rs, 'first'):>8.1f} {med(rs, 'cpu'):>7.1f} {med(rs, 'cpu_self'):>7.1f} "
              f"{peak:>12.0f}")
    print("wall: the whole command, start-up included; start-up: loading the model and the "
          "knowledge (inproc), starting the cluster and loading them on its workers (dask); "
          "after start-up: articles/s of the ingest on the warm process or cluster; "
          "first: seconds to the first coded article; cpu s: the run's process tree; parent: "
          "the CPU of the calling process alone (in process: all of it; with workers or a "
          "Dask cluster: start-up, reading, dedup, the store writes and receiving the "
          "results; the rest is the workers'); "
          "peak RSS: all processes of the run together (workers included); twin: two "
          "independent in-process runs on the two halves at once (the cores' own ceiling)")
    for k, v in ratios.items():
        print(f"throughput ratio {k}, per repeat: {spread(v)}")
    footer()


if __name__ == "__main__":
    main()
