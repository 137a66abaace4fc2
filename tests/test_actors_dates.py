"""People resolved at the event's own date, on small hand-made knowledge (no model)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from conftest import make_event
from detente.actorkb import ActorKB, load_actor_kb
from detente.actors import at_date, events_at_date, person_of
from detente.records import Entity

SECTORS = """\
kind: sectors
version: "1"
source: test
entries:
  - {key: GOV, source: test, name: Government, cameo: GOV, titles: [president]}
  - {key: ELI, source: test, name: Elites, cameo: ELI}
  - {key: BUS, source: test, name: Business, cameo: BUS}
"""
PEOPLE = """\
kind: people
version: "1"
source: test
entries:
  - key: doerr
    source: test (fictional person)
    name: Jane Doerr
    country: USA
    sector: BUS
    terms:
      - {office: Governor, sector: GOV, start: 2009-01-01, end: 2015-01-20}
      - {office: President, sector: GOV, start: 2015-01-20, end: 2019-01-20}
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> ActorKB:
    d: Path = tmp_path_factory.mktemp("kb")
    (d / "sectors.yaml").write_text(SECTORS, encoding="utf-8")
    (d / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    return load_actor_kb([d])[0]


def _as_resolved(kb: ActorKB, when: date) -> Entity:
    role = kb.role_at("doerr", when)
    return Entity(code=role.code, sector=role.sector, name="Jane Doerr", text="Jane Doerr",
                  office=role.office, kb_key="people:doerr", cameo=kb.cameo(role.code, role.sector))


@pytest.mark.parametrize(
    ("when", "sector", "office"),
    [("2008-06-01", "BUS", ""),          # before any office: her own sector
     ("2012-06-01", "GOV", "Governor"),
     ("2017-03-01", "GOV", "President"),
     ("2019-01-20", "ELI", "President"),  # the day her term ends she is former
     ("2024-01-01", "ELI", "President")],
)
def test_actors_at_date_uses_the_term_held_on_the_event_date(kb: ActorKB, when: str,
                                                              sector: str, office: str) -> None:
    published = date(2021, 6, 1)
    e = _as_resolved(kb, published)
    assert (e.sector, e.office) == ("ELI", "President")
    (out,) = at_date((e,), kb=kb, published=published, when=date.fromisoformat(when))
    assert (out.code, out.sector, out.office) == ("USA", sector, office)
    assert out.cameo == "USA" + {"GOV": "GOV", "ELI": "ELI", "BUS": "BUS"}[sector]


def test_actors_at_date_keeps_roles_the_text_gave(kb: ActorKB) -> None:
    published = date(2017, 6, 1)
    # "Governor Jane Doerr" in a 2017 text: the text says Governor, knowledge says President
    e = replace(_as_resolved(kb, published), office="Governor")
    assert at_date((e,), kb=kb, published=published, when=date(2010, 1, 1)) == (e,)


def test_actors_at_date_leaves_other_entities(kb: ActorKB) -> None:
    e = Entity(code="TUR", sector="GOV", kb_key="countries:TUR")
    assert person_of(kb, e) is None
    assert at_date((e,), kb=kb, published=date(2021, 1, 1), when=date(2010, 1, 1)) == (e,)


def test_actors_events_at_date_redates_historical_events(kb: ActorKB) -> None:
    published = date(2021, 6, 1)
    who = _as_resolved(kb, published)
    ev = make_event(actor=(who,), day=published, date=date(2016, 5, 1), date_precision="month")
    (out,) = events_at_date([ev], kb=kb)
    assert (out.actor[0].sector, out.actor[0].office) == ("GOV", "President")
    same = make_event(actor=(who,), day=published)
    assert next(events_at_date([same], kb=kb)) is same
    unknown = make_event(actor=(who,), day=published, date=date(2016, 5, 1),
                         date_precision="unknown")
    assert next(events_at_date([unknown], kb=kb)) is unknown
