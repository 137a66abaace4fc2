"""Dedup: reports whose actors are unknown matched on other evidence (docs/dedup.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import coded, make_event
from detente.dedup import (
    DedupConfig,
    EventClusterer,
    _name_words,
    _surnames,
    dedup_rows,
    evidence,
    reach,
    score,
    undated,
)
from detente.records import Article, Entity, Event, Evidence, Place
from detente.store import DedupBatch, Store

DAY = date(1989, 11, 16)
NOBODY = (Entity(code="", sector="MIL", text="armed men"),)


def attack(eid: str, sentence: str, *, day: date = DAY, article_id: str = "",
           actor: tuple[Entity, ...] = NOBODY, recipient: tuple[Entity, ...] = (),
           basis: str = "text", **kw: object) -> Event:
    """An ASSAULT whose actor the knowledge base does not know (as most of MUC-3/4's)."""
    e = make_event(eid, article_id=article_id or f"a-{eid}", event_type="ASSAULT",
                   actor=actor, recipient=None, day=day, date_basis=basis, objects=(),
                   evidence=Evidence(sentence=sentence, sentence_index=0, start=0,
                                     end=len(sentence)), **kw)
    return replace(e, recipient=recipient)


JESUITS = "Armed men killed the Jesuit priests Ignacio Ellacuria and Segundo Montes at dawn."
JESUITS_2 = "The murder of Ellacuria and Montes, rector of the university, shocked the city."
OTHER = "Gunmen killed a mayor, Carlos Lopez, in the market square of Zacatecoluca."


def test_dedup_name_words_skip_line_and_sentence_starts() -> None:
    words = _name_words("San Salvador, 1989-11-16\n\nSeveral Jesuit priests were killed. "
                        "Police said Ellacuria died on Thursday at the University of "
                        "Central America.")
    assert {"jesuit", "ellacuria", "university", "central", "america"} <= words
    assert not {"several", "police"} & words  # line and sentence starts
    assert "thursday" not in words  # dates are compared apart
    assert "san" not in words  # shorter than four letters


def test_dedup_evidence_signals() -> None:
    victim = Entity(code="", sector="REL", name="Ignacio Ellacuria", text="Ignacio Ellacuria")
    e = attack("e1", JESUITS, recipient=(victim,),
               location=Place(text="San Salvador", name="San Salvador", country="SLV",
                              geonameid=3583361))
    sig = evidence(e)
    assert "ASSAULT||v:~ignacio ellacuria" in sig
    assert "ASSAULT||p:g3583361" in sig
    assert "ASSAULT||t:ellacuria" in sig and "ASSAULT||t:montes" in sig
    negated = evidence(replace(e, factuality=replace(e.factuality, negated=True)))
    assert all(s.startswith("ASSAULT|N|") for s in negated)


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        ({"v:~x y"}, {"v:~x y"}, 0.6),
        ({"t:ellacuria", "t:montes", "t:jesuit"}, {"t:ellacuria", "t:montes", "t:jesuit"},
         0.6),  # name words count at most twice
        ({"t:ellacuria", "p:g1"}, {"t:ellacuria", "p:g1"}, 0.6),
        ({"t:ellacuria", "a:SLV/MIL"}, {"t:ellacuria", "a:SLV/REB"}, 0.0),  # other actors
        ({"t:ellacuria", "p:g1", "a:RUS"}, {"t:ellacuria", "p:g1", "a:RUS/MIL"}, 0.9),
        ({"t:ellacuria", "c:SLV/GOV"}, {"t:ellacuria", "c:HND/GOV"}, 0.0),
        ({"r:priests"}, {"r:priests", "t:ellacuria"}, 0.15),
    ],
)
def test_dedup_evidence_score(mine: set[str], theirs: set[str], expected: float) -> None:
    pre = "ASSAULT||"
    got = score(frozenset(pre + s for s in mine), frozenset(pre + s for s in theirs))
    assert got == pytest.approx(expected)


def test_dedup_unknown_actors_joined_on_shared_names() -> None:
    a = attack("e1", JESUITS)
    b = attack("e2", JESUITS_2, day=DAY + timedelta(days=1))
    c = attack("e3", OTHER)
    changed = EventClusterer(None).assign_batch([a, b, c])
    members = sorted(sorted(x.new_members) for x in changed)
    assert members == [["e1", "e2"], ["e3"]]
    # the threshold is configuration: above 1.5 only the actor rules merge
    off = EventClusterer(None, DedupConfig(match_threshold=2.0)).assign_batch([a, b, c])
    assert len(off) == 3


def test_dedup_evidence_needs_the_window_and_the_type() -> None:
    a = attack("e1", JESUITS)
    late = attack("e2", JESUITS_2, day=DAY + timedelta(days=9))
    assert len(EventClusterer(None).assign_batch([a, late])) == 2
    other_type = replace(attack("e3", JESUITS_2), event_type="COERCE")
    assert len(EventClusterer(None).assign_batch([a, other_type])) == 2


def test_dedup_common_name_words_are_no_evidence() -> None:
    # "Salvadoran" and "National" in many reports say nothing about which event
    clusterer = EventClusterer(None, DedupConfig(min_common=2))

    def report(i: int, day: date) -> Event:
        return attack(f"e{i}", f"Troops of the Salvadoran National Guard fought in "
                      f"Village{chr(97 + i)}ville today.", day=day)

    clusterer.assign_batch([report(i, DAY - timedelta(days=10 * i)) for i in range(1, 4)])
    assert clusterer._df["salvadoran"] == 3
    assert len(clusterer.assign_batch([report(4, DAY), report(5, DAY)])) == 2
    # while they were rare, two such reports of one day were one event
    fresh = EventClusterer(None, DedupConfig(min_common=2))
    assert len(fresh.assign_batch([report(4, DAY), report(5, DAY)])) == 1


def test_dedup_named_victim_joins_whoever_did_it_and_reaches_back() -> None:
    victim = (Entity(code="", sector="LEG", name="Luis Perez", text="Senator Luis Perez"),)
    shot = attack("e1", "Senator Luis Perez was shot dead.", recipient=victim)
    coded_actor = (Entity(code="COL", sector="CRM", name="Colombia", text="the cartel"),)
    later = attack("e2", "After the murder of Senator Luis Perez, arrests followed.",
                   day=DAY + timedelta(days=12), basis="publication", recipient=victim,
                   actor=coded_actor)
    config = DedupConfig()
    assert reach(later, config)[0] == DAY + timedelta(days=12 - config.lookback_days)
    changed = EventClusterer(None, config).assign_batch([shot, later])
    assert len(changed) == 1
    # a recollection dated by its publication does not stretch the event over two weeks
    assert (changed[0].date_lo, changed[0].date_hi) == (DAY, DAY)
    no_lookback = DedupConfig(lookback_days=0)
    assert len(EventClusterer(None, no_lookback).assign_batch([shot, later])) == 2


def test_dedup_victim_surnames() -> None:
    assert _surnames("~luis carlos galan sarmiento") == ("galan", "sarmiento")
    assert _surnames("~luis carlos galan") == ("galan",)
    assert _surnames("~galan") == ("galan",)
    assert _surnames("~jose ruiz") == ("ruiz",)
    assert _surnames("~ana paz") == ()  # too short to tell one person
    assert _surnames("COL/GOV") == ()  # a known actor is compared by its identity


def test_dedup_shortened_victim_name_joins() -> None:
    def victim(name: str) -> tuple[Entity, ...]:
        return (Entity(code="", sector="LEG", name=name, text=f"Senator {name}"),)

    full = attack("e1", "Senator Luis Carlos Galan Sarmiento was shot dead in Soacha.",
                  recipient=victim("Luis Carlos Galan Sarmiento"))
    short = attack("e2", "The killing of Galan shocked the country.",
                   day=DAY + timedelta(days=1), recipient=victim("Galan"))
    assert "ASSAULT||s:galan" in evidence(full) & evidence(short)
    # the surname is counted once, not again as a name word of the sentence
    assert score(evidence(full), evidence(short)) == pytest.approx(0.6)
    assert len(EventClusterer(None).assign_batch([full, short])) == 1
    other = attack("e3", "The killing of Perez shocked the country.",
                   day=DAY + timedelta(days=1), recipient=victim("Perez"))
    assert len(EventClusterer(None).assign_batch([full, other])) == 2
    late = replace(short, date=DAY + timedelta(days=9))
    assert len(EventClusterer(None).assign_batch([full, late])) == 2


def _write(store: Store, clusterer: EventClusterer, events: list[Event]) -> None:
    items = [coded(Article(id=e.article_id, published=e.date, text=e.evidence.sentence),
                   e) for e in events]
    index = store.article_index(clusterer.config)
    rows, clusters = dedup_rows([(c.article, c.events) for c in items], index=index,
                                clusterer=clusterer)
    store.write(items, dedup=DedupBatch(articles=rows, clusters=clusters,
                                        terms=clusterer.take_terms()))


def test_dedup_evidence_incremental_through_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        _write(store, EventClusterer(store), [attack("e1", JESUITS)])
    with Store(path) as store:  # a later run: the cluster comes from the store
        assert store.term_counts()[0] == 1
        clusterer = EventClusterer(store)
        _write(store, clusterer, [attack("e2", JESUITS_2, day=DAY + timedelta(days=2))])
        assert clusterer._n == 2 and clusterer._df["ellacuria"] == 2  # read, then counted
        assert store.event_cluster_id("e2") == store.event_cluster_id("e1") == "e1"
        assert store.term_counts()[1]["ellacuria"] == 2  # two mentions


def test_dedup_store_without_evidence_column_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.con.execute("ALTER TABLE event_clusters DROP COLUMN evidence")
    with Store(path, read_only=True) as store:  # readers leave it as it is
        assert "evidence" not in {r[0] for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'event_clusters'").fetchall()}
    with Store(path) as store:
        _write(store, EventClusterer(store), [attack("e1", JESUITS),
                                              attack("e2", JESUITS_2)])
        assert store.event_cluster_id("e2") == "e1"


SOYAPANGO = Place(text="Soyapango", name="Soyapango", country="SLV", geonameid=3583446)


def test_dedup_undated_mention_recalls_an_earlier_event_on_strong_evidence() -> None:
    # a mention dated only by its publication happened on or before that day: it may
    # join an event up to lookback_days earlier, beyond the window only on evidence of
    # that particular event (two rare names and the place: 0.9)
    config = DedupConfig()
    first = attack("e1", JESUITS, location=SOYAPANGO)
    later = attack("e2", JESUITS_2, day=DAY + timedelta(days=8), basis="publication",
                   location=SOYAPANGO)
    assert config.window_days < 8 <= config.lookback_days + config.window_days
    assert reach(later, config) == (DAY - timedelta(days=config.lookback_days - 8),
                                    DAY + timedelta(days=8))
    changed = EventClusterer(None, config).assign_batch([first, later])
    assert [sorted(c.new_members) for c in changed] == [["e1", "e2"]]
    # ... without widening the event to its publication date
    assert (changed[0].date_lo, changed[0].date_hi) == (DAY, DAY)
    # the same mention dated by its own text to that later day is another event
    dated = replace(later, date_basis="text")
    assert len(EventClusterer(None, config).assign_batch([first, dated])) == 2
    # two names without the place reach the match threshold, but not the look-back's
    no_place = replace(later, location=None)
    assert len(EventClusterer(None, config).assign_batch([first, no_place])) == 2
    # within the window of its publication date the usual threshold is enough
    near = replace(no_place, date=DAY + timedelta(days=2), published=DAY + timedelta(days=2))
    assert len(EventClusterer(None, config).assign_batch([first, near])) == 1
    # the look-back is configuration
    off = DedupConfig(lookback_days=0)
    assert len(EventClusterer(None, off).assign_batch([first, later])) == 2
    strict = DedupConfig(lookback_threshold=2.0)
    assert len(EventClusterer(None, strict).assign_batch([first, later])) == 2


def test_dedup_recollection_needs_more_than_agreeing_actors() -> None:
    # coded actors that agree say which actors, not which event: they do not count
    # towards a recollection's evidence (a name, the place and the actor: 0.6 + 0.3)
    army = (Entity(code="SLV", sector="MIL", name="El Salvador", text="the army"),)
    first = attack("e1", "Troops of the army fought the rebels near Guazapa.", actor=army,
                   location=SOYAPANGO)
    later = attack("e2", "The fighting near Guazapa went on.", actor=army,
                   day=DAY + timedelta(days=8), basis="publication", location=SOYAPANGO)
    assert score(evidence(later), evidence(first)) == pytest.approx(0.9)
    assert score(evidence(later), evidence(first), actors=False) == pytest.approx(0.6)
    assert len(EventClusterer(None).assign_batch([first, later])) == 2
    # within the window the same evidence joins them
    near = replace(later, date=DAY + timedelta(days=1), published=DAY + timedelta(days=1))
    assert len(EventClusterer(None).assign_batch([first, near])) == 1


def test_dedup_unknown_day_is_undated() -> None:
    # a past narration whose day is unknown is dated at its publication with precision
    # "unknown": it too happened on or before that day
    e = attack("e1", JESUITS, basis="text", date_precision="unknown")
    assert undated(e) and not undated(attack("e2", JESUITS, basis="text"))
    assert undated(attack("e3", JESUITS, basis="publication"))
    assert reach(e, DedupConfig())[0] == DAY - timedelta(days=DedupConfig().lookback_days)
