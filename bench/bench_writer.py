"""Benchmark: the store writer's memory and time at scale, without the coding.

Usage::

    python bench/bench_writer.py [--articles 100000] [--coded STORE] [--data ../shared/data]

An ingest's calling process reads the input, deduplicates each batch against the store and
writes it (its workers only code). This script runs exactly that process's work,
``detente.api.ingest`` on the benchmark corpus (``bench/corpus.py``), with the coding
replaced by the events a real ingest stored for the same texts: each repeat of a text gets
its original's events, moved by the repeat's date shift and with new ids. So the writer's
memory and time at 100,000 articles are measured in minutes rather than the hour a full
``bench_memory.py`` run takes; ``bench_memory.py`` remains the figure of record.

``--coded`` names a store made by ``detente ingest`` of at least one round of the corpus
(3,115 texts); without it, one round is coded first with 2 workers (a few minutes).

Printed: wall seconds, articles/s, events; the peak resident memory of this process (sampled
every 0.1 s) overall and by tenths of the run; DuckDB's own memory at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from common import footer, header
from corpus import RECIPE, base_round, default_data, write_corpus


def coded_texts(store_path: Path) -> dict[str, tuple[Any, list[Any]]]:
    """Text -> (article, events) of the store's first article with that text."""
    from detente.store import Store

    out: dict[str, tuple[Any, list[Any]]] = {}
    with Store(store_path, read_only=True) as store:
        arts = list(store.iter_articles())
        events = store.events_for_articles([a.id for a in arts])
        for a in arts:
            out.setdefault(a.text, (a, events[a.id]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--coded", type=Path, default=None,
                    help="a store with one round of the corpus coded (else coded now)")
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    if args.coded is not None and not args.coded.is_file():
        ap.error(f"--coded {args.coded}: no such store (make one with `detente ingest "
                 "CORPUS --db FILE` over at least one round of bench/corpus.py)")
    if args.articles < 1:
        ap.error("--articles must be at least 1")
    import psutil

    from detente import api
    from detente.records import Article, CodedArticle, Reject

    data = args.data or default_data()
    tmp = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    header("the store writer's memory and time (coding replayed)",
           f"{args.articles} articles, {RECIPE}; events of each text from "
           f"{args.coded or 'one round coded now with 2 workers'}")
    coded = args.coded
    if coded is None:
        n = len(base_round(data))
        coded = tmp / "coded.duckdb"
        t = time.perf_counter()
        api.ingest([write_corpus(tmp / "round.jsonl", n, data=data)], db=coded, workers=2)
        print(f"coded one round ({n} texts) in {time.perf_counter() - t:.0f} s")
    by_text = coded_texts(coded)
    corpus = write_corpus(tmp / f"corpus-{args.articles}.jsonl", args.articles, data=data)

    missing: list[str] = []

    def replay(stack: Any, **_: Any) -> Any:
        def code(items: Iterable[Article | Reject]) -> Iterator[CodedArticle | Reject]:
            for it in items:
                if isinstance(it, Reject):
                    yield it
                    continue
                found = by_text.get(it.text)
                if found is None:
                    missing.append(it.id)
                    yield CodedArticle(it, (), 0)
                    continue
                base, events = found
                shift = it.published - base.published
                yield CodedArticle(it, tuple(
                    dataclasses.replace(
                        e, id=hashlib.sha1(f"{it.id}|{e.id}".encode()).hexdigest()[:16],
                        article_id=it.id, date=e.date + shift, published=it.published)
                    for e in events), 1)
        return code

    api._coder = replay  # type: ignore[assignment]  # the one part replaced
    proc = psutil.Process()
    samples: list[tuple[float, int]] = []
    done = threading.Event()
    t0 = time.perf_counter()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter() - t0, proc.memory_info().rss))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    db = tmp / "writer.duckdb"
    summary = api.ingest([corpus], db=db)
    secs = time.perf_counter() - t0
    done.set()
    sampler.join()
    tenths = []
    for k in range(1, 11):
        upto = [rss for ts, rss in samples if ts <= secs * k / 10]
        tenths.append(max(upto) / 2**20 if upto else 0.0)
    print(f"\n{summary.articles} articles written in {secs:.0f} s "
          f"({summary.articles / secs:.0f} articles/s), {summary.events} events, "
          f"{summary.duplicates} already stored")
    if missing:
        print(f"  {len(missing)} texts not in {coded} (stored without events)")
    print(f"  peak RSS of this process {max(r for _, r in samples) / 2**20:.0f} MB; "
          "by tenths of the run (MB): " + " ".join(f"{x:.0f}" for x in tenths))
    print(f"  store {db.stat().st_size / 2**20:.0f} MB")
    db.unlink(missing_ok=True)
    sys.stdout.flush()
    footer()


if __name__ == "__main__":
    main()
