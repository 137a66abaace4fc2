"""In-document resolution: titles, pronouns, collectives, explanations (needs the model)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente import api
from detente.actorkb import ActorKB, load_actor_kb
from detente.actors import RULES, annotate, describe_rule
from detente.cli import app
from detente.knowledge import DATA_DIR
from detente.records import Annotations, Article, Mention

pytestmark = pytest.mark.model

PEOPLE = """\
kind: people
version: "1"
source: test
entries:
  - key: doerr
    source: test (fictional person)
    name: Jane Doerr
    country: USA
    terms:
      - {office: President, sector: GOV, start: 2015-01-20, end: 2019-01-20}
"""


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def _annotate(text: str, kb: ActorKB, when: date = date(2021, 10, 1)) -> Annotations:
    from detente.nlp import parse_article

    return annotate(parse_article(Article(id="t", published=when, text=text)), kb=kb)


def _by_rule(ann: Annotations, rule: str) -> list[Mention]:
    return [m for m in ann.mentions if m.rule == rule]


def test_actors_later_title_refers_to_its_holder(kb: ActorKB) -> None:
    ann = _annotate("Brazilian Foreign Minister Paulo Sampaio arrived in Lima on Monday. "
                    "The minister said the talks were useful.", kb)
    (m,) = _by_rule(ann, "coref-title")
    assert m.text == "The minister"
    assert [(e.code, e.sector, e.name) for e in m.entities] == [("BRA", "GOV", "Paulo Sampaio")]


def test_actors_title_without_name_refers_back(kb: ActorKB) -> None:
    ann = _annotate("The Kenyan president visited Uganda. Later the president met "
                    "business leaders.", kb)
    (m,) = _by_rule(ann, "coref-title")
    assert [(e.code, e.sector) for e in m.entities] == [("KEN", "GOV")]


def test_actors_vice_president_is_not_the_president(kb: ActorKB) -> None:
    ann = _annotate("Chilean Vice President Ana Lagos spoke. The president did not.", kb)
    assert not _by_rule(ann, "coref-title")


def test_actors_subject_pronoun_is_the_last_person(kb: ActorKB) -> None:
    ann = _annotate("Brazilian Foreign Minister Paulo Sampaio met Chile's ambassador. "
                    "He said the talks went well.", kb)
    (m,) = _by_rule(ann, "pronoun-person")
    assert m.text == "He"
    assert [(e.code, e.name) for e in m.entities] == [("BRA", "Paulo Sampaio")]


def test_actors_pronoun_without_person_stays_unresolved(kb: ActorKB) -> None:
    ann = _annotate("Brazil protested on Monday. She said nothing.", kb)
    assert not _by_rule(ann, "pronoun-person")


def test_actors_bloc_after_the_eu(kb: ActorKB) -> None:
    ann = _annotate("The European Union imposed sanctions on Belarus. The bloc said more "
                    "would follow.", kb)
    (m,) = _by_rule(ann, "collective-ref")
    assert m.entities[0].code == "EUR" and m.entities[0].name == "European Union"


def test_actors_every_rule_is_explained(kb: ActorKB) -> None:
    ann = _annotate("Turkish President Recep Tayyip Erdogan met NATO officials and the US "
                    "and Turkey agreed. The alliance said it would help. The president said "
                    "he was pleased.", kb)
    for m in ann.mentions:
        assert describe_rule(m.rule) != m.rule, m.rule
    assert "compound" in RULES


def test_api_resolve_actors_names_rule_and_knowledge_entry() -> None:
    rows = api.resolve_actors("The Kremlin rejected the plan.", date="2021-10-01")
    (row,) = rows
    assert row["rule"] == "seat-metonym"
    (ent,) = row["entities"]  # type: ignore[misc]
    assert (ent["code"], ent["sector"]) == ("RUS", "GOV")
    assert ent["knowledge"]["file"] == "actors/countries.yaml"
    assert ent["knowledge"]["key"] == "RUS" and ent["knowledge"]["source"]


def test_cli_actors_resolve_uses_user_knowledge_and_date(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["actors", "resolve", "Jane Doerr spoke.", "--date", "2017-05-01",
                              "--kb", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.output)
    (ent,) = row["entities"]
    assert (ent["code"], ent["sector"], ent["office"]) == ("USA", "GOV", "President")
    assert ent["knowledge"]["key"] == "doerr"
    res = runner.invoke(app, ["actors", "resolve", "Jane Doerr spoke.", "--date", "2020-05-01",
                              "--kb", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "USA ELI" in res.output and "person-name" in res.output
    assert str(tmp_path.name) in res.output or "people.yaml -> doerr" in res.output


def test_api_code_resolves_people_at_the_event_date(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    events = api.code("Jane Doerr visited Turkey in 2017.", date="2021-06-01",
                      kb_dirs=[tmp_path])
    visits = [e for e in events if any(a.name == "Jane Doerr" for a in e.actor)]
    assert visits, events
    ev = visits[0]
    assert ev.date.year == 2017
    assert [(a.code, a.sector, a.office) for a in ev.actor if a.name == "Jane Doerr"] == [
        ("USA", "GOV", "President")]
