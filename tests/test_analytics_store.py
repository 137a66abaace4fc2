"""Analytics: dyad series, top actors, network, and the shift detector."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import coded, make_article, make_event
from detente.analytics import detect_shifts
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
