"""The nlp stage's conversion of spaCy Docs into records, and its flat memory.

``doc_to_sentences`` reads token attributes in bulk (``Doc.to_array``); the reference
below reads them one property at a time, as spaCy documents them, and both must agree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from detente.records import Article, Sentence, Span, Token

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.model


def _reference(doc: object, *, offset: int = 0, first_index: int = 0) -> list[Sentence]:
    out: list[Sentence] = []
    index = first_index
    ents = list(doc.ents)  # type: ignore[attr-defined]
    chunks = list(doc.noun_chunks)  # type: ignore[attr-defined]
    for sent in doc.sents:  # type: ignore[attr-defined]
        if not sent.text.strip():
            continue
        s0 = sent.start
        tokens = tuple(
            Token(i=t.i - s0, text=t.text, lemma=t.lemma_, pos=t.pos_, tag=t.tag_, dep=t.dep_,
                  head=t.head.i - s0, start=t.idx + offset, ent_type=t.ent_type_,
                  ent_iob=t.ent_iob_, morph=str(t.morph), like_num=t.like_num)
            for t in sent)
        out.append(Sentence(
            index=index, start=sent.start_char + offset, end=sent.end_char + offset,
            text=sent.text, tokens=tokens,
            entities=tuple(Span(e.start - s0, e.end - s0, e.label_, e.text) for e in ents
                           if e.start >= s0 and e.end <= sent.end),
            noun_chunks=tuple(Span(c.start - s0, c.end - s0, "NP", c.text) for c in chunks
                              if c.start >= s0 and c.end <= sent.end)))
        index += 1
    return out


def test_nlp_doc_to_sentences_matches_per_token_reference() -> None:
    from detente.nlp import doc_to_sentences, load_model

    nlp = load_model()
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.txt"))]
    texts.append("  Two  spaces.\n\nA new paragraph: the U.S. and Turkey's F-35s, 12 jets.  ")
    for text in texts:
        doc = nlp(text)
        got = doc_to_sentences(doc, offset=7, first_index=3)
        assert got == _reference(doc, offset=7, first_index=3)
        assert got and any(s.entities for s in got)


@pytest.mark.parametrize("zone", [512, 16])
def test_nlp_parse_keeps_vocabulary_flat(zone: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Strings spaCy interns for a group of articles are released after it
    (``memory_zone``), with one group or several."""
    from detente import nlp as nlp_mod
    from detente.nlp import load_model, parse

    monkeypatch.setattr(nlp_mod, "ZONE_ARTICLES", zone)
    nlp = load_model()
    list(parse([Article(id="w", published=date(2020, 1, 1), text="Warm up.")], nlp=nlp))
    before = len(nlp.vocab.strings)
    arts = [Article(id=f"a{i}", published=date(2020, 1, 1),
                    text=" ".join(f"Qzx{i}v{j} met Wxy{i}k{j} in Paris." for j in range(10)))
            for i in range(40)]
    parsed = list(parse(arts, nlp=nlp, batch_size=8))
    assert len(nlp.vocab.strings) == before
    assert parsed[5].sentences[0].tokens[0].text == "Qzx5v0"  # records keep their text
    assert parsed[39].sentences[0].tokens[2].text == "Wxy39k0"
    assert [p.article.id for p in parsed] == [a.id for a in arts]
