"""Benchmark: the event coders side by side, after NLP, next to spaCy's own parse.

Usage::

    python bench/bench_coders.py [--articles 200] [--repeat 3] [--data ../shared/data]
                                 [--coder rules-1 --coder learned-1 --coder combined-1]

Data: the benchmark corpus of ``bench/corpus.py``, parsed once. Each repeat times, in this process:

- ``spacy``: ``nlp.pipe`` over the texts (the parse speed the pipeline is held to);
- ``actors``: the actors stage on the parsed records;
- one row per coder: the events stage alone (``code_events`` with that coder, learned
  models loaded beforehand), wall time and CPU time of this process.

It prints medians with the min-max spread, sentences per second per core (CPU time, so
other load on a shared machine counts less), and for each coder the ratio
``(spacy + actors + events) / spacy``: how far coding keeps the pipeline from spaCy's own
speed (the floor is 1.15). Nothing is asserted; the figures go into the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402
from corpus import iter_corpus  # noqa: E402


def _timed(fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--coder", action="append", help="coder name (repeatable)")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("DETENTE_DATA",
                                                                     "../shared/data")))
    args = ap.parse_args()
    coders = args.coder or ["rules-1", "learned-1", "combined-1"]

    import spacy

    import detente
    from detente.actors import annotate
    from detente.api import knowledge
    from detente.events import code_events
    from detente.learned import CODER_MODELS, load_event_model
    from detente.nlp import load_model, model_name, parse
    from detente.records import Article, ParsedArticle, content_hash

    corpus = list(iter_corpus(args.articles, data=args.data))
    articles = [Article(id=content_hash(c["text"]), published=date.fromisoformat(c["date"]),
                        text=c["text"], url=c["url"], source="bench") for c in corpus]
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"data: bench/corpus.py, {len(articles)} articles")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"versions: detente {detente.__version__}, spaCy {spacy.__version__}, "
          f"model {model_name()}")
    kb = knowledge()
    nlp = load_model()
    for c in coders:
        if c in CODER_MODELS:
            load_event_model(CODER_MODELS[c])
    parsed = [p for p in parse(articles, nlp=nlp) if isinstance(p, ParsedArticle)]
    n_sent = sum(len(p.sentences) for p in parsed)

    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    events: dict[str, int] = {}
    for _ in range(args.repeat):
        _, w, c = _timed(lambda: [None for _ in nlp.pipe((a.text for a in articles),
                                                         batch_size=32)])
        wall.setdefault("spacy", []).append(w)
        cpu.setdefault("spacy", []).append(c)
        anns, w, c = _timed(lambda: [annotate(p, kb=kb) for p in parsed])
        wall.setdefault("actors", []).append(w)
        cpu.setdefault("actors", []).append(c)
        for coder in coders:
            evs, w, c = _timed(lambda coder=coder, anns=anns: [  # type: ignore[misc]
                list(code_events(p, a, kb=kb, coder=coder)) for p, a in zip(parsed, anns,
                                                                            strict=True)])
            wall.setdefault(coder, []).append(w)
            cpu.setdefault(coder, []).append(c)
            events[coder] = sum(len(e) for e in evs)

    print(f"\nper repeat: {len(parsed)} articles, {n_sent} sentences; {args.repeat} repeats; "
          "median [min-max]")
    print(f"{'stage':<12} {'wall s':>22} {'cpu s':>8} {'sent/s/core (cpu)':>18} {'events':>7}")
    for k in wall:
        mw, mc = statistics.median(wall[k]), statistics.median(cpu[k])
        print(f"{k:<12} {mw:>9.3f} [{min(wall[k]):.3f}-{max(wall[k]):.3f}] {mc:>8.3f} "
              f"{n_sent / mc:>18.0f} {events.get(k, ''):>7}")
    sp, ac = statistics.median(cpu["spacy"]), statistics.median(cpu["actors"])
    for coder in coders:
        ev = statistics.median(cpu[coder])
        print(f"ratio (spacy + actors + {coder}) / spacy, cpu: {(sp + ac + ev) / sp:.3f}; "
              f"events stage alone: {n_sent / ev:.0f} sentences/s per core")


if __name__ == "__main__":
    main()
