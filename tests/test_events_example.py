"""The rule coder with the real actors stage on the reference article.

General rules and lexicon entries only: nothing in the coder is keyed on this article.
"""

from __future__ import annotations

import importlib.util
from datetime import date

import pytest

from conftest import EXAMPLE
from detente.records import Event

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def events() -> list[Event]:
    if not EXAMPLE.exists():
        pytest.skip("shared example not available")
    if importlib.util.find_spec("detente.actors") is None:
        pytest.skip("actors stage not available")
    from detente.actors import annotate
    from detente.events import code_events
    from detente.ingest import read
    from detente.knowledge import load_knowledge
    from detente.nlp import parse_article

    (art,) = list(read([str(EXAMPLE)]))
    kb = load_knowledge()
    doc = parse_article(art)
    return list(code_events(doc, annotate(doc, kb=kb), kb=kb))


def codes(ents: tuple) -> set[str]:  # type: ignore[type-arg]
    return {e.code for e in ents}


def find(events: list[Event], etype: str, actor: str, recipient: str | None) -> list[Event]:
    return [e for e in events if e.event_type == etype and actor in codes(e.actor)
            and (recipient is None or recipient in codes(e.recipient))]


def test_events_example_request_not_to_buy(events: list[Event]) -> None:
    (e, *_) = find(events, "REQUEST", "USA", "TUR")
    assert e.date == date(2021, 10, 1) and not e.factuality.negated
    assert "purchase" in e.content and "not" in e.content
    assert e.cameo.startswith("10")


def test_events_example_caution_is_threaten_relations(events: list[Event]) -> None:
    (e,) = find(events, "THREATEN", "USA", "TUR")
    assert e.mode == ("relations",) and e.cameo.startswith("13")
    assert "jeopardize" in e.content
    assert (e.date, e.date_text) == (date(2021, 10, 1), "on Friday")


def test_events_example_consult_is_multilateral_actor(events: list[Event]) -> None:
    (e,) = find(events, "CONSULT", "TUR", None)
    assert codes(e.actor) == {"TUR", "RUS"} and e.recipient == ()
    assert (e.date, e.date_precision) == (date(2021, 9, 27), "week")


def test_events_example_2017_purchase_is_historical(events: list[Event]) -> None:
    hits = [e for e in find(events, "COOPERATE", "TUR", None) if e.date.year == 2017]
    assert hits and all(h.factuality.historical and h.date_precision == "year" for h in hits)


def test_events_example_f35_expulsion(events: list[Event]) -> None:
    (e,) = find(events, "SANCTION", "USA", "TUR")
    assert e.mode == ("expel",) and e.cameo == "166"
    assert e.factuality.historical and e.date <= date(2021, 10, 1)


def test_events_example_no_event_for_content_clauses(events: list[Event]) -> None:
    # "buying more weaponry from Russia" is what the warning is about, not an event
    assert not [e for e in events if e.evidence.trigger == "buying"]
