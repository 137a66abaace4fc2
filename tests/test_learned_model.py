"""The optional learned event-type model: artefact, features, predictions (no spaCy)."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from detente import learned
from detente.errors import KnowledgeError
from detente.goldsets import PLOVER_TYPES
from detente.records import Sentence, Token

PLV_TYPES = {
    "AGREE", "CONSULT", "SUPPORT", "COOPERATE", "AID", "YIELD", "REQUEST", "ACCUSE",
    "REJECT", "THREATEN", "PROTEST", "MOBILIZE", "SANCTION", "COERCE", "ASSAULT",
}


def _sentence(words: list[tuple[str, str, str, str, int]], *, ents: dict[int, str] | None = None,
              ) -> Sentence:
    """Hand-built parse: (text, lemma, pos, dep, head) per token."""
    ents = ents or {}
    toks, pos = [], 0
    for i, (text, lemma, p, dep, head) in enumerate(words):
        toks.append(Token(i=i, text=text, lemma=lemma, pos=p, tag="VBD" if p == "VERB" else "NN",
                          dep=dep, head=head, start=pos, ent_type=ents.get(i, ""),
                          morph="Tense=Past" if p == "VERB" else ""))
        pos += len(text) + 1
    text = " ".join(w[0] for w in words)
    return Sentence(index=0, start=0, end=len(text), text=text, tokens=tuple(toks))


ATTACK = _sentence([
    ("Troops", "troop", "NOUN", "nsubj", 1), ("shelled", "shell", "VERB", "ROOT", 1),
    ("rebel", "rebel", "NOUN", "compound", 3), ("positions", "position", "NOUN", "dobj", 1),
    ("and", "and", "CCONJ", "cc", 1), ("killed", "kill", "VERB", "conj", 1),
    ("civilians", "civilian", "NOUN", "dobj", 5), (".", ".", "PUNCT", "punct", 1),
])
DEAL = _sentence([
    ("France", "France", "PROPN", "nsubj", 1), ("signed", "sign", "VERB", "ROOT", 1),
    ("an", "an", "DET", "det", 3), ("agreement", "agreement", "NOUN", "dobj", 1),
    ("with", "with", "ADP", "prep", 1), ("Germany", "Germany", "PROPN", "pobj", 4),
    (".", ".", "PUNCT", "punct", 1),
], ents={0: "GPE", 5: "GPE"})


@pytest.fixture(scope="module")
def model() -> learned.LearnedModel:
    return learned.load_model()


def test_learned_artefact_loads_with_meta(model: learned.LearnedModel) -> None:
    assert set(model.labels) == PLV_TYPES
    assert len(model.keys) == model.weights.shape[0] > 1000
    assert bool(np.all(model.keys[1:] > model.keys[:-1]))
    meta = model.meta
    assert meta["feature_version"] == learned.FEATURE_VERSION
    assert [d["set"] for d in meta["training_data"]] == ["zsp-plv"]
    assert all(d["licence"] for d in meta["training_data"])
    assert "grouped" in meta["protocol"]
    assert 0.5 < meta["cv_zsp_plv"]["root_macro_f1"] <= 1.0


def test_learned_artefact_is_small() -> None:
    size = sum(p.stat().st_size for p in learned.MODEL_DIR.glob(f"{learned.DEFAULT_MODEL}.*"))
    assert size < 10_000_000


def test_learned_hash_is_stable_crc32() -> None:
    got = learned.hash_features(["w:attack", "w:attack", "BIAS"])
    mask = (1 << learned.HASH_BITS) - 1
    want = sorted({zlib.crc32(b"w:attack") & mask, zlib.crc32(b"BIAS") & mask})
    assert got.tolist() == want


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (ATTACK, {"v:shell", "va:shell|dobj|position", "vc:shell|conj|kill", "r:shell",
                  "b:troop|shell", "vpast:kill"}),
        (DEAL, {"w:<gpe>", "vp:sign|with|<gpe>", "va:sign|dobj|agreement", "vd:sign|nsubj"}),
    ],
)
def test_learned_features_read_the_parse(sentence: Sentence, expected: set[str]) -> None:
    feats = learned.sentence_features(sentence)
    assert expected <= set(feats)
    assert len(feats) == len(set(feats))
    assert feats[0] == "BIAS"


def test_learned_features_use_actor_ranges_only_when_given() -> None:
    plain = set(learned.sentence_features(DEAL))
    with_roles = set(learned.sentence_features(DEAL, actor=(0, 1), recipient=(5, 6)))
    assert not any(f.startswith(("Av:", "Rv:")) for f in plain)
    assert {"Av:sign|nsubj", "Rv:sign|prep_with"} <= with_roles


def test_learned_negation_cue() -> None:
    neg = _sentence([
        ("Iran", "Iran", "PROPN", "nsubj", 3), ("did", "do", "AUX", "aux", 3),
        ("not", "not", "PART", "neg", 3), ("attack", "attack", "VERB", "ROOT", 3),
    ])
    feats = set(learned.sentence_features(neg))
    assert {"NEG", "mod:neg|not|attack"} <= feats
    assert "NEG" not in set(learned.sentence_features(ATTACK))


@pytest.mark.parametrize("sentence", [ATTACK, DEAL])
def test_learned_predicts_a_deterministic_distribution(
    model: learned.LearnedModel, sentence: Sentence
) -> None:
    p1 = model.predict_proba(sentence)
    p2 = model.predict_proba(sentence)
    assert p1 == p2
    assert set(p1) == set(model.labels)
    assert abs(sum(p1.values()) - 1.0) < 1e-9
    assert all(0.0 <= v <= 1.0 for v in p1.values())


@pytest.mark.parametrize(("sentence", "quad"), [(ATTACK, 4), (DEAL, 1)])
def test_learned_gets_clear_cases_right(
    model: learned.LearnedModel, sentence: Sentence, quad: int
) -> None:
    q = model.quad_proba(sentence)
    assert max(q, key=q.__getitem__) == quad
    label, prob = model.predict(sentence)
    assert learned.QUAD[label] == quad and prob > 0.2


def test_learned_plover_distribution_has_the_16_current_types(
    model: learned.LearnedModel,
) -> None:
    dist = model.plover_distribution(ATTACK)
    assert set(dist) == set(PLOVER_TYPES)
    assert len(dist) == 16
    assert abs(sum(dist.values()) - 1.0) < 1e-9


def test_learned_yield_goes_to_retreat_on_withdrawal(model: learned.LearnedModel) -> None:
    withdraw = _sentence([
        ("Russia", "Russia", "PROPN", "nsubj", 1), ("withdrew", "withdraw", "VERB", "ROOT", 1),
        ("its", "its", "PRON", "poss", 3), ("troops", "troop", "NOUN", "dobj", 1),
    ], ents={0: "GPE"})
    probs = model.predict_proba(withdraw)
    dist = model.plover_distribution(withdraw)
    assert dist["RETREAT"] >= probs["YIELD"] - 1e-12
    assert dist["CONCEDE"] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("rule", "probs", "want"),
    [
        ("ACCUSE", {"ACCUSE": 0.2, "ASSAULT": 0.8}, ("ASSAULT", 0.8)),
        ("ACCUSE", {"ACCUSE": 0.4, "ASSAULT": 0.6}, ("ACCUSE", 0.4)),
        ("AGREE", {"AGREE": 0.9, "AID": 0.1}, ("AGREE", 0.9)),
        (None, {"AGREE": 0.3, "AID": 0.7}, ("AID", 0.7)),
    ],
)
def test_learned_combine(rule: str | None, probs: dict[str, float],
                         want: tuple[str, float]) -> None:
    assert learned.combine(rule, probs, override=0.7) == want


def test_learned_rejects_other_feature_version(tmp_path: Path) -> None:
    for p in learned.MODEL_DIR.glob(f"{learned.DEFAULT_MODEL}.*"):
        shutil.copy(p, tmp_path / p.name)
    meta_path = tmp_path / f"{learned.DEFAULT_MODEL}.meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["feature_version"] = learned.FEATURE_VERSION + 1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="feature version"):
        learned.load_model(directory=str(tmp_path))


def test_learned_missing_artefact_is_a_knowledge_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="cannot read"):
        learned.load_model("nope", directory=str(tmp_path))


def test_learned_embedding_head_loads_numpy_only() -> None:
    head = learned.load_embedding_head()
    assert head.labels == learned.load_model().labels
    p = head.proba(np.ones((2, head.weights.shape[0])) / np.sqrt(head.weights.shape[0]))
    assert p.shape == (2, len(head.labels))
    assert np.allclose(p.sum(axis=1), 1.0)
