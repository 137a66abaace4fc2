"""Dedup: near-duplicate articles and event clusters, incremental through the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import coded, make_event
from detente.dedup import (
    ArticleIndex,
    DedupConfig,
    EventClusterer,
    blocking_key,
    body_hash,
    dedup_rows,
    identity,
    signature,
    source_name,
)
from detente.records import Article, Entity, EventObject, Factuality, Place
from detente.store import DedupBatch, Store

BODY = ("The foreign ministers of the two countries met in the capital on Tuesday to discuss "
        "a new trade agreement, officials said, adding that talks would continue next month "
        "with a focus on energy, transport and customs rules along the shared border. ") * 2


def art(aid: str, text: str, *, url: str = "", publisher: str = "") -> Article:
    return Article(id=aid, published=date(2021, 5, 4), text=text, url=url,
                   publisher=publisher)


def test_dedup_body_hash_ignores_case_and_spacing() -> None:
    assert body_hash("Hello,  World\n") == body_hash("hello world")
    assert body_hash("hello world") != body_hash("hello there")


def test_dedup_short_texts_have_no_signature() -> None:
    assert signature("too short to shingle") is None
    sig = signature(BODY)
    assert sig is not None and len(sig) == DedupConfig().num_perm


@pytest.mark.parametrize(
    ("copy", "kind"),
    [
        (BODY, "exact-body"),
        ("ANKARA (Reuters) - " + BODY + " Reporting by a correspondent.", "near"),
        ("An unrelated report about floods in the north of the country, where rivers rose "
         "after days of rain and thousands of people left their homes for shelters. " * 2,
         None),
    ],
)
def test_dedup_article_index_links_copies(copy: str, kind: str | None) -> None:
    index = ArticleIndex()
    assert index.link(art("a1", BODY))[0] is None
    link = index.link(art("a2", copy))[0]
    assert (link.kind if link else None) == kind
    if link:
        assert link.duplicate_of == "a1"


def test_dedup_copy_of_a_copy_points_to_the_original() -> None:
    index = ArticleIndex()
    index.link(art("a1", BODY))
    index.link(art("a2", BODY + " Extra line at the end of the wire copy."))
    link = index.link(art("a3", BODY))
    assert link[0] is not None and link[0].duplicate_of == "a1"


def test_dedup_blocking_key_consult_is_symmetric() -> None:
    a = make_event("x", event_type="CONSULT", actor="TUR", recipient="RUS")
    b = make_event("y", event_type="CONSULT", actor="RUS", recipient="TUR")
    assert blocking_key(a) == blocking_key(b)
    c = make_event("z", actor="TUR", recipient="RUS")
    d = make_event("w", actor="RUS", recipient="TUR")
    assert blocking_key(c) != blocking_key(d)


@pytest.mark.parametrize(
    ("other", "same"),
    [
        ({"day": date(2021, 10, 3)}, True),                      # within window
        ({"day": date(2021, 10, 9)}, False),                     # beyond window
        ({"day": date(2021, 9, 26), "date_precision": "week"}, True),  # week covers it
        ({"event_type": "ACCUSE"}, False),
        ({"recipient": "RUS"}, False),
        ({"factuality": Factuality(negated=True)}, False),
        ({"mode": ("phone",)}, False),
        ({"objects": (EventObject(text="F-35", name="F-35"),)}, False),
        ({"location": Place(text="Paris", country="FRA")}, False),
    ],
)
def test_dedup_event_compatibility(other: dict[str, object], same: bool) -> None:
    base = make_event("e1", mode=("change",), location=Place(text="Ankara", country="TUR"))
    clusterer = EventClusterer(None)
    kw = {"mode": ("change",), "location": Place(text="Ankara", country="TUR"), **other}
    new = make_event("e2", **kw)  # type: ignore[arg-type]
    changed = clusterer.assign_batch([base, new])
    assert (len(changed) == 1) is same


def write_batch(store: Store, index: ArticleIndex, clusterer: EventClusterer,
                items: list) -> None:  # type: ignore[type-arg]
    rows, clusters = dedup_rows([(c.article, c.events) for c in items], index=index,
                                clusterer=clusterer)
    store.write(items, dedup=DedupBatch(articles=rows, clusters=clusters,
                                        terms=clusterer.take_terms()))


def test_dedup_incremental_through_store(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    config = DedupConfig()
    with Store(db) as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config), [
            coded(art("a1", BODY, url="https://www.example.org/1"), make_event("e1")),
            coded(art("a2", "Copy: " + BODY, url="https://wire.example.com/2"),
                  make_event("e2", article_id="a2")),
        ])
    # a later run, new process: state comes from the store only
    with Store(db) as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config), [
            coded(art("a3", "A different story about the same meeting, told from scratch by "
                      "another agency with its own words and details about the talks, "
                      "which were described as constructive by both delegations today.",
                      publisher="Agency Three"),
                  make_event("e3", article_id="a3", day=date(2021, 10, 2)),
                  make_event("e4", article_id="a3", event_type="ACCUSE")),
        ])
        clusters = store.clusters()
        top = clusters[0]
        assert top["id"] == "e1"
        assert (top["mentions"], top["articles"], top["sources"]) == (3, 2, 3)
        assert len(clusters) == 2
        detail = store.cluster("e1")
        assert [m["event_id"] for m in detail["mentions_list"]] == ["e1", "e2", "e3"]
        assert store.article_links()[0]["duplicate_of"] == "a1"


def test_dedup_source_name() -> None:
    assert source_name(art("a", "x", url="https://www.bbc.co.uk/news/1")) == "bbc.co.uk"
    assert source_name(art("a", "x", url="https://x.org", publisher="AFP ")) == "afp"
    assert source_name(art("a", "x")) == ""


def test_dedup_compound_actor_order_does_not_matter() -> None:
    e1 = make_event("a", actor=(Entity(code="HUN"), Entity(code="ROU")))
    e2 = make_event("b", actor=(Entity(code="ROU"), Entity(code="HUN")))
    assert blocking_key(e1) == blocking_key(e2)


def test_dedup_near_duplicate_found_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    config = DedupConfig()
    with Store(db) as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config),
                    [coded(art("a1", BODY))])
    with Store(db) as store:
        index = store.article_index(config)
        assert len(index) == 1
        link = index.link(art("a2", "LONDON - " + BODY))[0]
        assert link is not None and link.kind == "near" and link.duplicate_of == "a1"


def named(text: str, *, code: str = "", sector: str = "", kb_key: str = "") -> Entity:
    return Entity(code=code, sector=sector, name=text, text=text, kb_key=kb_key)


@pytest.mark.parametrize(("ent", "want"), [
    (Entity(code="TUR", sector="GOV"), "TUR/GOV"),
    (Entity(code="TUR"), "TUR"),
    (Entity(code="COL", sector="REB", kb_key="groups:farc"), "COL/REB/farc"),
    (Entity(code="USA", sector="GOV", kb_key="people:biden"), "USA/GOV"),
    (named("Senator Ana Ruiz"), "~senator ana ruiz"),
    (Entity(code="", sector="MIL", text="troops"), None),
])
def test_dedup_identity(ent: Entity, want: str | None) -> None:
    assert identity(ent) == want


@pytest.mark.parametrize(("kw", "solo"), [
    ({}, False),                                                  # both sides known
    ({"recipient": None}, False),                                 # one side, an object
    ({"recipient": None, "objects": ()}, True),                   # one side, no anchor
    ({"recipient": None, "location": Place(text="Mosul", name="Mosul")}, False),
    ({"recipient": None, "actor": (named("Ana Ruiz"),), "objects": ()}, True),  # acting
    ({"actor": (Entity(code="", sector="REB"),), "recipient": "victim", "objects": ()},
     False),                                                      # a named victim
    ({"actor": (Entity(code="", sector="MIL"),), "recipient": None}, True),
    ({"recipient": None, "actor": (Entity(code="COL", sector="REB", kb_key="groups:eln"),),
      "objects": ()}, True),                                      # a group acting: too common
])
def test_dedup_blocking_key_needs_identity(kw: dict[str, object], solo: bool) -> None:
    victim = kw.get("recipient") == "victim"
    if victim:
        kw = {**kw, "recipient": None}
    e = make_event("e1", **kw)  # type: ignore[arg-type]
    if victim:
        e = replace(e, recipient=(named("Ana Ruiz"),))
    assert blocking_key(e).startswith("solo|") is solo


def test_dedup_unidentified_events_never_merge() -> None:
    anon = {"actor": (Entity(code="", sector="MIL"),), "recipient": None, "objects": ()}
    a, b = make_event("x", **anon), make_event("y", **anon)  # type: ignore[arg-type]
    clusters = EventClusterer(None).assign_batch([a, b])
    assert len(clusters) == 2


def test_dedup_coarse_dates_join_but_do_not_widen() -> None:
    year = make_event("y", day=date(2021, 1, 1), date_precision="year")
    day1 = make_event("d1", day=date(2021, 3, 1))
    day2 = make_event("d2", day=date(2021, 9, 1))
    changed = EventClusterer(None).assign_batch([day1, year, day2])
    first = next(c for c in changed if "d1" in c.new_members)
    # the year-dated report joins the March event, which stays a one-day event, so the
    # September report is not swallowed by it
    assert first.new_members == ["d1", "y"]
    assert (first.date_lo, first.date_hi) == (date(2021, 3, 1), date(2021, 3, 1))
    assert len(changed) == 2


def test_dedup_copy_events_join_their_twins_across_runs(tmp_path: Path) -> None:
    """Events of a re-published article join the original's clusters even when their
    keys identify nothing (they would otherwise count as new events)."""
    db = tmp_path / "c.duckdb"
    config = DedupConfig()
    anon = {"actor": (Entity(code="", sector="MIL"),), "recipient": None, "objects": ()}
    with Store(db) as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config), [
            coded(art("a1", BODY), make_event("e1", **anon),  # type: ignore[arg-type]
                  make_event("e2"))])
    with Store(db) as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config), [
            coded(art("a2", "ANKARA (Wire) - " + BODY),
                  make_event("c1", article_id="a2", **anon),  # type: ignore[arg-type]
                  make_event("c2", article_id="a2", day=date(2021, 10, 2)))])
        clusters = {c["id"]: c for c in store.clusters(limit=10)}
        assert set(clusters) == {"e1", "e2"}
        assert all((c["mentions"], c["articles"]) == (2, 1) for c in clusters.values())
        assert [m["event_id"] for m in store.cluster("e1")["mentions_list"]] == ["e1", "c1"]


def test_dedup_copy_in_the_same_batch(tmp_path: Path) -> None:
    config = DedupConfig()
    anon = {"actor": (Entity(code="", sector="MIL"),), "recipient": None, "objects": ()}
    with Store(tmp_path / "b.duckdb") as store:
        write_batch(store, store.article_index(config), EventClusterer(store, config), [
            coded(art("a1", BODY), make_event("e1", **anon)),  # type: ignore[arg-type]
            coded(art("a2", BODY + " Reporting by a correspondent."),
                  make_event("c1", article_id="a2", **anon))])  # type: ignore[arg-type]
        assert [(c["id"], c["mentions"]) for c in store.clusters()] == [("e1", 2)]


def test_dedup_daily_reports_do_not_chain_into_a_long_event() -> None:
    days = [make_event(f"d{i:02d}", day=date(2021, 3, 1) + (date(2021, 3, 3) - date(2021, 3, 1))
                       * i, date_basis="text") for i in range(10)]  # every second day, 3 weeks
    changed = EventClusterer(None, DedupConfig(window_days=3, max_span_days=7)).assign_batch(
        days)
    assert len(changed) >= 3
    assert all((c.date_hi - c.date_lo).days <= 7 for c in changed)
    one = EventClusterer(None, DedupConfig(window_days=3, max_span_days=60)).assign_batch(days)
    assert len(one) == 1


def test_dedup_undated_reports_do_not_stretch_an_event() -> None:
    # reports dated only by their publication happened on or before it: they may join an
    # event a few days earlier, but never widen it, so they cannot chain either
    days = [make_event(f"d{i:02d}", day=date(2021, 3, 1) + timedelta(days=2 * i))
            for i in range(10)]
    changed = EventClusterer(None, DedupConfig(window_days=3, max_span_days=60)).assign_batch(
        days)
    assert all(c.date_lo == c.date_hi for c in changed)
    assert len(changed) > 1
