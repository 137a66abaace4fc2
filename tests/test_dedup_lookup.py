"""Dedup: the store's candidate lookup (per-event date windows, the ``dedup_signals``
table) finds what the batch-wide query over every cluster's evidence list found, and
clusters the same."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conftest import coded, make_event
from detente.dedup import (
    BLOCKING_KINDS,
    Cluster,
    DedupConfig,
    EventClusterer,
    _kind,
    dedup_rows,
    evidence,
)
from detente.records import Article, Entity, Event, Evidence, Place
from detente.store import DedupBatch, Store

START = date(1989, 11, 1)
SURNAMES = ["Ellacuria", "Montes", "Velasquez", "Oqueli", "Quintero", "Jaramillo",
            "Galan", "Baena", "Flores", "Lopez"]
PLACES = ["Soyapango", "Zacatecoluca", "Medellin", "Tecun Uman", "Usulutan"]
CODES = ["USA", "RUS", "TUR", "SLV", "COL"]


def mixed_events(rng: random.Random, n: int, first: int) -> list[Event]:
    """Reports of all the kinds the clusterer treats apart: coded dyads, unknown actors
    with a named victim (dated by the text, or by publication: looking back), a victims'
    role with a place, name words only, month-precision dates, negated reports."""
    out = []
    for i in range(first, first + n):
        day = START + timedelta(days=rng.randrange(60))
        eid, aid = f"e{i:04d}", f"a{i // 3:04d}"
        kind = rng.randrange(5)
        name, place = rng.choice(SURNAMES), rng.choice(PLACES)
        sentence = f"Armed men attacked {name} near the {rng.choice(SURNAMES)} farm in {place}."
        e = make_event(eid, article_id=aid, day=day, objects=(),
                       evidence=Evidence(sentence=sentence, sentence_index=i % 3, start=0,
                                         end=len(sentence), trigger="attacked"))
        if kind == 0:  # coded dyad
            e = make_event(eid, article_id=aid, day=day, actor=rng.choice(CODES),
                           recipient=rng.choice(CODES), objects=())
        elif kind == 1:  # named victim
            victim = Entity(code="", name=f"Luis {name}", text=f"Luis {name}")
            e = replace(e, event_type="ASSAULT", actor=(Entity(code="", text="gunmen"),),
                        recipient=(victim,),
                        date_basis=rng.choice(("text", "publication")))
        elif kind == 2:  # a role and a place
            e = replace(e, event_type="ASSAULT", actor=(Entity(code="", text="gunmen"),),
                        recipient=(Entity(code="", text="three priests"),),
                        location=Place(text=place, name=place))
        elif kind == 3:  # name words only, sometimes a coarse date
            e = replace(e, event_type="COERCE", actor=(Entity(code="", text="men"),),
                        recipient=(), date_precision=rng.choice(("day", "week", "month")))
        else:  # coded, negated
            e = replace(make_event(eid, article_id=aid, day=day, actor=rng.choice(CODES),
                                   recipient=rng.choice(CODES), objects=()),
                        factuality=replace(e.factuality, negated=True))
        out.append(e)
    return out


def write(store: Store, clusterer: EventClusterer, events: list[Event]) -> None:
    by_article: dict[str, list[Event]] = {}
    for e in events:
        by_article.setdefault(e.article_id, []).append(e)
    items = [coded(Article(id=a, published=evs[0].date,
                           text=" ".join(e.evidence.sentence for e in evs)), *evs)
             for a, evs in by_article.items()]
    rows, clusters = dedup_rows([(c.article, c.events) for c in items],
                                index=store.article_index(clusterer.config),
                                clusterer=clusterer)
    store.write(items, dedup=DedupBatch(articles=rows, clusters=clusters,
                                        terms=clusterer.take_terms()))


class SpanStore(Store):
    """The lookup as it was: every key and signal over one interval spanning the batch,
    signals matched against every cluster's evidence list (``list_has_any``)."""

    def candidate_clusters(self, keys: Any, signals: Any = ()) -> list[Cluster]:
        rows = [*keys, *signals]
        lo, hi = min(r[1] for r in rows), max(r[2] for r in rows)
        return old_query(self, sorted({k for k, _, _ in keys}), lo, hi,
                         sorted({s for s, _, _ in signals}))


def old_query(store: Store, keys: list[str], lo: date, hi: date,
              signals: list[str]) -> list[Cluster]:
    found = store.con.execute(
        "SELECT id, key, date_lo, date_hi, modes, country, objects, evidence "
        "FROM event_clusters WHERE (key IN (SELECT unnest(?)) "
        "OR list_has_any(evidence, ?::VARCHAR[])) AND date_hi >= ? AND date_lo <= ? "
        "ORDER BY id", [keys, signals, lo, hi]).fetchall()
    return [Cluster(id=r[0], key=r[1], date_lo=r[2], date_hi=r[3],
                    modes=frozenset(r[4] or ()), country=r[5] or "",
                    objects=frozenset(r[6] or ()), evidence=(ev := frozenset(r[7] or ())),
                    indexed=ev) for r in found]


def state(store: Store) -> tuple[list[Any], list[Any]]:
    return (store.con.execute("SELECT * FROM event_mentions ORDER BY ALL").fetchall(),
            store.con.execute("SELECT id, key, date_lo, date_hi, list_sort(modes), country, "
                              "list_sort(objects), list_sort(evidence) FROM event_clusters "
                              "ORDER BY id").fetchall())


def test_dedup_lookup_clusters_as_the_batch_wide_query(tmp_path: Path) -> None:
    rng = random.Random(5)
    batches = [mixed_events(rng, 40, 40 * b) for b in range(8)]
    config = DedupConfig()
    with Store(tmp_path / "new.duckdb") as new, SpanStore(tmp_path / "old.duckdb") as old:
        ours, theirs = EventClusterer(new, config), EventClusterer(old, config)
        for events in batches:
            write(new, ours, events)
            write(old, theirs, events)
        assert state(new) == state(old)
        merged = new.con.execute("SELECT count(*) FROM event_clusters").fetchone()
        assert merged is not None and merged[0] < 320  # some reports were joined
        # the index holds each blocking signal of each cluster (nothing else)
        want = sorted((s, cid) for cid, ev in new.con.execute(
            "SELECT id, evidence FROM event_clusters").fetchall()
            for s in ev if _kind(s) in BLOCKING_KINDS)
        assert sorted(new.con.execute("SELECT DISTINCT * FROM dedup_signals").fetchall()
                      ) == want

        # with one window over the whole span, the lookup is the old query exactly
        probe = mixed_events(rng, 40, 10_000)
        lookups = ours._lookups(probe)
        keys = sorted({k for k, _, _ in lookups[0]})
        signals = sorted({s for e in probe for s in evidence(e) if _kind(s) in BLOCKING_KINDS})
        lo, hi = START - timedelta(days=20), START + timedelta(days=70)
        expected = old_query(new, keys, lo, hi, signals)
        got = new.candidate_clusters([(k, lo, hi) for k in keys],
                                     [(s, lo, hi) for s in signals])
        assert got == expected and len(got) > 20
        # per-event windows: a subset, and every cluster within reach of an event is in it
        near = new.candidate_clusters(*lookups)
        assert {c.id for c in near} < {c.id for c in got}
        for k, a, b in lookups[0]:
            assert {c.id for c in old_query(new, [k], a, b, [])} <= {c.id for c in near}
        for s, a, b in lookups[1]:
            assert {c.id for c in old_query(new, [], a, b, [s])} <= {c.id for c in near}


def test_dedup_store_without_signal_table_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    rng = random.Random(9)
    events = mixed_events(rng, 60, 0)
    with Store(path) as store:
        write(store, EventClusterer(store), events)
        want = sorted(store.con.execute("SELECT * FROM dedup_signals").fetchall())
        probe = EventClusterer(store)._lookups(mixed_events(rng, 30, 500))
        found = store.candidate_clusters(*probe)
        assert want and found
        store.con.execute("DROP TABLE dedup_signals")
    with Store(path, read_only=True) as store:  # read from the evidence lists
        assert store.candidate_clusters(*probe) == found
    with Store(path) as store:  # opened for writing: filled from the clusters
        assert sorted(store.con.execute("SELECT * FROM dedup_signals").fetchall()) == want
        assert store.candidate_clusters(*probe) == found
        store.clear_dedup()
        assert store.con.execute("SELECT count(*) FROM dedup_signals").fetchone() == (0,)
