"""The learned model on real parses of invented sentences (needs the spaCy model)."""

from __future__ import annotations

from datetime import date

import pytest

from detente import learned
from detente.nlp import parse_article
from detente.records import Article, Sentence

pytestmark = pytest.mark.model


def _parse(text: str) -> Sentence:
    art = Article(id="a-learned", published=date(2020, 1, 1), text=text)
    return parse_article(art).sentences[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebels attacked an army base, killing 12 soldiers.", "ASSAULT"),
        ("Japan sent emergency food aid to the flood victims.", "AID"),
        ("The court rejected the appeal.", "REJECT"),
        ("The minister accused the opposition of lying to voters.", "ACCUSE"),
    ],
)
def test_learned_parsed_clear_types(text: str, expected: str) -> None:
    label, prob = learned.load_model().predict(_parse(text))
    assert label == expected
    assert prob > 0.4


@pytest.mark.parametrize(
    ("text", "cooperation"),
    [
        ("The two governments signed a trade agreement on Monday.", True),
        ("Police fired tear gas at protesters in the capital.", False),
    ],
)
def test_learned_parsed_cooperation_or_conflict(text: str, cooperation: bool) -> None:
    q = learned.load_model().quad_proba(_parse(text))
    assert (q[1] + q[2] > 0.5) is cooperation
