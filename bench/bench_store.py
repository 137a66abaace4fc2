"""Benchmark: analytics latency over a large store, and the dedup rate.

Usage::

    python bench/bench_store.py [--events 10000000] [--repeat 5] [--db /tmp/bench.duckdb]
                                [--dedup-articles 100000] [--skip-queries]

Data. The store is filled with *synthetic* events made inside DuckDB (so building ten
million rows takes a minute, not an hour): dates uniform over 2000-2025; actor and
recipient drawn from 60 ISO-3166 codes with a skew (code i has weight 1/(i+1)), sectors
from GOV/MIL/CVL/REB; event types drawn from the 16 PLOVER types with their quad class;
Goldstein from the type's CAMEO root value; 5% negated, 3% hypothetical. Each event has
one actor and one recipient row in ``event_entities``. The database is kept at ``--db`` and
reused when it already holds the requested number of events.

The dedup measure codes nothing: it feeds ``--dedup-articles`` synthetic articles (random
word sequences over a 5,000-word vocabulary, 10% of them near-copies of an earlier one with
a changed first line) and their synthetic events through the same ``dedup_rows`` +
``Store.write`` path as ``detente ingest``, in batches of 64, against the store.

Prints the command, data, machine, versions, then per query the median and min-max over
``--repeat`` runs (the first, cold run reported apart).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

TYPES = [("AGREE", 1, 4.0, "030"), ("CONSULT", 1, 1.0, "040"), ("SUPPORT", 1, 3.5, "050"),
         ("CONCEDE", 1, 5.0, "080"), ("COOPERATE", 2, 6.0, "060"), ("AID", 2, 7.0, "070"),
         ("RETREAT", 2, 5.0, "087"), ("REQUEST", 3, -5.0, "100"), ("ACCUSE", 3, -2.0, "110"),
         ("REJECT", 3, -4.0, "120"), ("THREATEN", 3, -6.0, "130"), ("PROTEST", 4, -6.5, "140"),
         ("SANCTION", 4, -4.0, "160"), ("MOBILIZE", 4, -7.2, "150"), ("COERCE", 4, -7.0, "170"),
         ("ASSAULT", 4, -9.0, "180")]
CODES = ("USA RUS CHN TUR GBR FRA DEU UKR ISR IRN IND JPN PAK AFG IRQ SYR SAU EGY KOR PRK BRA "
         "MEX CAN AUS ITA ESP POL NLD BEL SWE NOR FIN GRC HUN ROU BGR SRB HRV AZE ARM GEO "
         "KAZ UZB IDN MYS PHL THA VNM MMR BGD LKA NPL NGA ETH KEN ZAF SDN LBY TUN DZA").split()


def build(con: object, n: int) -> None:
    import duckdb

    assert isinstance(con, duckdb.DuckDBPyConnection)
    con.execute("CREATE TEMP TABLE types AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, '{t}', {q}, {g}, '{c}')" for i, (t, q, g, c) in enumerate(TYPES))
        + ") v(i, event_type, quad, goldstein, cameo)")
    con.execute("CREATE TEMP TABLE codes AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, '{c}')" for i, c in enumerate(CODES)) + ") v(i, code)")
    k = len(CODES)
    # skewed code index: floor(k ** random()) - 1 gives weights ~ 1/(i+1)
    con.execute(f"""
        CREATE TEMP TABLE raw AS SELECT
          'e' || lpad(i::VARCHAR, 9, '0') AS id,
          'a' || lpad((i // 5)::VARCHAR, 9, '0') AS article_id,
          (DATE '2000-01-01' + (random() * 9490)::INT) AS d,
          (random() * 15.999)::INT AS t,
          least(floor(pow({k}, random()))::INT - 1, {k - 1}) AS a,
          least(floor(pow({k}, random()))::INT - 1, {k - 1}) AS r,
          (random() * 3.999)::INT AS s,
          random() < 0.05 AS neg, random() < 0.03 AS hyp
        FROM range({n}) t(i)""")
    con.execute("BEGIN")
    con.execute("""
        INSERT INTO events (id, article_id, event_type, mode, context, cameo, goldstein,
          quad_class, intensity, date, date_precision, date_basis, date_text, published,
          actor_codes, recipient_codes, negated, hypothetical, future, historical, confidence,
          content, sentence_index, sentence, sentence_start, sentence_end, trigger,
          trigger_start, trigger_end, url, coder, kb_version)
        SELECT raw.id, article_id, ty.event_type, [], [], ty.cameo, ty.goldstein, ty.quad,
          ty.goldstein, d, 'day', 'publication', '', d, [ca.code], [cr.code], neg, hyp, false,
          false, 0.7, '', 0, 'synthetic', 0, 9, 'x', 0, 1, '', 'synthetic', 'synthetic'
        FROM raw JOIN types ty ON ty.i = raw.t JOIN codes ca ON ca.i = raw.a
        JOIN codes cr ON cr.i = raw.r""")
    for role, col in (("actor", "a"), ("recipient", "r")):
        con.execute(f"""
            INSERT INTO event_entities SELECT raw.id, '{role}', 0, c.code,
              ['GOV','MIL','CVL','REB'][s + 1], c.code, c.code, '', '', c.code || 'GOV', '',
              -1, -1
            FROM raw JOIN codes c ON c.i = raw.{col}""")
    con.execute("COMMIT")
    con.execute("DROP TABLE raw")


def timed(fn: object, repeat: int) -> tuple[float, list[float]]:
    assert callable(fn)
    t = time.perf_counter()
    fn()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t)
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, default=Path("/tmp/detente-bench-store.duckdb"))
    ap.add_argument("--dedup-articles", type=int, default=100_000)
    args = ap.parse_args()

    import duckdb

    import detente

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"versions: detente {detente.__version__}, duckdb {duckdb.__version__}")
    if args.events:
        bench_queries(args)
    if args.dedup_articles:
        bench_dedup(args.dedup_articles)


def bench_queries(args: argparse.Namespace) -> None:
    from detente.store import Store

    store = Store(args.db)
    have = store.counts()["events"]
    if have != args.events:
        store.close()
        args.db.unlink(missing_ok=True)
        store = Store(args.db)
        t = time.perf_counter()
        build(store.con, args.events)
        store.rebuild_summaries()  # the rows above bypassed Store.write
        print(f"built {args.events:,} synthetic events in {time.perf_counter() - t:.1f} s")
    size = args.db.stat().st_size / 1e9
    print(f"data: {args.events:,} synthetic events (see the module docstring), "
          f"file {size:.2f} GB at {args.db}")

    queries = {
        "dyad USA->TUR by month": lambda: store.dyad_series("USA", "TUR", by="month"),
        "dyad USA<->RUS by week": lambda: store.dyad_series("USA", "RUS", by="week",
                                                            both_directions=True),
        "top actors": lambda: store.top_actors(limit=20),
        "network": lambda: store.network(min_events=10),
        "events actor=CHN 2020 page": lambda: store.events(actor="CHN",
                                                           since=date(2020, 1, 1), limit=50),
        "events type=ASSAULT page": lambda: store.events(event_type="ASSAULT", limit=50),
        "alerts by month, last 12 months": lambda: store.shifts(by="month",
                                                                since=date(2025, 1, 1)),
        "alerts by week, last 12 weeks": lambda: store.shifts(by="week",
                                                              since=date(2025, 10, 1)),
        "alerts by month, all 26 years": lambda: store.shifts(by="month"),
    }
    print(f"\n{'query':<34} {'cold s':>8} {'median s':>9} {'min-max s':>15}")
    for name, fn in queries.items():
        cold, warm = timed(fn, args.repeat)
        print(f"{name:<34} {cold:>8.3f} {statistics.median(warm):>9.3f} "
              f"{min(warm):>7.3f}-{max(warm):.3f}")
    store.close()


def bench_dedup(n: int) -> None:
    import tempfile

    from detente.dedup import DedupConfig, EventClusterer, dedup_rows
    from detente.records import (
        Article,
        CodedArticle,
        Entity,
        Event,
        Evidence,
    )
    from detente.store import DedupBatch, Store

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(5000)]
    texts: list[str] = []

    def article(i: int) -> tuple[Article, list[Event]]:
        if texts and rng.random() < 0.1:
            body = "Updated: " + rng.choice(texts)
        else:
            body = " ".join(rng.choices(vocab, k=300))
            texts.append(body)
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(365))
        art = Article(id=f"a{i:08d}", published=day, text=body, url=f"https://s{i % 50}.org/")
        evs = []
        for j in range(3):
            t, q, g, c = rng.choice(TYPES)
            a, r = rng.choice(CODES[:20]), rng.choice(CODES[:20])
            evs.append(Event(id=f"e{i:08d}{j}", article_id=art.id, event_type=t, cameo=c,
                             goldstein=g, quad_class=q, intensity=g, date=day,
                             date_precision="day", date_basis="publication", date_text="",
                             published=day, actor=(Entity(code=a),),
                             recipient=(Entity(code=r),),
                             evidence=Evidence(sentence="s", sentence_index=j, start=0, end=1)))
        return art, evs

    config = DedupConfig()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "d.duckdb") as store:
        index = store.article_index(config)
        clusterer = EventClusterer(store, config)
        t = time.perf_counter()
        links = 0
        last_tenth = 0.0
        batch: list[CodedArticle] = []
        for i in range(n):
            art, evs = article(i)
            batch.append(CodedArticle(article=art, events=tuple(evs), sentences=1))
            if len(batch) == 64 or i == n - 1:
                t_batch = time.perf_counter()
                rows, clusters = dedup_rows([(b.article, b.events) for b in batch],
                                            index=index, clusterer=clusterer)
                links += sum(1 for r in rows if r[3] is not None)
                store.write(batch, dedup=DedupBatch(articles=rows, clusters=clusters,
                                                    terms=clusterer.take_terms()))
                if i >= n - n // 10:
                    last_tenth += time.perf_counter() - t_batch
                batch = []
        secs = time.perf_counter() - t
        counts = store.dedup_counts()
        t = time.perf_counter()
        reloaded = store.article_index(config)
        load = time.perf_counter() - t
    tenth = n // 10
    print(f"\ndedup: {n:,} synthetic articles (3 events each, 10% near-copies) deduplicated "
          f"and written in {secs:.1f} s ({n / secs:.0f} articles/s, synthetic generation "
          f"included); the last {tenth:,} (checked against {n - tenth:,} stored) took "
          f"{last_tenth:.1f} s ({tenth / max(last_tenth, 1e-9):.0f} articles/s, dedup and "
          f"write only); {links:,} linked as copies, {counts['clusters']:,} clusters from "
          f"{counts['mentions']:,} mentions; reloading the LSH index of "
          f"{len(reloaded):,} articles (what the next ingest does first) took {load:.1f} s")


if __name__ == "__main__":
    main()
