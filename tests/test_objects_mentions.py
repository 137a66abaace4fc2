"""Object mentions in parsed text (needs the spaCy model)."""

from __future__ import annotations

from datetime import date

import pytest

from detente.actorkb import ActorKB, load_actor_kb
from detente.actors import annotate
from detente.knowledge import DATA_DIR
from detente.records import Article

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def _objects(text: str, kb: ActorKB) -> list[tuple[str, str, str, str]]:
    from detente.nlp import parse_article

    pa = parse_article(Article(id="t", published=date(2022, 5, 1), text=text))
    ann = annotate(pa, kb=kb)
    for m in ann.objects:
        assert text[m.start:m.end] == m.object.text
    return [(m.object.text, m.object.name, m.object.category, m.object.origin)
            for m in ann.objects]


@pytest.mark.parametrize(("text", "expected"), [
    ("Moscow moved T-72 tanks and S-400 air defence systems to the border.",
     [("T-72 tanks", "T-72", "tank", "RUS"),
      ("S-400 air defence systems", "S-400", "air-defence", "RUS")]),
    ("Warsaw bought 48 F-35s and more Patriot missiles.",
     [("F-35s", "F-35", "fighter", "USA"), ("Patriot missiles", "Patriot", "air-defence", "USA")]),
    ("The frigate HMS Ruritania and USS Example sailed into the strait.",
     [("frigate HMS Ruritania", "HMS Ruritania", "warship", "GBR"),
      ("USS Example", "USS Example", "warship", "USA")]),
    ("Rebels used mortars and a VBIED against the armoured vehicles.",
     [("mortars", "mortar", "mortar", ""),
      ("VBIED", "improvised explosive device", "explosive-device", ""),
      ("armoured vehicles", "armoured vehicle", "armoured-vehicle", "")]),
])
def test_objects_mentions_found(kb: ActorKB, text: str,
                                expected: list[tuple[str, str, str, str]]) -> None:
    assert _objects(text, kb) == expected


@pytest.mark.parametrize("text", [
    "A think tank in Berlin published a report on the economy.",
    "He was a patriot and a javelin thrower.",
    "The police found a weapons cache and raided a drone factory.",
    "She served in the 3rd Field Artillery Regiment.",
    "The INS Commissioner spoke to reporters.",
    "Fuel tanks were empty and the private jet waited.",
])
def test_objects_mentions_not_found(kb: ActorKB, text: str) -> None:
    assert _objects(text, kb) == []
