"""End to end on the reference article: the events DESIGN.md asks for are found.

Nothing in the coder or the lexicon is written for this article; these assertions check
that general rules produce what a human coder would.
"""

from __future__ import annotations

from datetime import date

import pytest

import detente
from conftest import EXAMPLE
from detente.records import Event

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def events() -> list[Event]:
    if not EXAMPLE.exists():
        pytest.skip("shared example not available")
    from detente.ingest import read

    (art,) = list(read([str(EXAMPLE)]))
    return detente.code(art.text, date=art.published, title=art.title)


def codes(ents: tuple) -> set[str]:  # type: ignore[type-arg]
    return {e.code for e in ents}


def test_pipeline_example_us_requests_turkey(events: list[Event]) -> None:
    hits = [e for e in events if e.event_type == "REQUEST" and "USA" in codes(e.actor)
            and "TUR" in codes(e.recipient) and e.date == date(2021, 10, 1)]
    assert hits, [(e.event_type, codes(e.actor), codes(e.recipient), e.date) for e in events]
    assert all(h.cameo.startswith("10") and isinstance(h.cameo, str) for h in hits)


def test_pipeline_example_consult_earlier_this_week(events: list[Event]) -> None:
    hits = [e for e in events if e.event_type == "CONSULT"
            and {"TUR", "RUS"} <= codes(e.actor) | codes(e.recipient)]
    assert hits
    e = hits[0]
    assert e.date_precision == "week"
    assert date(2021, 9, 27) <= e.date <= date(2021, 9, 30)
    assert "week" in e.date_text.lower()


def test_pipeline_example_f35_removal_is_historical_sanction(events: list[Event]) -> None:
    hits = [e for e in events if e.event_type == "SANCTION" and "USA" in codes(e.actor)
            and "TUR" in codes(e.recipient)]
    assert hits
    assert any(h.factuality.historical for h in hits)


def test_pipeline_example_evidence_offsets_point_into_text(events: list[Event]) -> None:
    from detente.ingest import read

    (art,) = list(read([str(EXAMPLE)]))
    for e in events:
        ev = e.evidence
        assert art.text[ev.start:ev.end] == ev.sentence
        if ev.trigger_start >= 0:
            assert art.text[ev.trigger_start:ev.trigger_end] == ev.trigger
        for ent in (*e.actor, *e.recipient):
            if ent.start >= 0:
                assert art.text[ent.start:ent.end] == ent.text
