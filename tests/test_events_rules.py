"""The rule coder: triggers, arguments, content, factuality, dates (actors built by hand)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from detente.errors import UnknownName
from detente.events import CODERS, code_events
from detente.knowledge import DATA_DIR, Knowledge
from detente.lexicon import load_lexicon
from detente.ontology import load_ontology
from detente.records import (
    Annotations,
    Article,
    Entity,
    Event,
    EventObject,
    Mention,
    ObjectMention,
    ParsedArticle,
    Sentence,
    Span,
    Token,
)

PUB = date(2021, 10, 1)


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    onto = load_ontology([DATA_DIR])[0]
    lex = load_lexicon([DATA_DIR], ontology=onto)[0]
    return Knowledge(version="test-kb", actors=None, ontology=onto, lexicon=lex)


def _mentions(doc: ParsedArticle, actors: dict[str, str]) -> list[Mention]:
    """Hand-made actor mentions: surface text -> 'CODE' or 'CODE:SECTOR'."""
    out = []
    for s in doc.sentences:
        for surface, code in actors.items():
            for m in re.finditer(rf"\b{re.escape(surface)}\b", s.text):
                a, b = s.start + m.start(), s.start + m.end()
                toks = [t for t in s.tokens if t.start < b and t.end > a]
                lo, hi = toks[0].i, toks[-1].i + 1
                head = next(t.i for t in toks if not lo <= t.head < hi or t.head == t.i)
                c, _, sector = code.partition(":")
                out.append(Mention(sentence=s.index, token_start=lo, token_end=hi, start=a,
                                   end=b, text=surface, rule="hand", head=head,
                                   entities=(Entity(code=c, sector=sector, text=surface,
                                                    cameo=c + sector),)))
    return out


def _objects(doc: ParsedArticle, names: list[str]) -> list[ObjectMention]:
    out = []
    for s in doc.sentences:
        for name in names:
            for m in re.finditer(re.escape(name), s.text):
                a, b = s.start + m.start(), s.start + m.end()
                toks = [t for t in s.tokens if t.start < b and t.end > a]
                out.append(ObjectMention(sentence=s.index, token_start=toks[0].i,
                                         token_end=toks[-1].i + 1, start=a, end=b,
                                         object=EventObject(text=name, name=name,
                                                            category="air-defence system",
                                                            origin="RUS")))
    return out


ACTORS = {"The US": "USA", "the US": "USA", "US": "USA", "Turkey": "TUR", "Russia": "RUS",
          "Erdogan": "TUR:GOV", "Putin": "RUS:GOV", "Moscow": "RUS:GOV", "Iran": "IRN",
          "Iraq": "IRQ", "China": "CHN", "Japan": "JPN", "The EU": "EUR", "the EU": "EUR",
          "Sherman": "USA:GOV", "Washington": "USA:GOV", "Blinken": "USA:GOV"}


def code(text: str, kb: Knowledge, *, objects: list[str] | None = None,
         actors: dict[str, str] | None = None) -> list[Event]:
    from detente.nlp import parse_article

    doc = parse_article(Article(id="a1", published=PUB, text=text, url="http://x/1"))
    ann = Annotations(mentions=tuple(_mentions(doc, actors if actors is not None else ACTORS)),
                      objects=tuple(_objects(doc, objects or [])))
    return list(code_events(doc, ann, kb=kb))


def one(events: list[Event], etype: str) -> Event:
    found = [e for e in events if e.event_type == etype]
    assert len(found) == 1, [(e.event_type, e.evidence.trigger) for e in events]
    return found[0]


def codes(ents: tuple[Entity, ...]) -> list[str]:
    return [e.code for e in ents]


pytestmark_model = pytest.mark.model


@pytest.mark.model
def test_events_request_with_negative_content_is_not_negated(kb: Knowledge) -> None:
    evs = code("The US urged Turkey not to purchase any more Russian weapons.", kb)
    assert [e.event_type for e in evs] == ["REQUEST"]
    e = evs[0]
    assert (codes(e.actor), codes(e.recipient)) == (["USA"], ["TUR"])
    assert e.cameo.startswith("10") and e.quad_class == 3
    assert e.factuality.negated is False
    assert "not" in e.content and "purchase" in e.content
    assert (e.date, e.date_basis) == (PUB, "publication")


@pytest.mark.model
def test_events_warning_with_conditional_consequence_is_threaten(kb: Knowledge) -> None:
    evs = code("The US cautioned Turkey on Friday that buying more weaponry from Russia "
               "would jeopardize bilateral ties.", kb)
    e = one(evs, "THREATEN")
    assert (codes(e.actor), codes(e.recipient)) == (["USA"], ["TUR"])
    assert e.mode == ("relations",) and e.cameo.startswith("13")
    assert (e.date, e.date_text) == (date(2021, 10, 1), "on Friday")
    assert not [x for x in evs if x.event_type == "COOPERATE"]


@pytest.mark.model
def test_events_meeting_puts_all_participants_in_actor(kb: Knowledge) -> None:
    e = one(code("Erdogan met with Putin earlier this week.", kb), "CONSULT")
    assert codes(e.actor) == ["TUR", "RUS"] and e.recipient == ()
    assert (e.date, e.date_precision, e.date_text) == (date(2021, 9, 27), "week",
                                                       "earlier this week")


@pytest.mark.model
def test_events_visit_keeps_host_as_recipient(kb: Knowledge) -> None:
    e = one(code("Erdogan visited Moscow on Tuesday.", kb), "CONSULT")
    assert (codes(e.actor), codes(e.recipient), e.mode) == (["TUR"], ["RUS"], ("visit",))


@pytest.mark.model
@pytest.mark.parametrize(("text", "etype", "actor", "recipient"), [
    ("The EU imposed sanctions on Iran.", "COERCE", ["EUR"], ["IRN"]),
    ("US sanctions on Russia hurt its economy.", "COERCE", ["USA"], ["RUS"]),
    ("Turkey was sanctioned by the US.", "COERCE", ["USA"], ["TUR"]),
    ("The US kicked Turkey out of its F-35 program.", "SANCTION", ["USA"], ["TUR"]),
    ("China condemned Japan.", "ACCUSE", ["CHN"], ["JPN"]),
    ("Iran rejected the proposal by Iraq.", "REJECT", ["IRN"], []),
    ("Russia agreed to cooperate with Turkey.", "AGREE", ["RUS"], ["TUR"]),
    ("Turkey threatened to cut ties with Russia.", "THREATEN", ["TUR"], ["RUS"]),
])
def test_events_arguments_from_dependencies(kb: Knowledge, text: str, etype: str,
                                            actor: list[str], recipient: list[str]) -> None:
    evs = code(text, kb)
    assert len(evs) == 1, [(e.event_type, e.evidence.trigger) for e in evs]
    e = one(evs, etype)
    assert (codes(e.actor), codes(e.recipient)) == (actor, recipient)


@pytest.mark.model
def test_events_purchase_noun_has_buyer_seller_and_object(kb: Knowledge) -> None:
    evs = code("Turkey's purchase of the S-400 from Russia angered Washington.", kb,
               objects=["S-400"])
    e = one(evs, "COOPERATE")
    assert (codes(e.actor), codes(e.recipient)) == (["TUR"], ["RUS"])
    assert [o.name for o in e.objects] == ["S-400"]
    assert "military" in e.context and e.cameo == "062"


@pytest.mark.model
@pytest.mark.parametrize(("text", "etype", "field"), [
    ("Iran did not attack Iraq.", "ASSAULT", "negated"),
    ("China could impose sanctions on Japan.", "COERCE", "hypothetical"),
    ("If Iran attacks Iraq, the region will suffer.", "ASSAULT", "hypothetical"),
    ("Turkey bought the system from Russia in 2017.", "COOPERATE", "historical"),
    ("Russia plans to meet Turkey next week.", "AGREE", "future"),
])
def test_events_factuality(kb: Knowledge, text: str, etype: str, field: str) -> None:
    e = one(code(text, kb), etype)
    flags = {f: getattr(e.factuality, f) for f in ("negated", "hypothetical", "future",
                                                   "historical")}
    assert flags.pop(field) is True
    assert not any(flags.values()), flags


@pytest.mark.model
def test_events_future_cooperation_is_agree(kb: Knowledge) -> None:
    e = one(code("Russia will meet Turkey next week.", kb), "AGREE")
    assert e.cameo == "036" and e.factuality.future
    assert (e.date, e.date_precision) == (date(2021, 10, 4), "week")


@pytest.mark.model
def test_events_negated_acceptance_is_reject(kb: Knowledge) -> None:
    e = one(code("Iran will not accept the offer from Iraq.", kb), "REJECT")
    assert codes(e.actor) == ["IRN"]


@pytest.mark.model
def test_events_first_person_in_quote_falls_back_to_speaker(kb: Knowledge) -> None:
    evs = code("Sherman said, \u201cWe pressed Turkey to stop.\u201d", kb)
    e = one(evs, "REQUEST")
    assert (codes(e.actor), codes(e.recipient)) == (["USA"], ["TUR"])


@pytest.mark.model
def test_events_reported_obligation_is_request(kb: Knowledge) -> None:
    e = one(code("Blinken said Iran must stop enriching uranium.", kb), "REQUEST")
    assert (codes(e.actor), codes(e.recipient)) == (["USA"], ["IRN"])


@pytest.mark.model
def test_events_need_a_resolved_actor(kb: Knowledge) -> None:
    # the attack has no resolved side; a protest stands without one (events.BARE_TYPES)
    evs = code("Protesters marched through the streets and attacked a bank.", kb, actors={})
    assert [e.event_type for e in evs] == ["PROTEST"]


@pytest.mark.model
def test_events_several_events_per_sentence(kb: Knowledge) -> None:
    evs = code("Iran condemned Iraq and threatened China.", kb)
    assert sorted(e.event_type for e in evs) == ["ACCUSE", "THREATEN"]


@pytest.mark.model
def test_events_evidence_offsets_and_ids(kb: Knowledge) -> None:
    text = "Quiet day. The US urged Turkey to stop."
    evs = code(text, kb)
    e = one(evs, "REQUEST")
    ev = e.evidence
    assert text[ev.trigger_start:ev.trigger_end] == "urged" == ev.trigger
    assert text[ev.start:ev.end] == ev.sentence and ev.sentence_index == 1
    assert ev.url == "http://x/1" and e.published == PUB
    assert e.coder == "rules-1" and e.kb_version == "test-kb"
    assert 0.0 <= e.confidence <= 1.0
    again = one(code(text, kb), "REQUEST")
    assert again.id == e.id and e.id.startswith("e")


@pytest.mark.model
def test_events_confidence_prefers_full_dyads(kb: Knowledge) -> None:
    full = one(code("China condemned Japan.", kb), "ACCUSE")
    noun = one(code("Japan's talks ended.", kb), "CONSULT")
    assert full.confidence > noun.confidence


def test_events_unknown_coder_is_an_error(kb: Knowledge) -> None:
    doc = ParsedArticle(article=Article(id="a", published=PUB, text="x"), sentences=())
    assert "rules-1" in CODERS
    with pytest.raises(UnknownName):
        list(code_events(doc, Annotations(), kb=kb, coder="rules-0"))


def _hand_sentence() -> tuple[ParsedArticle, Annotations]:
    rows = [("Russia", "Russia", "PROPN", "NNP", "nsubj", 1),
            ("attacked", "attack", "VERB", "VBD", "ROOT", 1),
            ("Ukraine", "Ukraine", "PROPN", "NNP", "dobj", 1),
            ("yesterday", "yesterday", "NOUN", "NN", "npadvmod", 1)]
    toks, pos = [], 0
    for i, (t, lemma, upos, tag, dep, head) in enumerate(rows):
        toks.append(Token(i=i, text=t, lemma=lemma, pos=upos, tag=tag, dep=dep, head=head,
                          start=pos))
        pos += len(t) + 1
    text = " ".join(r[0] for r in rows)
    s = Sentence(index=0, start=0, end=len(text), text=text, tokens=tuple(toks),
                 entities=(Span(3, 4, "DATE", "yesterday"),))
    doc = ParsedArticle(article=Article(id="a2", published=PUB, text=text), sentences=(s,))
    ms = (Mention(0, 0, 1, 0, 6, "Russia", (Entity(code="RUS"),), "hand", head=0),
          Mention(0, 2, 3, 16, 23, "Ukraine", (Entity(code="UKR"),), "hand", head=2))
    return doc, Annotations(mentions=ms)


def test_events_hand_built_sentence_without_model(kb: Knowledge) -> None:
    doc, ann = _hand_sentence()
    (e,) = code_events(doc, ann, kb=kb)
    assert (e.event_type, e.cameo, codes(e.actor), codes(e.recipient)) == (
        "ASSAULT", "190", ["RUS"], ["UKR"])
    assert (e.date, e.date_basis, e.date_text) == (date(2021, 9, 30), "text", "yesterday")
    assert e.goldstein == -10.0 and e.quad_class == 4 and e.intensity == -9.0
