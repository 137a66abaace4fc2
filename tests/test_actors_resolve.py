"""The actors stage on parsed text (needs the spaCy model)."""

from __future__ import annotations

from datetime import date

import pytest

from detente.actorkb import ActorKB, load_actor_kb
from detente.actors import annotate
from detente.knowledge import DATA_DIR
from detente.records import Annotations, Article, Mention

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def _annotate(text: str, kb: ActorKB, when: date = date(2021, 10, 1)) -> Annotations:
    from detente.nlp import parse_article

    pa = parse_article(Article(id="t", published=when, text=text))
    return annotate(pa, kb=kb)


def _find(ann: Annotations, text: str) -> Mention:
    found = [m for m in ann.mentions if m.text == text]
    assert found, f"no mention {text!r} in {[m.text for m in ann.mentions]}"
    return found[0]


def _codes(m: Mention) -> list[tuple[str, str]]:
    return [(e.code, e.sector) for e in m.entities]


def test_actors_descriptor_name_and_surname_coref(kb: ActorKB) -> None:
    text = ("Turkish President Recep Tayyip Erdogan spoke with European leaders on Monday. "
            "Later, Erdogan told reporters that talks had gone well.")
    ann = _annotate(text, kb)
    first = _find(ann, "Turkish President Recep Tayyip Erdogan")
    assert _codes(first) == [("TUR", "GOV")]
    assert first.rule == "descriptor+name"
    assert first.entities[0].office == "President"
    assert first.entities[0].cameo == "TURGOV"
    sent = first.sentence
    assert first.head == 4  # "Erdogan", the last token of the name
    later = [m for m in ann.mentions if m.text == "Erdogan" and m.sentence != sent]
    assert later and later[0].rule == "coref-surname"
    assert _codes(later[0]) == [("TUR", "GOV")]
    e = first.entities[0]
    assert text[e.start:e.end] == e.text


def test_actors_compound_adjectives_share_a_role(kb: ActorKB) -> None:
    ann = _annotate("Senior Hungarian and Romanian officials agreed to meet again.", kb)
    found = [m for m in ann.mentions if "Hungarian and Romanian officials" in m.text]
    assert len(found) == 1
    m = found[0]
    assert _codes(m) == [("HUN", "GOV"), ("ROU", "GOV")]
    assert [e.text for e in m.entities] == ["Hungarian", "Romanian"]
    assert m.head == 4  # "officials"


def test_actors_compound_country_names(kb: ActorKB) -> None:
    ann = _annotate("The US and Turkey signed a trade agreement in Geneva.", kb)
    m = _find(ann, "The US and Turkey")
    assert _codes(m) == [("USA", ""), ("TUR", "")]
    assert m.rule == "compound"
    assert m.head == 1  # "US" heads the conjunction


@pytest.mark.parametrize(
    ("when", "sector"),
    [(date(2021, 10, 1), "GOV"), (date(2020, 6, 1), "ELI")],
)
def test_actors_known_person_resolved_at_publication_date(kb: ActorKB, when: date,
                                                          sector: str) -> None:
    ann = _annotate("Biden criticised the decision on Tuesday.", kb, when)
    m = _find(ann, "Biden")
    assert _codes(m) == [("USA", sector)]


@pytest.mark.parametrize(
    ("when", "key", "office"),
    [(date(2001, 9, 1), "berzins-andris-pm", "Prime Minister"),
     (date(2013, 9, 1), "berzins-andris-president", "President")],
)
def test_actors_namesakes_resolve_to_the_one_in_office(kb: ActorKB, when: date, key: str,
                                                      office: str) -> None:
    """Two Latvians named Andris Berzins: the name means the one in office at the date."""
    ann = _annotate("Andris Berzins met the Estonian delegation in Riga.", kb, when)
    m = _find(ann, "Andris Berzins")
    assert m.rule == "person-name"
    (e,) = m.entities
    assert (e.code, e.sector, e.office) == ("LVA", "GOV", office)
    assert e.kb_key.endswith(":" + key)


def test_actors_namesake_title_beats_date(kb: ActorKB) -> None:
    """'former Prime Minister' picks the 2000-2002 PM even when the president of the same
    name is in office at the publication date."""
    ann = _annotate("Former Latvian Prime Minister Andris Berzins criticised the plan.", kb,
                    date(2013, 9, 1))
    m = _find(ann, "Former Latvian Prime Minister Andris Berzins")
    (e,) = m.entities
    assert (e.code, e.sector) == ("LVA", "ELI")
    assert e.kb_key.endswith(":berzins-andris-pm")


@pytest.mark.parametrize(
    ("text", "surface", "expected", "rule"),
    [
        ("The Kremlin rejected the proposal.", "The Kremlin", [("RUS", "GOV")],
         "seat-metonym"),
        ("Ankara rejected the proposal on Friday.", "Ankara", [("TUR", "GOV")],
         "capital-metonym"),
        ("Russian troops crossed the border at dawn.", "Russian troops", [("RUS", "MIL")],
         "country-adjective+role"),
        ("The government of Turkey denied the report.", "The government of Turkey",
         [("TUR", "GOV")], "country-name+role"),
        ("Deputy Secretary of State Jane Roe arrived in Oslo.",
         "Deputy Secretary of State Jane Roe", [("USA", "GOV")], "office+name"),
        ("Former French President Jean Dupont criticised the plan.",
         "Former French President Jean Dupont", [("FRA", "ELI")], "descriptor+name"),
        ("Iran's foreign minister met the envoy.", "Iran's foreign minister",
         [("IRN", "GOV")], "country-name+role"),
        ("The Taliban rejected the plan.", "The Taliban", [("AFG", "GOV")], "group-name"),
    ],
)
def test_actors_rules(kb: ActorKB, text: str, surface: str,
                      expected: list[tuple[str, str]], rule: str) -> None:
    ann = _annotate(text, kb)
    m = _find(ann, surface)
    assert _codes(m) == expected
    assert m.rule == rule


def test_actors_adjective_alone_is_no_actor_but_capital_place_is_a_place(kb: ActorKB) -> None:
    ann = _annotate("Officials met in Moscow to discuss Russian weapons.", kb)
    assert not [m for m in ann.mentions if "Moscow" in m.text or "Russian" in m.text]
    assert [p.place.country for p in ann.places] == ["RUS"]


def test_actors_igo_and_collective_reference(kb: ActorKB) -> None:
    ann = _annotate("NATO held talks on Monday. The alliance said it would respond.", kb)
    nato = _find(ann, "NATO")
    assert nato.entities[0].cameo == "IGOWSTNAT"
    coll = _find(ann, "The alliance")
    assert coll.rule == "collective-ref"
    assert coll.entities[0].name == "NATO"


def test_actors_no_collective_reference_before_the_organisation(kb: ActorKB) -> None:
    ann = _annotate("The alliance said it would respond.", kb)
    assert not ann.mentions


def test_actors_quote_pronouns_resolve_to_speaker(kb: ActorKB) -> None:
    text = 'Iranian Foreign Minister Ali Rezai said, "We will not accept our isolation."'
    ann = _annotate(text, kb)
    we = [m for m in ann.mentions if m.rule == "quote-speaker"]
    assert [m.text for m in we] == ["We", "our"]
    assert all(_codes(m) == [("IRN", "GOV")] for m in we)


def test_actors_objects_are_case_sensitive(kb: ActorKB) -> None:
    ann = _annotate("Poland deployed Patriot missile batteries and bought F-35 jets. "
                    "He was a patriot.", kb)
    names = [(o.object.name, o.object.origin) for o in ann.objects]
    assert ("Patriot", "USA") in names and ("F-35", "USA") in names
    assert len([n for n, _ in names if n == "Patriot"]) == 1


def test_actors_lowercase_common_words_are_not_countries(kb: ActorKB) -> None:
    ann = _annotate("They ate turkey and drank from china cups with us.", kb)
    assert not [m for m in ann.mentions if m.entities[0].code]


def test_actors_group_sector_is_dated(kb: ActorKB) -> None:
    ann = _annotate("The Taliban rejected the plan.", kb, date(2020, 6, 1))
    assert _codes(_find(ann, "The Taliban")) == [("AFG", "REB")]


def test_actors_annotate_accepts_knowledge_like_objects(kb: ActorKB) -> None:
    class _K:
        actors = kb

    from detente.nlp import parse_article

    pa = parse_article(Article(id="t", published=date(2021, 1, 1), text="Turkey protested."))
    assert annotate(pa, kb=_K()).mentions[0].entities[0].code == "TUR"
