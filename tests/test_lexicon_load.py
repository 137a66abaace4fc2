"""The trigger lexicon loads, covers PLOVER, and is validated against the ontology."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from detente.errors import KnowledgeError
from detente.knowledge import DATA_DIR
from detente.lexicon import load_lexicon
from detente.ontology import load_ontology

PLOVER_TYPES = ("AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT "
                "THREATEN PROTEST SANCTION MOBILIZE COERCE ASSAULT").split()


@pytest.fixture(scope="module")
def onto():
    return load_ontology([DATA_DIR])[0]


@pytest.fixture(scope="module")
def lex(onto):
    return load_lexicon([DATA_DIR], ontology=onto)[0]


def test_lexicon_covers_every_plover_type(lex) -> None:
    counts = Counter(p.event for pats in (*lex.verbs.values(), *lex.nouns.values())
                     for p in pats)
    assert set(counts) == set(PLOVER_TYPES)
    assert min(counts.values()) >= 10
    assert len(lex) >= 500


@pytest.mark.parametrize(("lemma", "particle", "event", "mode"), [
    ("kick", "out", "SANCTION", "expel"),
    ("urge", "", "REQUEST", ""),
    ("caution", "", "THREATEN", ""),
    ("meet", "", "CONSULT", ""),
    ("purchase", "", "COOPERATE", ""),
])
def test_lexicon_verb_patterns(lex, lemma: str, particle: str, event: str, mode: str) -> None:
    pats = [p for p in lex.verbs[lemma] if p.particle == particle and not p.objects]
    assert pats and pats[0].event == event and pats[0].mode == mode


def test_lexicon_most_specific_pattern_first(lex) -> None:
    specs = [p.specificity for p in lex.verbs["impose"]]
    assert specs == sorted(specs, reverse=True)
    assert {p.event for p in lex.nouns["strike"]} >= {"ASSAULT", "PROTEST"}


def test_lexicon_cameo_codes_are_strings_in_the_ontology(lex, onto) -> None:
    for pats in (*lex.verbs.values(), *lex.nouns.values()):
        for p in pats:
            assert isinstance(p.cameo, str) and p.cameo in onto.cameo


def test_lexicon_speech_verbs_and_cues(lex) -> None:
    assert {"say", "tell", "state"} <= lex.speech
    assert lex.cues[("neg", "not")] == "negation"
    assert lex.cues[("aux", "would")] == "hypothetical"
    assert lex.cues[("aux", "will")] == "future"


BAD_ENTRIES = [
    ("{key: x, source: t, lemma: parley, event: PARLEY, cameo: '040'}", "unknown PLOVER event"),
    ("{key: x, source: t, lemma: parley, event: CONSULT, cameo: '999'}", "unknown CAMEO code"),
    ("{key: x, source: t, lemma: parley, event: CONSULT, cameo: '040', mode: tea}", "no mode"),
    ("{key: x, source: t, lemma: parley, event: CONSULT, cameo: '040', context: [tea]}",
     "unknown PLOVER context"),
    ("{key: x, source: t, lemma: kick out, event: SANCTION, cameo: '166'}", "one word"),
    ("{key: x, lemma: parley, event: CONSULT, cameo: '040'}", "missing 'source'"),
    ("{key: x, source: t, lemma: buy, event: COOPERATE, cameo: '062', object: ['@boat']}",
     "object class '@boat'"),
    ("{key: x, source: t, lemma: buy, event: COOPERATE, cameo: '062', transfer: steal}",
     "transfer"),
]


@pytest.mark.parametrize(("entry", "problem"), BAD_ENTRIES)
def test_lexicon_rejects_bad_entries(tmp_path: Path, onto, entry: str, problem: str) -> None:
    (tmp_path / "mine.yaml").write_text(
        f"kind: event-verbs\nversion: '1'\nsource: test\nentries:\n  - {entry}\n",
        encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        load_lexicon([DATA_DIR, tmp_path], ontology=onto)
    assert "mine.yaml -> " in str(exc.value)
    assert problem in str(exc.value)


def test_lexicon_user_file_adds_pattern_without_code(tmp_path: Path, onto) -> None:
    (tmp_path / "mine.yaml").write_text(
        "kind: event-verbs\nversion: '1'\nsource: test\nentries:\n"
        "  - {key: parley, source: t, lemma: parley, event: CONSULT, cameo: '040', "
        "recipient: [with]}\n", encoding="utf-8")
    lex, files = load_lexicon([DATA_DIR, tmp_path], ontology=onto)
    assert lex.verbs["parley"][0].recipient == ("with",)
    assert any(f.path.endswith("mine.yaml") for f in files)
