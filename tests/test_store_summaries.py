"""Serving summaries: every answer read from them equals the answer computed from the
events, after writes, repeated writes, dedup changes and a rebuild."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import coded, make_article, make_event
from detente.dedup import DedupConfig, EventClusterer, dedup_rows
from detente.records import Entity, Factuality
from detente.store import DedupBatch, EventFilter, Store

CODES = ("USA", "TUR", "RUS", "CHN", "")
TYPES = (("REQUEST", 3, -5.0), ("AGREE", 1, 4.0), ("ASSAULT", 4, None), ("AID", 2, 7.0))


def ent(code: str, i: int) -> Entity:
    return Entity(code=code, sector=("GOV", "MIL", "")[i % 3], name=code or "someone",
                  text=f"{code.lower()} {i % 4}", office=("", "head of state")[i % 2],
                  cameo=code + "GOV", start=0, end=3)


def random_batches(seed: int, *, articles: int = 40, overlap: bool = True
                   ) -> list[list[Any]]:
    """Articles with events over many days: compound actors, codes on both sides (unless
    not ``overlap``), empty codes, negated and hypothetical events, missing Goldstein
    scores."""
    rng = random.Random(seed)
    batches: list[list[Any]] = []
    for a in range(articles):
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(400))
        events = []
        for k in range(rng.randrange(0, 4)):
            etype, quad, gold = rng.choice(TYPES)
            actors = tuple(ent(c, k) for c in rng.sample(CODES, rng.choice((1, 1, 1, 2))))
            recips = tuple(ent(c, k + 1) for c in rng.sample(CODES, rng.choice((0, 1, 1, 2)))
                           if overlap or c not in {x.code for x in actors})
            events.append(make_event(
                f"e{a}-{k}", article_id=f"a{a}", event_type=etype, actor=actors,
                recipient=None, day=day + timedelta(days=rng.randrange(-3, 2)),
                quad_class=quad, goldstein=gold, intensity=rng.choice((None, 1.0, -2.5)),
                confidence=rng.random(),
                factuality=Factuality(negated=rng.random() < 0.15,
                                      hypothetical=rng.random() < 0.1)))
            if recips:
                events[-1] = dataclasses.replace(events[-1], recipient=recips)
        item = coded(make_article(f"Article {a} about talks.", aid=f"a{a}", day=day),
                     *events)
        if not batches or rng.random() < 0.3:
            batches.append([])
        batches[-1].append(item)
    return batches


def fill(db: Path, seed: int, *, overlap: bool = True) -> Store:
    store = Store(db)
    config = DedupConfig()
    index = store.article_index(config)
    clusterer = EventClusterer(store, config)
    batches = random_batches(seed, overlap=overlap)
    for batch in [*batches, batches[0], batches[-1]]:  # the last two: written again
        rows, clusters = dedup_rows([(c.article, c.events) for c in batch], index=index,
                                    clusterer=clusterer)
        store.write(batch, dedup=DedupBatch(articles=rows, clusters=clusters,
                                            terms=clusterer.take_terms()))
    return store


def both_ways(store: Store, fn: Any) -> tuple[Any, Any]:
    assert store.summaries
    fast = fn()
    store.summaries = False
    try:
        slow = fn()
    finally:
        store.summaries = True
    return fast, slow


def approx(rows: Any) -> Any:
    if isinstance(rows, list):
        return [approx(r) for r in rows]
    if isinstance(rows, dict):
        return {k: approx(v) for k, v in rows.items()}
    if isinstance(rows, float):
        return pytest.approx(rows, abs=1e-9)
    return rows


@pytest.mark.parametrize("seed", [1, 2])
def test_store_summaries_match_the_events(tmp_path: Path, seed: int) -> None:
    with fill(tmp_path / "s.duckdb", seed) as store:
        assert store.summary_problems() == dict.fromkeys(
            ("sum_dyad_day", "sum_dyad_month", "sum_key_day", "sum_actor",
             "sum_actor_surface", "sum_clusters", "sum_event_entities"), 0)
        for a in ("USA", "TUR", "RUS"):
            for r in ("TUR", "CHN", "USA"):
                if a == r:
                    continue
                for kw in ({}, {"both_directions": True}, {"include_uncertain": True},
                           {"by": "day", "since": date(2021, 3, 1),
                            "until": date(2021, 9, 30)}, {"by": "year", "both_directions": True,
                                                          "include_uncertain": True}):
                    fast, slow = both_ways(store, lambda a=a, r=r, kw=kw:
                                           store.code_dyad_series(a, r, **kw))
                    assert fast == approx(slow), (a, r, kw)
            fast, slow = both_ways(store, lambda a=a: store.actor_stats(a))
            assert fast == slow
        for q in (None, "U", "us", "zz"):
            fast, slow = both_ways(store, lambda q=q: store.actor_list(q=q))
            assert [r["code"] for r in fast] == [r["code"] for r in slow]
            assert [r["events"] for r in fast] == [r["events"] for r in slow]


def test_store_summary_partners(tmp_path: Path) -> None:
    # the scan and the summaries agree unless an actor is on both sides of an event;
    # the summaries leave out partners without a code
    with fill(tmp_path / "p.duckdb", 4, overlap=False) as store:
        for a in ("USA", "TUR", "RUS", "CHN"):
            fast, slow = both_ways(store, lambda a=a: store.actor_partners(a, limit=50))
            assert fast == approx([r for r in slow if r["code"]]), a


def test_store_summary_clusters_and_pages(tmp_path: Path) -> None:
    with fill(tmp_path / "s.duckdb", 7) as store:
        fast, slow = both_ways(store, lambda: store.clusters(limit=1000))
        key = ("id", "mentions", "articles", "sources")
        assert [tuple(r[k] for k in key) for r in fast] == \
            [tuple(r[k] for k in key) for r in slow]
        for cid in [r["id"] for r in slow[:5]]:
            fast_c, slow_c = both_ways(store, lambda cid=cid: store.cluster(cid))
            assert fast_c == slow_c
        pages = [{}, {"actor": "USA"}, {"recipient": "TUR"}, {"actor": "RUS",
                 "recipient": "USA"}, {"event_type": "AID"}, {"actor": "USA",
                 "event_type": "ASSAULT", "since": date(2021, 2, 1)},
                 {"until": date(2021, 6, 1), "actor": "TUR"}, {"certain_only": True}]
        for filters in pages:
            for limit in (1, 7, 500):
                after = None
                for _ in range(4):  # follow the cursor
                    fast, slow = both_ways(store, lambda f=filters, a=after, n=limit:
                                           store.event_page(EventFilter(**f), after=a,
                                                            limit=n))
                    assert [r["id"] for r in fast] == [r["id"] for r in slow], filters
                    assert fast == slow
                    if len(slow) < limit:
                        break
                    after = (slow[-1]["date"], slow[-1]["id"])


def test_store_summaries_built_for_an_older_store(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with fill(db, 5) as store:
        expected = store.code_dyad_series("USA", "TUR", by="day", include_uncertain=True)
        for table in ("sum_dyad_day", "sum_dyad_month", "sum_key_day", "sum_actor",
                      "sum_actor_surface", "sum_clusters", "sum_event_entities"):
            store.con.execute(f"DROP TABLE {table}")
        store.con.execute("DELETE FROM meta WHERE key = 'summaries'")
    with Store(db, read_only=True) as ro:  # read-only: scans the events instead
        assert not ro.summaries
        assert ro.code_dyad_series("USA", "TUR", by="day", include_uncertain=True) == expected
    with Store(db) as store:  # opened for writing: built again
        assert store.summaries
        assert store.summary_problems()["sum_dyad_day"] == 0
        assert store.code_dyad_series("USA", "TUR", by="day",
                                      include_uncertain=True) == approx(expected)


def test_store_summaries_follow_dedup_rebuild(tmp_path: Path) -> None:
    from detente import api

    db = tmp_path / "r.duckdb"
    fill(db, 9).close()
    api.rebuild_dedup(db=db)
    with Store(db) as store:
        assert set(store.summary_problems().values()) == {0}
        store.clear_dedup()
        assert store.clusters() == []
        assert set(store.summary_problems().values()) == {0}
