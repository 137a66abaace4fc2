"""case2021-task2 and india-police-events: loaders, the PLOVER mappings, scorers, and
floors on the real data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from conftest import SHARED
from detente.errors import EvalDataError
from detente.evaluate import run_eval
from detente.goldsets import NONE_LABEL
from detente.goldviolence import (
    CASE_TO_PLOVER,
    POLICE_TO_PLOVER,
    lead_event,
    load_case2021,
    load_india_police,
    score_case2021,
    score_india_police,
)
from detente.records import Entity, Event, Evidence
from evalfakes import event

FIXTURES = Path(__file__).parent / "data" / "eval"
REAL = SHARED / "data"


def ev(etype: str, *, mode: str = "", sentence: int = 0, confidence: float = 0.5,
       quad: int = 4, actor: tuple[Entity, ...] = (), cameo: str = "") -> Event:
    e = event(etype, cameo=cameo, actor=actor, confidence=confidence)
    return replace(e, mode=(mode,) if mode else (), quad_class=quad,
                   evidence=Evidence(sentence="", sentence_index=sentence, start=0, end=0))


POLICE = (Entity(code="IND", sector="COP"),)


def test_evaluate_case2021_mapping_covers_every_label_and_is_plover() -> None:
    from detente.knowledge import load_knowledge

    onto = load_knowledge().ontology
    for label, m in CASE_TO_PLOVER.items():
        if m is None:
            continue
        for t in m.accepted - {NONE_LABEL}:
            assert t in onto.event_types, (label, t)
        for mode in m.modes:
            assert onto.is_mode(m.primary, mode), (label, mode)
    types = REAL / "case2021-task2" / "event_types.txt"
    if types.is_file():
        listed = {line.strip() for line in types.read_text(encoding="utf-8").splitlines()
                  if re.fullmatch(r"[A-Z_]+", line.strip())}
        assert len(listed) == 30 and listed == set(CASE_TO_PLOVER)


def test_evaluate_case2021_loader(tmp_path: Path) -> None:
    items = load_case2021(FIXTURES / "case2021-task2")
    assert [it.labels for it in items][:3] == [("ARREST",), ("PEACE_PROTEST",),
                                                ("NATURAL_DISASTER",)]
    (tmp_path / "snippets.jsonl").write_text('{"id": 1, "text": "x", "label": "PICNIC"}\n',
                                             encoding="utf-8")
    with pytest.raises(EvalDataError, match="unknown label 'PICNIC'"):
        load_case2021(tmp_path)
    with pytest.raises(EvalDataError, match="snippets.jsonl is missing"):
        load_case2021(tmp_path / "nowhere")


def test_evaluate_case2021_lead_event_prefers_material_first_sentence() -> None:
    demand = ev("REQUEST", confidence=0.9, quad=3)
    march = ev("PROTEST", confidence=0.6)
    later = ev("ASSAULT", sentence=1, confidence=0.95)
    assert lead_event([demand, march, later]) is march
    assert lead_event([later]) is later and lead_event([]) is None


def test_evaluate_case2021_scores_types_modes_and_no_events() -> None:
    items = load_case2021(FIXTURES / "case2021-task2")
    preds = [
        [ev("COERCE", mode="arrest")],          # ARREST: right type and mode
        [ev("REQUEST", quad=3)],                # PEACE_PROTEST: wrong
        [],                                     # NATURAL_DISASTER: rightly no event
        [ev("ACCUSE", quad=3)],                 # DIPLO: an accepted verbal type
        [ev("ASSAULT")],                        # OTHER: not scored
    ]
    s = score_case2021(items, preds)
    m = s.metrics
    assert (m["scored"], m["unmapped"]) == (4, 1)
    assert m["type_accuracy"] == pytest.approx(3 / 4)
    assert m["no_event_accuracy"] == 1.0 and m["mode_accuracy"] == 1.0
    assert m["any_type_recall"] == pytest.approx(2 / 3)
    assert s.confusion is not None and s.confusion["PROTEST"] == {"REQUEST": 1}
    assert [e["gold"] for e in s.examples] == ["PEACE_PROTEST"]
    with pytest.raises(ValueError):
        score_case2021(items, preds[:2])


def test_evaluate_india_loader_dates_and_repairs_text(tmp_path: Path) -> None:
    items = load_india_police(FIXTURES / "india-police-events")
    assert items[0].published == date(2002, 3, 1) and items[3].published == date(2002, 3, 5)
    assert "\u2014" in items[3].text and "â" not in items[3].text
    assert items[0].labels == ("ARREST", "ANY_ACTION")
    (tmp_path / "sents.jsonl").write_text(
        '{"doc_id": 1, "sent_id": 0, "sent_labels": ["LOOT"], "sent_text": "x"}\n',
        encoding="utf-8")
    with pytest.raises(EvalDataError, match="unknown label"):
        load_india_police(tmp_path)


def test_evaluate_india_scores_police_actions() -> None:
    items = load_india_police(FIXTURES / "india-police-events")
    preds = [
        [ev("COERCE", mode="arrest", actor=POLICE)],
        [ev("ASSAULT", mode="crowd-control", actor=POLICE)],
        [ev("CONSULT", quad=1)],          # not police: no action
        [ev("ASSAULT")],                  # no police actor: counts only without the actor rule
    ]
    s = score_india_police(items, preds)
    m = s.metrics
    assert (m["arrest_precision"], m["arrest_recall"]) == (1.0, 1.0)
    assert (m["force_precision"], m["force_recall"]) == (1.0, 1.0)
    assert m["kill_precision"] == pytest.approx(0.0)
    assert m["force_f1_any_actor"] == pytest.approx(2 / 3)
    assert m["any_action_recall"] == 1.0 and m["any_action_precision"] == 1.0
    assert {r.label for r in s.per_class["police action (actor COP)"]} == {
        k for k, v in POLICE_TO_PLOVER.items() if v is not None}


def _need(name: str) -> Path:
    d = REAL / name
    if not (d / "README.md").is_file():
        pytest.skip(f"{d} not available")
    return d


@pytest.mark.model
def test_evaluate_case2021_floor_on_dev_data() -> None:
    """Floors under the README figures (`detente eval case2021-task2`)."""
    report = run_eval("case2021-task2", path=_need("case2021-task2"))
    m = report.metrics
    assert report.n == 715 and m["scored"] == 667
    assert m["type_accuracy"] >= 0.65
    assert m["type_macro_f1"] >= 0.50
    assert m["mode_accuracy"] >= 0.60
    assert m["no_event_accuracy"] >= 0.72


@pytest.mark.model
def test_evaluate_india_police_floor_on_dev_sample() -> None:
    """Floors on the first 3,000 DEV sentences (the whole set takes minutes; the README
    reports it whole: `detente eval india-police-events`)."""
    report = run_eval("india-police-events", path=_need("india-police-events"), limit=3000)
    m = report.metrics
    assert m["sentences"] == 3000
    assert m["arrest_f1"] >= 0.55
    assert m["force_f1"] >= 0.25
    assert m["macro_f1"] >= 0.30
