"""Benchmark: knowledge loading and the actors stage's share of per-sentence time.

Usage::

    python bench/bench_actors.py [--articles 100] [--repeat 3] [--data ../shared/data]
                                 [--load-only]

Measures, on the dated news documents of india-police-events (file order):

- **knowledge load**, each in a fresh Python process so that nothing is cached in memory:
  ``cold`` (a fresh install's first run: an empty compiled-knowledge cache, the packaged
  snapshot of ``make snapshot`` / the wheel loaded), ``compile`` (cache and snapshot off:
  read, validate and index every file, as after a change to a knowledge file),
  ``warm`` (from the on-disk cache) and ``user layer`` (a new ``--kb`` directory holding
  one small file, empty cache: the packaged layer comes from the snapshot and only the
  user file is read; and the same with the snapshot off);
- per repeat, on the same parsed articles in one process: the ``nlp`` stage (spaCy parse
  and conversion to records), the ``actors`` stage (mentions, in-document resolution,
  objects, places) and the ``events`` stage (rules-1, which re-resolves people at event
  dates); the actors stage's share is ``actors / (nlp + actors + events)``, the per-sentence
  pipeline time it adds.

It prints the command, data, machine and medians with min-max over the repeats. Nothing is
asserted; the figures go into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load, machine  # noqa: E402

LOAD = ("import sys, time; t = time.perf_counter(); c = time.process_time(); "
        "import detente.knowledge as K; K.load_knowledge(sys.argv[1:], config=False); "
        "print(time.perf_counter() - t, time.process_time() - c)")
"""Timed in a child: import of the knowledge module plus loading (as a CLI call pays);
prints wall and CPU seconds (CPU time is what a busy shared machine inflates least)."""


def load_corpus(data: Path, n: int) -> list[dict[str, str]]:
    docs = [json.loads(line) for line in (data / "india-police-events" / "docs.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()]
    meta = {m["doc_id"]: m for m in (json.loads(line) for line in
            (data / "india-police-events" / "metadata.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip())}
    out = []
    for d in docs[:n]:
        m = meta.get(d["doc_id"], {})
        out.append({"id": d["doc_id"], "date": m.get("date", "2002-01-01"),
                    "text": d["doc_text"]})
    return out


def timed_load(cache: str, repeat: int, *, snapshot: bool = True, kb: str = ""
               ) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``repeat`` loads, each in a fresh process; ``cache`` is the
    compiled-knowledge cache directory (``off``: none), ``snapshot`` whether the packaged
    snapshot may be used."""
    env = dict(os.environ, DETENTE_CACHE_DIR=cache,
               DETENTE_SNAPSHOT="on" if snapshot else "off")
    wall, cpu = [], []
    for _ in range(repeat):
        res = subprocess.run([sys.executable, "-c", LOAD, *([kb] if kb else [])], env=env,
                             capture_output=True, text=True, check=True)
        w, c = res.stdout.strip().splitlines()[-1].split()
        wall.append(float(w))
        cpu.append(float(c))
    return wall, cpu


def fmt(v: list[float]) -> str:
    return f"{statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load-only", action="store_true",
                    help="only the knowledge-load figures (no spaCy model needed)")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("DETENTE_DATA",
                                                                     "../shared/data")))
    args = ap.parse_args()

    import detente
    from detente.actors import annotate
    from detente.events import code_events
    from detente.knowledge import load_knowledge
    from detente.nlp import load_model, parse
    from detente.records import Article, ParsedArticle, content_hash

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"load at start: {load()}")
    print(f"detente {detente.__version__}")

    from detente import knowledge as K

    if K.read_snapshot() is None:
        path, _ = K.build_snapshot()
        print(f"packaged snapshot: missing or stale, built {path} (as make setup does)")
    else:
        print(f"packaged snapshot: {K.SNAPSHOT} up to date")
    with tempfile.TemporaryDirectory() as tmp:
        cold: list[float] = []
        cold_cpu: list[float] = []
        for n in range(args.repeat):  # each in a new, empty cache directory
            w, c = timed_load(str(Path(tmp) / f"fresh{n}"), 1)
            cold += w
            cold_cpu += c
        comp, comp_cpu = timed_load("off", args.repeat, snapshot=False)
        warm_dir = str(Path(tmp) / "cache")
        timed_load(warm_dir, 1, snapshot=False)  # fill the cache
        warm, warm_cpu = timed_load(warm_dir, args.repeat, snapshot=False)
        user = Path(tmp) / "kb"
        user.mkdir()
        (user / "groups.yaml").write_text(
            "kind: groups\nversion: '1'\nsource: bench\nentries:\n  - {key: zorgs, source: "
            "bench (fictional), name: Zorg Front, country: FRA, sector: REB}\n",
            encoding="utf-8")
        layer: dict[bool, tuple[list[float], list[float]]] = {}
        for snap in (True, False):
            w_, c_ = [], []
            for n in range(args.repeat):
                w, c = timed_load(str(Path(tmp) / f"layer{snap}{n}"), 1, snapshot=snap,
                                  kb=str(user))
                w_ += w
                c_ += c
            layer[snap] = (w_, c_)
    for unit, a, b, c in (("wall", cold, comp, warm), ("CPU", cold_cpu, comp_cpu, warm_cpu)):
        print(f"knowledge load, fresh process, {unit} seconds: cold (fresh install, empty "
              f"cache, packaged snapshot) {fmt(a)}; compile (cache and snapshot off) {fmt(b)}; "
              f"warm (cache) {fmt(c)}")
    for unit, k in (("wall", 0), ("CPU", 1)):
        print(f"knowledge load with a new --kb directory (one file, empty cache), {unit} "
              f"seconds: packaged layer from the snapshot {fmt(layer[True][k])}; snapshot off "
              f"{fmt(layer[False][k])}")
    if args.load_only:
        return

    corpus = load_corpus(args.data, args.articles)
    articles = [Article(id=content_hash(c["text"]), published=date.fromisoformat(c["date"]),
                        text=c["text"], source="bench") for c in corpus]
    print(f"data: india-police-events docs.jsonl, first {len(articles)} articles")
    kb = load_knowledge(config=False)
    nlp = load_model()
    rows: dict[str, list[float]] = {}
    share: list[float] = []
    n_sent = 0
    for _ in range(args.repeat):
        t = time.perf_counter()
        parsed = [p for p in parse(articles, nlp=nlp) if isinstance(p, ParsedArticle)]
        t_nlp = time.perf_counter() - t
        n_sent = sum(len(p.sentences) for p in parsed)
        t = time.perf_counter()
        anns = [annotate(p, kb=kb) for p in parsed]
        t_act = time.perf_counter() - t
        t = time.perf_counter()
        for p, a in zip(parsed, anns, strict=True):
            list(code_events(p, a, kb=kb))
        t_ev = time.perf_counter() - t
        for k, v in (("nlp", t_nlp), ("actors", t_act), ("events", t_ev)):
            rows.setdefault(k, []).append(v)
        share.append(t_act / (t_nlp + t_act + t_ev))
    print(f"per repeat: {len(articles)} articles, {n_sent} sentences; {args.repeat} repeats")
    for k, v in rows.items():
        med = statistics.median(v)
        print(f"{k:<8} seconds {fmt(v)}  ms/sentence {1000 * med / max(n_sent, 1):.2f}")
    print(f"actors share of nlp+actors+events time: median {statistics.median(share):.3f} "
          f"[{min(share):.3f}-{max(share):.3f}]")


if __name__ == "__main__":
    main()
