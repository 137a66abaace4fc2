"""Arms purchases and transfers: buyer, seller and system; objects attached to events."""

from __future__ import annotations

from datetime import date

import pytest

from detente.formats import entity_dict
from detente.knowledge import Knowledge, load_knowledge
from detente.records import Article, Entity, Event, EventObject
from detente.transfers import code_transfer, inferred_origin


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge()


def _obj(kb: Knowledge, key: str) -> EventObject:
    e = kb.actors.objects[key]
    return EventObject(text=e.name, name=e.name, category=e.category, origin=e.origin,
                       kb_key=e.kb_key)


def test_transfers_inferred_origin_only_for_one_sole_producer(kb: Knowledge) -> None:
    tur = (Entity(code="TUR"),)
    seller = inferred_origin([_obj(kb, "s-400")], kb, exclude=tur)
    assert seller is not None and seller.code == "RUS" and seller.inferred
    assert seller.text == "" and seller.start == -1
    assert seller.kb_key == "inferred:" + kb.actors.objects["s-400"].kb_key
    assert entity_dict(seller)["inferred"] is True
    assert "inferred" not in entity_dict(Entity(code="TUR", text="Turkey"))
    # several producers, a multinational system, a class word, the buyer's own system
    assert inferred_origin([_obj(kb, "s-400"), _obj(kb, "f-35")], kb) is None
    assert inferred_origin([_obj(kb, "eurofighter")], kb) is None
    assert inferred_origin([_obj(kb, "g-tank")], kb) is None
    assert inferred_origin([_obj(kb, "s-400")], kb, exclude=(Entity(code="RUS"),)) is None


def test_transfers_code_transfer_roles(kb: Knowledge) -> None:
    pol, usa = (Entity(code="POL"),), (Entity(code="USA"),)
    abrams = [_obj(kb, "abrams")]
    buy = code_transfer("buy", event="COOPERATE", actor=pol, recipient=(), objects=abrams,
                        kb=kb)
    assert buy is not None and (buy.event, buy.cameo, buy.inferred) == ("COOPERATE", "062", True)
    assert [e.code for e in buy.recipient] == ["USA"]
    sell = code_transfer("sell", event="COOPERATE", actor=usa, recipient=pol, objects=abrams,
                         kb=kb)
    assert sell is not None and (sell.event, sell.inferred) == ("COOPERATE", False)
    give = code_transfer("give", event="AID", actor=usa, recipient=pol, objects=abrams, kb=kb)
    assert give is not None and (give.event, give.cameo) == ("AID", "072")
    got = code_transfer("receive", event="AID", actor=(), recipient=pol, objects=abrams, kb=kb)
    assert got is not None and [e.code for e in got.actor] == ["USA"] and got.inferred
    # no weapon or platform: not an arms transfer
    assert code_transfer("buy", event="COOPERATE", actor=pol, recipient=(),
                         objects=[_obj(kb, "f-35-programme")], kb=kb) is None
    assert code_transfer("", event="COOPERATE", actor=pol, recipient=(), objects=abrams,
                         kb=kb) is None
    # a deployment to a place is no transfer; to another state it is
    assert code_transfer("give", event="MOBILIZE", actor=usa, recipient=(), objects=abrams,
                         kb=kb) is None
    assert code_transfer("give", event="MOBILIZE", actor=usa, recipient=pol, objects=abrams,
                         kb=kb) is not None


def _code(text: str, kb: Knowledge) -> list[Event]:
    from detente import api

    art = Article(id="t", published=date(2023, 5, 1), text=text)
    ((_parsed, _ann, events),) = list(api.code_batch([art], kb=kb))
    return events


def _side(ents: tuple[Entity, ...]) -> list[str]:
    return [e.code + ("*" if e.inferred else "") for e in ents]


@pytest.mark.model
@pytest.mark.parametrize(("text", "expected"), [
    ("Turkey bought the S-400 from Russia.",
     ("COOPERATE", "062", ["TUR"], ["RUS"], ["S-400"])),
    ("The US approved the sale of F-16s to Taiwan.",
     ("COOPERATE", "062", ["USA"], ["TWN"], ["F-16"])),
    ("Germany will deliver Leopard tanks to Ukraine.",
     ("AGREE", "0332", ["DEU"], ["UKR"], ["Leopard 2"])),
    ("Poland ordered 250 Abrams tanks.",
     ("COOPERATE", "062", ["POL"], ["USA*"], ["M1 Abrams"])),
    ("Russia sold Su-35 jets to Egypt.",
     ("COOPERATE", "062", ["RUS"], ["EGY"], ["Su-35"])),
    ("Ukraine received Bayraktar TB2 drones from Turkey.",
     ("AID", "072", ["TUR"], ["UKR"], ["Bayraktar TB2"])),
    ("Ukraine got F-16s.", ("AID", "072", ["USA*"], ["UKR"], ["F-16"])),
    ("Washington agreed to sell 40 F-35s to the United Arab Emirates.",
     ("AGREE", "0312", ["USA"], ["ARE"], ["F-35"])),
    ("Iran supplied Shahed-136 drones to Russia.",
     ("AID", "072", ["IRN"], ["RUS"], ["Shahed-136"])),
    ("Turkey's purchase of the S-400 angered Washington.",
     ("COOPERATE", "062", ["TUR"], ["RUS*"], ["S-400"])),
    ("The S-400 that Turkey bought from Russia is not compatible with NATO systems.",
     ("COOPERATE", "062", ["TUR"], ["RUS"], ["S-400"])),
])
def test_transfers_coded_with_buyer_seller_system(kb: Knowledge, text: str,
                                                  expected: tuple[object, ...]) -> None:
    events = _code(text, kb)
    got = [(e.event_type, e.cameo, _side(e.actor), _side(e.recipient),
            [o.name for o in e.objects]) for e in events if e.objects]
    assert got == [expected]
    assert "military" in next(e for e in events if e.objects).context


@pytest.mark.model
def test_transfers_deployment_stays_mobilize(kb: Knowledge) -> None:
    (ev,) = _code("Russia sent tanks to the Ukrainian border.", kb)
    assert ev.event_type == "MOBILIZE" and [o.name for o in ev.objects] == ["tank"]


@pytest.mark.model
def test_transfers_objects_of_a_dropped_event_go_to_its_governor(kb: Knowledge) -> None:
    events = _code("The US sanctioned Turkey over its purchase of S-400 missiles.", kb)
    assert [[o.name for o in e.objects] for e in events] == [["S-400"]]


@pytest.mark.model
@pytest.mark.parametrize(("text", "etype", "mode", "actor", "objects"), [
    ("Five men were arrested in Surat on Tuesday.", "COERCE", "arrest", ["COP*"], []),
    ("Thousands of people marched in Bratislava against corruption.", "PROTEST", "demo", [],
     []),
    ("Two firearms and 150 rounds of ammunition were seized in Kingston.", "COERCE", "seize",
     [], ["firearm", "munitions"]),
    ("A grenade attack killed four people in Kabul.", "ASSAULT", "explosives", [],
     ["grenade"]),
    ("Two suicide bombers killed ten people at a market.", "ASSAULT", "suicide-attack", [],
     ["suicide bomber"]),
    ("Police fired tear gas and rubber bullets at the protesters.", "ASSAULT", "crowd-control",
     ["COP"], ["crowd-control weapon"]),
])
def test_events_without_named_sides(kb: Knowledge, text: str, etype: str, mode: str,
                                    actor: list[str], objects: list[str]) -> None:
    """Agentless arrests get the police as inferred actor; protests and attacks or seizures
    with a weapon are coded without named sides; an attack's mode comes from its weapon."""
    events = _code(text, kb)
    e = next(e for e in events if e.event_type == etype)
    assert e.mode == (mode,)
    assert [a.sector + ("*" if a.inferred else "") for a in e.actor] == actor
    assert [o.name for o in e.objects] == objects


@pytest.mark.model
@pytest.mark.parametrize("text", [
    "Attack helicopters flew over the city.",
    "The alarm went off at noon.",
    "Heavy rain flooded three villages overnight.",
])
def test_events_no_event_without_sides_or_weapon(kb: Knowledge, text: str) -> None:
    assert _code(text, kb) == []
