"""Benchmark: end-to-end throughput and peak memory, next to spaCy's own parse.

Usage::

    python bench/bench_throughput.py [--articles 2000] [--repeat 3] [--workers 1]
                                     [--data ../shared/data] [--baseline CHECKOUT]

Data: the benchmark corpus (``bench/corpus.py``), written once to a JSONL file.

Each repeat runs two measures, each in a fresh process (so peak memory is its own), in an
order that alternates between repeats:

- ``spacy``: the texts exactly as ``detente ingest`` reads them (read before timing), parsed
  by ``nlp.pipe(texts, batch_size=32)`` with the components detente loads
  (``detente.nlp.load_model``); with ``--workers N`` spaCy's own ``n_process=N``. This is
  the practical limit: detente cannot be faster than its parser.
- ``detente``: ``detente.ingest`` of the JSONL file into a fresh DuckDB store (read, skip
  stored, parse, actors, events, dedup, batched writes), with ``workers=N``.

The model is loaded before the clock starts in both, and detente's knowledge in detente's
(with ``--workers N > 1`` the worker processes load them inside the measured time, spaCy's
forked ones do not); the spaCy measure does not load the knowledge, so its garbage
collector does not walk detente's objects.

``--baseline CHECKOUT`` adds a third measure, ``baseline``: the ``detente`` measure of
another checkout of detente (its ``bench/bench_throughput.py`` run by its own
``.venv/bin/python``, e.g. ``main`` before a change), in the same rotation, so a change's
effect is measured side by side in one run.
Printed: wall seconds median [min-max], articles/s, sentences/s, events/s and the peak
resident memory of the process tree (sampled every 0.2 s); then, per repeat, the ratio of
detente's throughput to spaCy's (target >= 0.85) and to the 0.7 stories/s of PETRARCH2 +
CoreNLP that the speed issue quotes (target >= 100).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import PETRARCH2_STORIES_PER_S, footer, header, load, rotate, run_child, spread
from corpus import RECIPE, default_data, write_corpus


def child(measure: str, corpus: Path, workers: int, tmp: Path) -> dict[str, object]:
    from detente import api
    from detente.ingest import read
    from detente.nlp import load_model
    from detente.records import Article

    nlp = load_model()
    if measure != "spacy":
        api.knowledge()
    out: dict[str, object] = {"measure": measure}
    if measure == "spacy":
        texts = [a.text for a in read([str(corpus)]) if isinstance(a, Article)]
        t, c = time.perf_counter(), time.process_time()
        tokens = sentences = 0
        for doc in nlp.pipe(texts, batch_size=32, n_process=workers):
            tokens += len(doc)
            sentences += sum(1 for _ in doc.sents)
        out.update(seconds=time.perf_counter() - t, cpu=time.process_time() - c,
                   articles=len(texts), sentences=sentences, tokens=tokens, events=0)
    else:
        t, c = time.perf_counter(), time.process_time()
        summary = api.ingest([str(corpus)], db=tmp / f"e2e-{time.time_ns()}.duckdb",
                             workers=workers)
        out.update(seconds=time.perf_counter() - t, cpu=time.process_time() - c,
                   articles=summary.articles, sentences=summary.sentences,
                   events=summary.events, rejected=summary.rejected)
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another detente checkout (with its .venv) measured as 'baseline'")
    ap.add_argument("--child", nargs=3, metavar=("MEASURE", "CORPUS", "TMP"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measure, corpus, tmp = args.child
        print(json.dumps(child(measure, Path(corpus), args.workers, Path(tmp))))
        return

    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    corpus = write_corpus(tmp / "corpus.jsonl", args.articles, data=args.data or default_data())
    header("end-to-end throughput next to spaCy's parse",
           f"{args.articles} articles, {RECIPE}; workers {args.workers}")
    measures = ("spacy", "detente", "baseline") if args.baseline else ("spacy", "detente")
    if args.baseline:
        base = args.baseline.resolve()
        if not (base / ".venv" / "bin" / "python").is_file():
            sys.exit(f"--baseline {args.baseline}: no {base / '.venv/bin/python'}; give a "
                     "detente checkout with its own environment (git worktree add DIR COMMIT; "
                     "cd DIR && make setup)")
        print(f"baseline: {base} at {_commit(base)}; detente: {_commit(Path(__file__).parents[1])}")
    runs: dict[str, list[dict[str, object]]] = {m: [] for m in measures}
    ratio: list[float] = []
    for rep in range(args.repeat):
        got = {}
        for m in rotate(measures, rep):
            script, python, child_m = Path(__file__), None, m
            if m == "baseline":
                script = base / "bench" / "bench_throughput.py"
                python, child_m = str(base / ".venv" / "bin" / "python"), "detente"
            got[m] = run_child(script, ["--workers", str(args.workers), "--child", child_m,
                                        str(corpus), str(tmp)], sample=True, python=python)
            runs[m].append(got[m])
            print(f"repeat {rep + 1} {m}: {float(got[m]['seconds']):.1f} s, "
                  f"{float(got[m]['cpu']):.1f} s CPU, load average after it {load()}",
                  file=sys.stderr)
        ratio.append(float(got["spacy"]["seconds"]) / float(got["detente"]["seconds"]))

    n_art = int(runs["spacy"][0]["articles"])
    n_sent = int(runs["spacy"][0]["sentences"])
    n_tok = int(runs["spacy"][0]["tokens"])
    n_ev = int(runs["detente"][0]["events"])
    print(f"\nper run: {n_art} articles, {n_sent} sentences (spaCy's), {n_tok} tokens, "
          f"{n_ev} events; {args.repeat} repeats; median [min-max]")
    print(f"{'measure':<8} {'wall s':>24} {'cpu s':>8} {'articles/s':>11} {'sentences/s':>12} "
          f"{'tokens/s':>9} {'events/s':>9} {'peak RSS MB':>12}")
    for m, rs in runs.items():
        secs = [float(r["seconds"]) for r in rs]
        med = sorted(secs)[len(secs) // 2]
        cpu = sorted(float(r["cpu"]) for r in rs)[len(rs) // 2]
        peak = max(float(r["peak_rss_mb"]) for r in rs)
        print(f"{m:<8} {spread(secs):>24} {cpu:>8.1f} {n_art / med:>11.2f} "
              f"{n_sent / med:>12.1f} {n_tok / med:>9.0f} "
              f"{(n_ev / med if m != 'spacy' else 0):>9.1f} {peak:>12.0f}")
    print("sentences/s of both rows use spaCy's sentence count; detente stored "
          f"{int(runs['detente'][0]['sentences'])} non-empty sentences, "
          f"{int(runs['detente'][0]['articles'])} articles, "
          f"{int(runs['detente'][0].get('rejected', 0))} rejects")
    print(f"ratio detente / spaCy throughput, per repeat: {spread(ratio)} (target >= 0.85)")
    for m in measures[1:]:
        if m == "baseline":
            wall = [float(s["seconds"]) / float(d["seconds"])
                    for s, d in zip(runs["spacy"], runs[m], strict=True)]
            print(f"ratio baseline / spaCy throughput, per repeat: {spread(wall)}")
        cpu_ratio = [float(s["cpu"]) / float(d["cpu"])
                     for s, d in zip(runs["spacy"], runs[m], strict=True)]
        print(f"ratio spaCy CPU s / {m} CPU s (calling process), per repeat: "
              f"{spread(cpu_ratio)} (less sensitive to other load; meaningful with "
              "--workers 1)")
    if args.baseline:
        same = int(runs["baseline"][0]["events"]) == n_ev
        print(f"events: detente {n_ev}, baseline {int(runs['baseline'][0]['events'])} "
              f"({'same count' if same else 'DIFFERENT'})")
    for m in ("detente", "spacy"):
        rates = [n_art / float(r["seconds"]) / PETRARCH2_STORIES_PER_S for r in runs[m]]
        print(f"ratio {m} articles/s / PETRARCH2+CoreNLP {PETRARCH2_STORIES_PER_S} stories/s "
              f"(quoted, not measured): {spread(rates, '{:.1f}')} (target for detente >= 100)")
    footer()


def _commit(tree: Path) -> str:
    import subprocess

    out = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "?"


if __name__ == "__main__":
    main()
