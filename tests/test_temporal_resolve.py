"""Temporal expressions resolve relative to the publication date."""

from __future__ import annotations

from datetime import date

import pytest

from detente.records import Sentence, Span, Token
from detente.temporal import is_historical, resolve_event_date, resolve_expression

PUB = date(2021, 10, 1)  # a Friday

CASES = [
    ("on Friday", False, date(2021, 10, 1), "day"),
    ("on Thursday", False, date(2021, 9, 30), "day"),
    ("Monday", False, date(2021, 9, 27), "day"),
    ("last Friday", False, date(2021, 9, 24), "day"),
    ("on Friday", True, date(2021, 10, 8), "day"),
    ("next Tuesday", False, date(2021, 10, 5), "day"),
    ("yesterday", False, date(2021, 9, 30), "day"),
    ("today", False, date(2021, 10, 1), "day"),
    ("tomorrow", True, date(2021, 10, 2), "day"),
    ("earlier this week", False, date(2021, 9, 27), "week"),
    ("this week", False, date(2021, 9, 27), "week"),
    ("last week", False, date(2021, 9, 20), "week"),
    ("next week", True, date(2021, 10, 4), "week"),
    ("last month", False, date(2021, 9, 1), "month"),
    ("earlier this month", False, date(2021, 10, 1), "month"),
    ("last year", False, date(2020, 1, 1), "year"),
    ("in 2017", False, date(2017, 1, 1), "year"),
    ("in March", False, date(2021, 3, 1), "month"),
    ("in November", False, date(2020, 11, 1), "month"),
    ("in March", True, date(2022, 3, 1), "month"),
    ("March 2020", False, date(2020, 3, 1), "month"),
    ("on March 3", False, date(2021, 3, 3), "day"),
    ("March 3, 2020", False, date(2020, 3, 3), "day"),
    ("3 March 2020", False, date(2020, 3, 3), "day"),
    ("Sept. 12", False, date(2021, 9, 12), "day"),
    ("two days ago", False, date(2021, 9, 29), "day"),
    ("3 weeks ago", False, date(2021, 9, 6), "week"),
    ("a year ago", False, date(2020, 1, 1), "year"),
    ("the 1990s", False, date(1990, 1, 1), "decade"),
    ("2021-09-15", False, date(2021, 9, 15), "day"),
    # a clock time or a part of the day before the day itself
    ("at 0945 this morning", False, date(2021, 10, 1), "day"),
    ("approximately 2200 last night", False, date(2021, 9, 30), "day"),
    ("2200 hours yesterday", False, date(2021, 9, 30), "day"),
    ("early in the morning of 16 September", False, date(2021, 9, 16), "day"),
    ("the night of 3 March", False, date(2021, 3, 3), "day"),
    ("0630 on 3 March", False, date(2021, 3, 3), "day"),
]


@pytest.mark.parametrize(("text", "future", "expected", "precision"), CASES)
def test_temporal_resolves_expressions(text: str, future: bool, expected: date,
                                       precision: str) -> None:
    assert resolve_expression(text, PUB, future=future) == (expected, precision)


@pytest.mark.parametrize("text", ["recently", "soon", "at times", "", "the day", "February 30",
                                  "0945", "at 2200 hours", "the morning of"])
def test_temporal_unknown_expressions_are_none(text: str) -> None:
    assert resolve_expression(text, PUB) is None


@pytest.mark.parametrize(("d", "precision", "historical"), [
    (date(2017, 1, 1), "year", True), (date(2021, 9, 1), "month", False),
    (date(2021, 9, 27), "week", False), (date(2021, 3, 3), "day", True),
    (date(2020, 1, 1), "year", True),
])
def test_temporal_historical_flag(d: date, precision: str, historical: bool) -> None:
    assert is_historical(d, precision, PUB) is historical


def _sentence(rows: list[tuple[str, str, str, str, str, int]],
              ents: tuple[Span, ...] = ()) -> Sentence:
    toks, pos = [], 0
    for i, (text, lemma, upos, tag, dep, head) in enumerate(rows):
        toks.append(Token(i=i, text=text, lemma=lemma, pos=upos, tag=tag, dep=dep, head=head,
                          start=pos))
        pos += len(text) + 1
    text = " ".join(r[0] for r in rows)
    return Sentence(index=0, start=0, end=len(text), text=text, tokens=tuple(toks),
                    entities=ents)


# "Erdogan met Putin on Thursday and said talks would go on"
MET = _sentence([
    ("Erdogan", "Erdogan", "PROPN", "NNP", "nsubj", 1),
    ("met", "meet", "VERB", "VBD", "ROOT", 1),
    ("Putin", "Putin", "PROPN", "NNP", "dobj", 1),
    ("on", "on", "ADP", "IN", "prep", 1),
    ("Thursday", "Thursday", "PROPN", "NNP", "pobj", 3),
    ("and", "and", "CCONJ", "CC", "cc", 1),
    ("said", "say", "VERB", "VBD", "conj", 1),
], ents=(Span(4, 5, "DATE", "Thursday"),))


def test_temporal_event_date_from_attached_expression() -> None:
    res = resolve_event_date(MET, 1, PUB)
    assert (res.date, res.precision, res.basis, res.text) == (
        date(2021, 9, 30), "day", "text", "on Thursday")
    assert res.historical is False


def test_temporal_conjoined_verb_inherits_expression() -> None:
    assert resolve_event_date(MET, 6, PUB).date == date(2021, 9, 30)


def test_temporal_without_expression_uses_publication() -> None:
    bare = _sentence([("Erdogan", "Erdogan", "PROPN", "NNP", "nsubj", 1),
                      ("met", "meet", "VERB", "VBD", "ROOT", 1),
                      ("Putin", "Putin", "PROPN", "NNP", "dobj", 1)])
    res = resolve_event_date(bare, 1, PUB)
    assert (res.date, res.basis, res.text, res.historical) == (PUB, "publication", "", False)


# "early in the morning of 16 September , priests were killed": the entity recogniser
# found no date; the day of the month is still found, and the part of the day it
# belongs to ("morning") dates what that phrase modifies
MORNING = _sentence([
    ("early", "early", "ADV", "RB", "advmod", 1),
    ("in", "in", "ADP", "IN", "prep", 10),
    ("the", "the", "DET", "DT", "det", 3),
    ("morning", "morning", "NOUN", "NN", "pobj", 1),
    ("of", "of", "ADP", "IN", "prep", 3),
    ("16", "16", "NUM", "CD", "nummod", 6),
    ("September", "September", "PROPN", "NNP", "pobj", 4),
    (",", ",", "PUNCT", ",", "punct", 10),
    ("priests", "priest", "NOUN", "NNS", "nsubjpass", 10),
    ("were", "be", "AUX", "VBD", "auxpass", 10),
    ("killed", "kill", "VERB", "VBN", "ROOT", 10),
], ents=(Span(0, 4, "TIME", "early in the morning"),))


def test_temporal_day_of_month_in_a_part_of_the_day() -> None:
    res = resolve_event_date(MORNING, 10, PUB)
    assert (res.date, res.basis, res.text) == (date(2021, 9, 16), "text", "of 16 September")


# "At 0945 this morning , gunmen carried out an attack": one TIME entity with the clock
CLOCK = _sentence([
    ("At", "at", "ADP", "IN", "prep", 6),
    ("0945", "0945", "NUM", "CD", "pobj", 0),
    ("this", "this", "DET", "DT", "det", 3),
    ("morning", "morning", "NOUN", "NN", "npadvmod", 6),
    (",", ",", "PUNCT", ",", "punct", 6),
    ("gunmen", "gunman", "NOUN", "NNS", "nsubj", 6),
    ("carried", "carry", "VERB", "VBD", "ROOT", 6),
    ("out", "out", "ADP", "RP", "prt", 6),
    ("an", "an", "DET", "DT", "det", 9),
    ("attack", "attack", "NOUN", "NN", "dobj", 6),
], ents=(Span(1, 4, "TIME", "0945 this morning"),))


def test_temporal_clock_time_before_the_day() -> None:
    res = resolve_event_date(CLOCK, 9, PUB)
    assert (res.date, res.basis) == (PUB, "text")
    # an hour alone says nothing of the day: the publication date, as before
    bare = _sentence([(t.text, t.lemma, t.pos, t.tag, t.dep, t.head) for t in CLOCK.tokens],
                     ents=(Span(1, 2, "TIME", "0945"),))
    assert resolve_event_date(bare, 9, PUB).basis == "publication"


@pytest.mark.model
@pytest.mark.parametrize(("text", "trigger", "expected", "precision", "basis"), [
    ("Turkey bought the system in 2017 from Russia.", "bought", date(2017, 1, 1), "year",
     "text"),
    ("Erdogan met with Putin earlier this week to explore cooperation.", "met",
     date(2021, 9, 27), "week", "text"),
    ("The minister said on Thursday that the talks had failed.", "said", date(2021, 9, 30),
     "day", "text"),
    ("The two leaders will meet next week in Sochi.", "meet", date(2021, 10, 4), "week",
     "text"),
    ("Following Turkey's purchase of the system, the US warned Ankara on Friday.",
     "purchase", PUB, "day", "publication"),
    ("At 0945 this morning, a group of subversives conducted an armed attack against a "
     "former minister.", "attack", PUB, "day", "text"),
    ("A few hours later, early in the morning of 16 September, six priests were "
     "assassinated in their residence.", "assassinated", date(2021, 9, 16), "day", "text"),
])
def test_temporal_event_date_on_parsed_sentences(text: str, trigger: str, expected: date,
                                                 precision: str, basis: str) -> None:
    from detente.nlp import parse_article
    from detente.records import Article

    doc = parse_article(Article(id="t", published=PUB, text=text))
    s = doc.sentences[0]
    i = next(t.i for t in s.tokens if t.text == trigger)
    future = any(t.lemma == "will" for t in s.tokens)
    res = resolve_event_date(s, i, PUB, future=future, speech=frozenset({"say"}))
    assert (res.date, res.precision, res.basis) == (expected, precision, basis)


def test_temporal_number_before_a_modal_is_no_date() -> None:
    # "2 may": the verb, not the month
    s = _sentence([("The", "the", "DET", "DT", "det", 1), ("2", "2", "NUM", "CD", "nsubj", 3),
                   ("may", "may", "AUX", "MD", "aux", 3), ("attack", "attack", "VERB", "VB",
                                                          "ROOT", 3)])
    assert resolve_event_date(s, 3, PUB).basis == "publication"
