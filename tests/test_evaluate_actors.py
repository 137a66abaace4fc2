"""Actor evals: loaders and scorers without the model; runs on fixtures and floors on the
real dev sets with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED
from detente.evalactors import (
    ActorGold,
    PredSpan,
    load_conflibert_actors,
    load_crossner,
    load_gsr_actors,
    load_plv_actors,
    score_crossner,
    score_gsr_actors,
    score_span_resolution,
)
from detente.evaluate import run_eval

FIXTURES = Path(__file__).parent / "data" / "eval"


def test_evaluate_actor_loaders_read_fixtures() -> None:
    gsr = load_gsr_actors(FIXTURES / "plover-gsr-actors")
    assert [(g.role, g.code, g.sector, g.text[g.start:g.end]) for g in gsr] == [
        ("actor", "TUR", "MIL", "Turkish troops"), ("recipient", "GRC", "COP", "Greek police"),
        ("actor", "RUS", "GOV", "The Kremlin"), ("recipient", "JPN", "", "Japan")]
    plv = load_plv_actors(FIXTURES / "zsp-plv-actors")
    assert [g.text[g.start:g.end] for g in plv][:2] == ["French officials", "the attack on Mali"]
    cb = load_conflibert_actors(FIXTURES / "conflibert-ner-actors")
    assert [(g.role, g.text[g.start:g.end]) for g in cb] == [
        ("actor", "Kenyan police"), ("recipient", "two men"), ("actor", "Chile"),
        ("recipient", "Chile"), ("actor", "Peru"), ("recipient", "Peru")]
    cx = load_crossner(FIXTURES / "crossner-politics")
    assert [(g.role, g.text[g.start:g.end]) for g in cx] == [
        ("politicalparty", "Greens"), ("country", "Germany"), ("organisation", "NATO"),
        ("none", "")]


def _g(role: str, code: str = "", sector: str = "") -> ActorGold:
    from datetime import date

    return ActorGold("x", "Turkish troops fired.", date(2000, 1, 1), role, 0, 14, code, sector)


def test_evaluate_actor_scorers() -> None:
    hit = [PredSpan(0, 14, ("TUR",), ("MIL",), "country-adjective+role", "other")]
    wrong = [PredSpan(0, 7, ("GRC",), ("GOV",), "country-adjective", "country")]
    s = score_gsr_actors([_g("actor", "TUR", "MIL"), _g("recipient", "TUR", "REB")],
                         [hit, wrong])
    assert s.metrics["actor_country_accuracy"] == 1.0
    assert s.metrics["recipient_country_accuracy"] == 0.0
    assert s.metrics["actor_sector_accuracy"] == 1.0
    r = score_span_resolution([_g("actor"), _g("recipient")], [hit, []])
    assert (r.metrics["actor_resolved"], r.metrics["recipient_resolved"]) == (1.0, 0.0)
    c = score_crossner([_g("country")], [wrong])
    assert c.metrics["country_f1"] == 1.0 and c.metrics["typed_span_recall"] == 1.0


@pytest.mark.model
def test_evaluate_actor_sets_run_on_fixtures() -> None:
    gsr = run_eval("plover-gsr-actors", path=FIXTURES / "plover-gsr-actors")
    assert gsr.metrics["actor_country_accuracy"] == 1.0
    assert gsr.metrics["recipient_country_accuracy"] == 1.0
    cx = run_eval("crossner-politics", path=FIXTURES / "crossner-politics")
    assert cx.metrics["country_f1"] == 1.0 and cx.metrics["organisation_f1"] == 1.0


def _real(name: str, file: str) -> Path:
    d = SHARED / "data" / name
    if not (d / file).is_file():
        pytest.skip(f"{d} not available")
    return d


@pytest.mark.model
def test_evaluate_plover_gsr_actor_floors() -> None:
    _real("plover-gsr", "records.jsonl")
    r = run_eval("plover-gsr-actors")
    assert r.metrics["actor_country_accuracy"] >= 0.70
    assert r.metrics["recipient_country_accuracy"] >= 0.64
    assert r.metrics["actor_sector_accuracy"] >= 0.70


@pytest.mark.model
def test_evaluate_crossner_typing_floor() -> None:
    _real("crossner-politics", "dev.txt")
    r = run_eval("crossner-politics")
    assert r.metrics["country_f1"] >= 0.28
    assert r.metrics["politicalparty_f1"] >= 0.28
    assert r.metrics["macro_f1"] >= 0.21
