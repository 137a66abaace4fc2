"""Benchmark: the store's insert rate with real coded events.

Usage::

    python bench/bench_insert.py [--articles 20000] [--seed-articles 300] [--repeat 3]
                                 [--data ../shared/data]

Data: the first ``--seed-articles`` articles of the benchmark corpus (``bench/corpus.py``)
are coded once; their coded articles are then repeated with new article and event ids
(``<id>-<copy>``), dated ``7 * copy`` days later (as in the corpus recipe), up to
``--articles``, so the rows have the shapes and sizes of real output (article texts,
evidence sentences, entity lists). The copies are exact-body duplicates for the dedup stage.

Each repeat writes all of them into a fresh DuckDB file in batches of 64 (``detente
ingest``'s commit size), three ways:

- ``write``: ``Store.write`` only, the store held open (the batched Arrow inserts);
- ``dedup+write``: near-duplicate detection and event clustering (``dedup_rows``) and the
  write with its dedup rows, as ``detente ingest`` does per batch;
- ``session``: as ``dedup+write`` but opening and closing the DuckDB file for every batch,
  which ``detente ingest`` does so that readers in other processes get in between.

Printed: seconds median [min-max], articles/s, events/s and rows/s (articles + events +
entity and object rows). Analytics query latencies over a large store are in
``bench/bench_store.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import footer, header, spread
from corpus import RECIPE, default_data, write_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--seed-articles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()

    from detente import api
    from detente.dedup import DedupConfig, EventClusterer, dedup_rows
    from detente.ingest import read
    from detente.records import Article, CodedArticle
    from detente.store import DedupBatch, Store

    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    src = write_corpus(tmp / "seed.jsonl", args.seed_articles, data=args.data or default_data())
    header("store insert rate",
           f"{args.articles} coded articles: the first {args.seed_articles} of {RECIPE}, "
           "coded once and repeated with new ids")
    seed = [c for c in api.code_articles(a for a in read([str(src)]) if isinstance(a, Article))
            if isinstance(c, CodedArticle)]
    coded: list[CodedArticle] = []
    copy = 0
    while len(coded) < args.articles:
        for c in seed:
            if len(coded) >= args.articles:
                break
            aid = f"{c.article.id}-{copy}"
            shift = timedelta(days=7 * copy)
            evs = tuple(dataclasses.replace(e, id=f"{e.id}-{copy}", article_id=aid,
                                            date=e.date + shift, published=e.published + shift)
                        for e in c.events)
            art = dataclasses.replace(c.article, id=aid, published=c.article.published + shift)
            coded.append(CodedArticle(article=art, events=evs, sentences=c.sentences))
        copy += 1
    n_art = len(coded)
    n_ev = sum(len(c.events) for c in coded)
    n_rows = n_art + n_ev + sum(len(e.actor) + len(e.recipient) + len(e.objects)
                                for c in coded for e in c.events)
    batches = [coded[i:i + 64] for i in range(0, n_art, 64)]
    config = DedupConfig()

    def write_only(db: Path) -> None:
        with Store(db) as store:
            for b in batches:
                store.write(b, kb_version="bench", coder="bench")

    def dedup_write(db: Path) -> None:
        with Store(db) as store:
            index = store.article_index(config)
            clusterer = EventClusterer(store, config)
            for b in batches:
                rows, clusters = dedup_rows([(c.article, c.events) for c in b], index=index,
                                            clusterer=clusterer)
                store.write(b, kb_version="bench", coder="bench",
                            dedup=DedupBatch(articles=rows, clusters=clusters,
                                             terms=clusterer.take_terms()))

    def session(db: Path) -> None:
        with Store(db) as store:
            index = store.article_index(config)
        clusterer = EventClusterer(None, config)
        for b in batches:
            with Store(db) as store:
                clusterer.source = store
                rows, clusters = dedup_rows([(c.article, c.events) for c in b], index=index,
                                            clusterer=clusterer)
                store.write(b, kb_version="bench", coder="bench",
                            dedup=DedupBatch(articles=rows, clusters=clusters,
                                             terms=clusterer.take_terms()))
                clusterer.source = None

    measures: dict[str, Any] = {"write": write_only, "dedup+write": dedup_write,
                                "session": session}
    times: dict[str, list[float]] = {k: [] for k in measures}
    for rep in range(args.repeat):
        for name, fn in measures.items():
            db = tmp / f"{name}-{rep}.duckdb"
            t = time.perf_counter()
            fn(db)
            times[name].append(time.perf_counter() - t)
            db.unlink(missing_ok=True)
    print(f"\nper run: {n_art} articles, {n_ev} events, {n_rows} rows, {len(batches)} batches "
          f"of 64; {args.repeat} repeats; median [min-max]")
    print(f"{'measure':<12} {'seconds':>24} {'articles/s':>11} {'events/s':>10} {'rows/s':>10}")
    for name, v in times.items():
        med = sorted(v)[len(v) // 2]
        print(f"{name:<12} {spread(v):>24} {n_art / med:>11.0f} {n_ev / med:>10.0f} "
              f"{n_rows / med:>10.0f}")
    footer()


if __name__ == "__main__":
    main()
