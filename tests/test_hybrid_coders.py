"""The learned and combined coders: open arguments, fallbacks, retyping, fold models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from detente import hybrid, learned
from detente.errors import ModelNotFound
from detente.events import CODERS, code_events
from detente.knowledge import DATA_DIR, Knowledge
from detente.learned import EventModel, FoldModels, event_features, text_key
from detente.lexicon import load_lexicon
from detente.ontology import load_ontology
from detente.records import Annotations, Article, Entity, ParsedArticle, Sentence, Span, Token

PUB = date(2021, 10, 1)


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    onto = load_ontology([DATA_DIR])[0]
    lex = load_lexicon([DATA_DIR], ontology=onto)[0]
    return Knowledge(version="test-kb", actors=None, ontology=onto, lexicon=lex)


def _sentence() -> Sentence:
    """'The court painted Acme .' parsed by hand (no model needed)."""
    words = [("The", "the", "DET", "DT", "det", 1), ("court", "court", "NOUN", "NN", "nsubj", 2),
             ("painted", "paint", "VERB", "VBD", "ROOT", 2), ("Acme", "Acme", "PROPN", "NNP",
                                                            "dobj", 2),
             (".", ".", "PUNCT", ".", "punct", 2)]
    toks, pos = [], 0
    for i, (text, lemma, p, tag, dep, head) in enumerate(words):
        toks.append(Token(i=i, text=text, lemma=lemma, pos=p, tag=tag, dep=dep, head=head,
                          start=pos, ent_type="ORG" if text == "Acme" else ""))
        pos += len(text) + 1
    text = "The court painted Acme ."
    return Sentence(index=0, start=0, end=len(text), text=text, tokens=tuple(toks),
                    entities=(Span(3, 4, "ORG", "Acme"),),
                    noun_chunks=(Span(0, 2, "NP", "The court"), Span(3, 4, "NP", "Acme")))


def _doc(s: Sentence) -> ParsedArticle:
    return ParsedArticle(article=Article(id="a1", published=PUB, text=s.text), sentences=(s,))


def test_hybrid_open_mentions_cover_unresolved_arguments() -> None:
    s = _sentence()
    ms = hybrid.open_mentions(s, [])
    assert [(m.text, m.head, m.rule) for m in ms] == [("court", 1, "open"), ("Acme", 3, "open")]
    assert all(e.code == "" and e.sector == "" for m in ms for e in m.entities)
    assert ms[0].start == 4 and ms[0].end == 9  # the determiner is left out
    # a resolved mention covering a token keeps that phrase closed
    resolved = ms[1]
    assert [m.text for m in hybrid.open_mentions(s, [resolved])] == ["court"]


def test_hybrid_fallback_candidate_at_the_main_verb(kb: Knowledge) -> None:
    s = _sentence()
    cands = list(hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t"))
    assert len(cands) == 1
    c = cands[0]
    assert c.event.evidence.trigger == "painted"
    assert [e.text for e in c.event.actor] == ["court"]
    assert [e.text for e in c.event.recipient] == ["Acme"]
    feats = event_features(s, c.event, fallback=c.fallback)
    assert "FB" in feats and "T:paint" in feats and "A:open" in feats
    assert not any(f.startswith(("Rc:", "RT:")) for f in feats)  # a fallback has no rule type
    assert "R:REQUEST" not in feats


def _model(labels: tuple[str, ...], weights: dict[str, dict[str, float]]) -> EventModel:
    feats = sorted(weights)
    base = EventModel(labels=labels, index={}, weights=np.zeros((0, len(labels))),
                      bias=np.zeros(len(labels)))
    keys = base.hashes(feats)
    w = np.array([[weights[f].get(lab, 0.0) for lab in labels] for f in feats],
                 dtype=np.float32)
    return EventModel(labels=labels, index={k: i for i, k in enumerate(keys)}, weights=w,
                      bias=np.zeros(len(labels), dtype=np.float32), temperature=2.0)


LABELS = ("ACCUSE", "COERCE", "SANCTION", "YIELD")


def test_hybrid_model_types_the_event_with_calibrated_confidence(kb: Knowledge) -> None:
    s = _sentence()
    model = _model(LABELS, {"T:paint": {"SANCTION": 4.0}})
    (ev,) = code_events(_doc(s), Annotations(), kb=kb, coder="learned-1", model=model)
    assert ev.event_type == "SANCTION" and ev.coder == "learned-1"
    assert ev.cameo.startswith("16") and ev.quad_class == 4
    z = np.exp(np.array([0.0, 0.0, 4.0, 0.0]) / 2.0)
    assert ev.confidence == pytest.approx(z[2] / z.sum(), abs=1e-4)


def test_hybrid_yield_becomes_concede_or_retreat(kb: Knowledge) -> None:
    s = _sentence()
    (c,) = hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t")
    ev = hybrid.retype(c, {"YIELD": 0.9, "ACCUSE": 0.1}, kb=kb, coder="t")
    assert ev.event_type == "CONCEDE"  # "paint" is no withdrawal verb
    assert ev.quad_class == kb.ontology.quad_class("CONCEDE")
    assert ev.cameo in kb.ontology.cameo


def test_hybrid_rule_type_kept_with_its_code(kb: Knowledge) -> None:
    s = _sentence()
    (c,) = hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t")
    import dataclasses

    rule_ev = dataclasses.replace(c.event, event_type="ACCUSE", cameo="112")
    cand = hybrid.Candidate(s, rule_ev, False)
    ev = hybrid.retype(cand, {"ACCUSE": 0.8, "COERCE": 0.2}, kb=kb, coder="t")
    assert (ev.event_type, ev.cameo, ev.confidence) == ("ACCUSE", "112", 0.8)


def test_hybrid_base_cameo_is_a_known_root_code(kb: Knowledge) -> None:
    table = hybrid.base_cameo(kb.ontology)
    assert table["ASSAULT"] in ("180", "190") and table["REQUEST"] == "100"
    assert all(code in kb.ontology.cameo for code in table.values())


def test_hybrid_coders_are_registered() -> None:
    assert {"rules-1", "learned-1", "combined-1"} <= set(CODERS)
    assert set(learned.CODER_MODELS) == {"learned-1", "combined-1"}
    assert learned.eval_models("rules-1") is None


def test_hybrid_fold_models_pick_the_fold_that_did_not_see_the_text() -> None:
    full = _model(LABELS, {"T:paint": {"ACCUSE": 1.0}})
    f0 = _model(LABELS, {"T:paint": {"COERCE": 1.0}})
    f1 = _model(LABELS, {"T:paint": {"SANCTION": 1.0}})
    sel = FoldModels(full=full, folds=(f0, f1), table={text_key("a  b"): 1}, protocol="p")
    assert sel.model_for("a b") is f1  # whitespace-normalised key
    assert sel.model_for("something else") is full
    assert text_key("x") != text_key("y") and len(text_key("x")) == 16


def test_hybrid_packaged_models_load_with_folds() -> None:
    for coder, name in learned.CODER_MODELS.items():
        sel = learned.load_fold_models(name)
        assert sel.full.labels == sel.folds[0].labels
        assert len(sel.folds) == 5 and sel.table and sel.protocol
        meta = json.loads((learned.MODEL_DIR / f"{name}.meta.json").read_text("utf-8"))
        assert meta["coder"] == coder and meta["training_data"]
        assert 0.2 < sel.full.temperature < 5.0
        size = sum(p.stat().st_size for p in learned.MODEL_DIR.glob(f"{name}.*"))
        assert size < 100 * 2**20


def test_hybrid_missing_artefact_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        learned.load_event_model("nope", directory=str(tmp_path))


def test_hybrid_event_features_use_sectors_and_rules(kb: Knowledge) -> None:
    import dataclasses

    s = _sentence()
    (c,) = hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t")
    police = Entity(code="", sector="COP", text="court", start=4, end=9)
    ev = dataclasses.replace(c.event, actor=(police,), event_type="COERCE", cameo="173")
    feats = event_features(s, ev, rules=True)
    assert {"As:COP", "R:COERCE", "Rc:173", "RT:paint|COERCE", "A:res"} <= set(feats)
    assert not any(f.startswith(("Rc:", "RT:")) for f in event_features(s, ev, rules=False))


def test_hybrid_candidates_need_a_resolved_mention_without_open_only(kb: Knowledge) -> None:
    s = _sentence()
    assert list(hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t")) != []
    assert list(hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t",
                                  open_only=False)) == []


def test_hybrid_batched_scores_match_the_per_candidate_softmax(kb: Knowledge) -> None:
    s = _sentence()
    cands = list(hybrid.candidates(_doc(s), Annotations(), kb=kb, coder="t"))
    model = _model(LABELS, {"T:paint": {"SANCTION": 4.0, "ACCUSE": 1.0}, "BIAS": {"YIELD": 0.5}})
    ((k, p),) = hybrid.score_candidates(cands, model)
    feats = learned.sentence_base_features(s) + event_features(s, cands[0].event,
                                                               fallback=cands[0].fallback)
    probs = model.proba(model.hashes(feats))
    assert LABELS[k] == max(probs, key=probs.__getitem__) == "SANCTION"
    assert p == pytest.approx(probs["SANCTION"], abs=1e-9)
