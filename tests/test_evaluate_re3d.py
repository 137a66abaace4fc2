"""The re3d set: loader, span scorer, the run on a fixture and a floor on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED
from detente.errors import EvalDataError
from detente.evaluate import EVALS, run_eval
from detente.goldobjects import (
    MIN_CONFIDENCE,
    Re3dItem,
    SpanLabel,
    load_re3d,
    match_spans,
    score_re3d,
)

FIXTURE = Path(__file__).parent / "data" / "eval" / "re3d"
REAL = SHARED / "data" / "re3d"


def test_evaluate_re3d_loader_keeps_weapons_and_platforms() -> None:
    items = load_re3d(FIXTURE)
    assert [it.id for it in items] == ["SourceA/d1", "SourceB/d2"]
    first = items[0]
    assert [(e.type, first.text[e.start:e.end]) for e in first.entities] == [
        ("Weapon", "a mortar"), ("MilitaryPlatform", "two tanks")]
    assert items[1].entities[1].confidence < MIN_CONFIDENCE


def test_evaluate_re3d_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="documents.json"):
        load_re3d(tmp_path)
    sub = tmp_path / "S"
    sub.mkdir()
    (sub / "documents.json").write_text('{"_id": "d", "text": "abc"}\n', encoding="utf-8")
    (sub / "entities.json").write_text(
        '{"documentId": "d", "begin": 0, "end": 9, "type": "Weapon"}\n', encoding="utf-8")
    with pytest.raises(EvalDataError, match="outside the text"):
        load_re3d(tmp_path)
    (sub / "entities.json").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=r"entities.json:1"):
        load_re3d(tmp_path)


def test_evaluate_re3d_match_spans_strict_and_lenient() -> None:
    gold = [SpanLabel(0, 8, "Weapon"), SpanLabel(10, 15, "MilitaryPlatform")]
    pred = [SpanLabel(2, 8, "Weapon"), SpanLabel(10, 15, "Weapon"), SpanLabel(20, 25, "Weapon")]
    pairs, missed, extra = match_spans(gold, pred, exact=False)
    assert len(pairs) == 1 and missed == [gold[1]] and len(extra) == 2
    assert match_spans(gold, pred, exact=True)[0] == []
    assert len(match_spans(gold, pred, exact=False, typed=False)[0]) == 2


def test_evaluate_re3d_scores_and_ignores_low_confidence() -> None:
    item = Re3dItem("x", "a mortar hit two tanks; drones flew", DEFAULT_DATE,
                    (SpanLabel(0, 8, "Weapon"), SpanLabel(13, 22, "MilitaryPlatform"),
                     SpanLabel(24, 30, "MilitaryPlatform", confidence=0.2)))
    pred = [SpanLabel(2, 8, "Weapon"), SpanLabel(24, 30, "MilitaryPlatform"),
            SpanLabel(31, 35, "Weapon")]
    s = score_re3d([item], [pred])
    m = s.metrics
    assert (m["gold_entities"], m["predicted_entities"], m["ignored_low_confidence"]) == (2, 2, 1)
    assert m["lenient_precision"] == pytest.approx(0.5)
    assert m["lenient_recall"] == pytest.approx(0.5)
    assert m["strict_f1"] == 0.0
    rows = {r.label: r for r in s.per_class["type (lenient)"]}
    assert (rows["Weapon"].tp, rows["MilitaryPlatform"].support) == (1, 1)
    kinds = sorted(e["kind"] for e in s.examples)
    assert kinds == ["false positive", "missed"]
    with pytest.raises(ValueError):
        score_re3d([item], [])


DEFAULT_DATE = load_re3d(FIXTURE)[0].published


@pytest.mark.model
def test_evaluate_re3d_run_on_fixture() -> None:
    report = run_eval("re3d", path=FIXTURE)
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert report.n == 2 and report.metrics["gold_entities"] == 3
    # "a mortar" and "two tanks" and "frigate Ruritania" are found; "think tank" is not
    assert report.metrics["lenient_recall"] == 1.0
    assert report.metrics["lenient_precision"] == 1.0
    for key in EVALS["re3d"].headline:
        assert 0.0 <= d["metrics"][key] <= 1.0


@pytest.mark.model
def test_evaluate_re3d_floor_on_dev_data() -> None:
    """Floors under the figures in the README (`detente eval re3d`)."""
    if not (REAL / "README.md").is_file():
        pytest.skip(f"{REAL} not available")
    report = run_eval("re3d", path=REAL)
    m = report.metrics
    assert m["gold_entities"] == 118
    assert m["lenient_f1"] >= 0.72
    assert m["lenient_precision"] >= 0.75
    assert m["lenient_recall"] >= 0.68
    assert m["strict_f1"] >= 0.50
