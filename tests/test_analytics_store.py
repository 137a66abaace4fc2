"""Analytics: dyad series, top actors, network, and the shift detector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import coded, make_article, make_event
from detente.analytics import detect_shifts, period_back
from detente.errors import UsageError
from detente.records import Factuality
from detente.store import Store


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    s.write([coded(
        make_article(),
        make_event("e1", day=date(2021, 1, 5)),
        make_event("e2", day=date(2021, 1, 20), event_type="CONSULT", quad_class=1,
                   goldstein=1.0),
        make_event("e3", day=date(2021, 2, 3), event_type="SANCTION", quad_class=4,
                   goldstein=-4.0),
        make_event("e4", day=date(2021, 2, 9), actor="TUR", recipient="USA", quad_class=3),
        make_event("e5", day=date(2021, 2, 10), factuality=Factuality(negated=True)),
        make_event("e6", day=date(2021, 2, 11), actor="RUS", recipient=None),
    )])
    return s


def test_analytics_dyad_series_by_month(store: Store) -> None:
    rows = store.dyad_series("USA", "TUR", by="month")
    assert [r["period"] for r in rows] == [date(2021, 1, 1), date(2021, 2, 1)]
    jan, feb = rows
    assert (jan["events"], jan["verbal_coop"], jan["verbal_conflict"]) == (2, 1, 1)
    assert jan["goldstein_mean"] == pytest.approx(-2.0)
    assert (feb["events"], feb["material_conflict"]) == (1, 1)  # e5 negated: left out


def test_analytics_dyad_series_options(store: Store) -> None:
    both = store.dyad_series("USA", "TUR", by="year", both_directions=True)
    assert both[0]["events"] == 4
    uncertain = store.dyad_series("USA", "TUR", by="year", include_uncertain=True)
    assert uncertain[0]["events"] == 4
    with pytest.raises(UsageError):
        store.dyad_series("USA", "TUR", by="fortnight")


def test_analytics_top_actors(store: Store) -> None:
    rows = store.top_actors()
    assert rows[0]["code"] == "USA" and rows[0]["events"] == 3
    assert {r["code"] for r in rows} == {"USA", "TUR", "RUS"}
    recips = store.top_actors(role="recipient")
    assert recips[0]["code"] == "TUR"


def test_analytics_network(store: Store) -> None:
    net = store.network()
    edges = {(e["source"], e["target"]): e for e in net["edges"]}
    assert edges[("USA", "TUR")]["events"] == 3
    assert edges[("USA", "TUR")]["cooperation"] == 1
    assert edges[("USA", "TUR")]["conflict"] == 2
    assert ("TUR", "USA") in edges
    assert net["nodes"][0]["id"] in {"USA", "TUR"}


def series(shares: list[float], events: int = 5) -> list[dict[str, object]]:
    return [{"source": "A", "target": "B", "period": date(2020, m + 1, 1), "events": events,
             "conflict_share": s, "goldstein_mean": 2.0} for m, s in enumerate(shares)]


@pytest.mark.parametrize(
    ("shares", "flagged"),
    [
        ([0.1, 0.1, 0.15, 0.1, 0.9], [date(2020, 5, 1)]),   # jump up
        ([0.1, 0.1, 0.15, 0.1, 0.2], []),                   # within floor
        ([0.1, 0.9], []),                                   # too little history
        ([0.8, 0.9, 0.85, 0.8, 0.1], [date(2020, 5, 1)]),   # drop
    ],
)
def test_analytics_detect_shifts(shares: list[float], flagged: list[date]) -> None:
    alerts = detect_shifts(series(shares))
    assert [a.period for a in alerts if a.measure == "conflict_share"] == flagged


def test_analytics_detect_shifts_ignores_thin_periods() -> None:
    rows = series([0.1, 0.1, 0.1, 0.1, 0.9])
    rows[-1]["events"] = 1
    assert detect_shifts(rows) == []


def test_analytics_code_filters_match_entity_filters(store: Store) -> None:
    by_code = store.dyad_series("USA", "TUR", by="month")
    by_cameo = store.dyad_series("USAGOV", "TURGOV", by="month")
    assert by_code == by_cameo
    assert {e["id"] for e in store.events(actor="usa")} == {"e1", "e2", "e3", "e5"}
    assert {e["id"] for e in store.events(actor="USAGOV", limit=None)} == {"e1", "e2", "e3",
                                                                           "e5"}


def test_analytics_top_actors_names_and_filters(store: Store) -> None:
    rows = store.top_actors(since=date(2021, 2, 1))
    assert [(r["code"], r["name"], r["events"]) for r in rows] == [
        ("RUS", "RUS", 1), ("TUR", "TUR", 1), ("USA", "USA", 1)]
    assert store.top_actors(limit=1)[0]["cooperation"] == 1


@pytest.fixture(scope="module")
def random_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Random events over three actors and two years (written once for the module)."""
    import random

    rng = random.Random(5)
    codes = ["USA", "TUR", "RUS"]
    types = [("CONSULT", 1, 1.0), ("AID", 2, 7.0), ("ACCUSE", 3, -2.0), ("ASSAULT", 4, -9.0)]
    events = []
    for i in range(500):
        t, q, g = rng.choice(types)
        a, r = rng.choice(codes), rng.choice(codes)
        events.append(make_event(f"e{i:04d}", actor=a, recipient=r, event_type=t,
                                 quad_class=q, goldstein=g,
                                 day=date(2020, 1, 1) + timedelta(days=rng.randrange(700)),
                                 factuality=Factuality(negated=rng.random() < 0.05)))
    with Store(tmp_path_factory.mktemp("shifts") / "r.duckdb") as s:
        s.write([coded(make_article(), *events)])
        yield s


@pytest.mark.parametrize(("by", "window", "k", "floors"), [
    ("month", 6, 2.0, (0.05, 0.5)), ("month", 3, 1.0, (0.1, 1.0)), ("week", 4, 1.5, (0.05, 0.5)),
    ("quarter", 2, 1.0, (0.01, 0.1)),
    ("week", 40, 1.0, (0.01, 0.1))])  # 40 > _LAG_WINDOW_MAX: the RANGE frame
def test_analytics_sql_shifts_equal_reference(random_store: Store, by: str, window: int,
                                              k: float, floors: tuple[float, float]) -> None:
    share_floor, goldstein_floor = floors
    reference = [a.to_dict() for a in detect_shifts(
        random_store.dyads(by=by), by=by, window=window, k=k, min_events=2, min_history=2,
        share_floor=share_floor, goldstein_floor=goldstein_floor)]
    sql = random_store.shifts(by=by, window=window, k=k, min_events=2, min_history=2,
                              share_floor=share_floor, goldstein_floor=goldstein_floor)
    assert reference, "the random data should produce some alerts"
    assert len(sql) == len(reference)
    for got, want in zip(sql, reference, strict=True):
        assert got["period"].isoformat() == want["period"]
        for key in ("source", "target", "measure", "history", "events", "direction"):
            assert got[key] == want[key]
        for key in ("value", "baseline_mean", "baseline_sd"):
            assert got[key] == pytest.approx(want[key])


def test_analytics_shifts_rejects_bad_options(store: Store) -> None:
    with pytest.raises(UsageError):
        store.shifts(by="fortnight")
    with pytest.raises(UsageError):
        store.shifts(window=0)


@pytest.mark.parametrize(("by", "since"), [("month", date(2021, 3, 17)), ("week", date(2020, 6, 3)),
                                           ("quarter", date(2020, 11, 30))])
def test_analytics_shifts_since_reads_less_but_answers_the_same(random_store: Store, by: str,
                                                               since: date) -> None:
    opts = {"by": by, "window": 3, "k": 1.0, "min_events": 2, "min_history": 2,
            "share_floor": 0.05, "goldstein_floor": 0.5}
    everything = random_store.shifts(**opts)  # type: ignore[arg-type]
    start = period_back(since, by=by, n=0)
    until = date(2021, 9, 29)
    recent = random_store.shifts(since=since, until=until, **opts)  # type: ignore[arg-type]
    assert recent == [a for a in everything if start <= a["period"] <= until]
    assert recent


@pytest.mark.parametrize(("d", "by", "n", "want"), [
    (date(2021, 3, 17), "month", 6, date(2020, 9, 1)),
    (date(2021, 3, 17), "week", 2, date(2021, 3, 1)),
    (date(2021, 3, 17), "day", 3, date(2021, 3, 14)),
    (date(2021, 3, 17), "quarter", 1, date(2020, 10, 1)),
    (date(2021, 3, 17), "year", 2, date(2019, 1, 1)),
    (date(2021, 12, 17), "month", -1, date(2022, 1, 1)),
    (date(2021, 3, 17), "week", -1, date(2021, 3, 22)),
])
def test_analytics_period_back(d: date, by: str, n: int, want: date) -> None:
    assert period_back(d, by=by, n=n) == want


def test_analytics_detect_shifts_baseline_is_calendar_window() -> None:
    rows = series([0.1, 0.1, 0.1, 0.9])
    rows[-1]["period"] = date(2021, 6, 1)  # a year after the others: no recent baseline
    assert detect_shifts(rows) == []


def test_analytics_top_actor_name_prefers_the_country(db_path: Path) -> None:
    from detente.records import Entity

    person = Entity(code="IND", sector="GOV", name="A Prime Minister", kb_key="people:pm")
    country = Entity(code="IND", sector="GOV", name="India", kb_key="countries:IND")
    with Store(db_path) as s:
        s.write([coded(make_article(), *(make_event(f"p{i}", actor=(person,)) for i in range(3)),
                       make_event("c1", actor=(country,)))])
        assert s.top_actors()[0]["name"] == "India"


@pytest.mark.parametrize(("by", "since"), [("month", None), ("week", date(2020, 6, 3)),
                                           ("quarter", None), ("month", date(2021, 2, 1))])
def test_analytics_shifts_from_summaries_equal_events(random_store: Store, by: str,
                                                      since: date | None) -> None:
    """Alerts read from ``sum_dyad_day`` (the default where a store has summaries) are the
    ones computed from the events themselves."""
    opts = {"by": by, "window": 3, "k": 1.0, "min_events": 2, "min_history": 2,
            "share_floor": 0.05, "goldstein_floor": 0.5, "since": since}
    assert random_store.summaries
    fast = random_store.shifts(**opts)  # type: ignore[arg-type]
    random_store.summaries = False
    try:
        slow = random_store.shifts(**opts)  # type: ignore[arg-type]
    finally:
        random_store.summaries = True
    assert fast and len(fast) == len(slow)
    for got, want in zip(fast, slow, strict=True):
        for key in ("source", "target", "period", "measure", "history", "events", "direction"):
            assert got[key] == want[key]
        for key in ("value", "baseline_mean", "baseline_sd"):
            assert got[key] == pytest.approx(want[key])


def test_analytics_move_exactly_at_the_limit_is_not_flagged() -> None:
    # baseline 0.5, 1.0, 0.5, 1.0: mean 0.75, sd 0.25; 0.25 is exactly 2 sd away
    rows = series([0.5, 1.0, 0.5, 1.0, 0.25])
    assert detect_shifts(rows, min_history=2) == []
    assert [a.period for a in detect_shifts(series([0.5, 1.0, 0.5, 1.0, 0.2499]),
                                            min_history=2)] == [date(2020, 5, 1)]
