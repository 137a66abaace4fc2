"""Scoring functions of the evaluation harness, on hand-built labels and events."""

from __future__ import annotations

import pytest

from detente.evaluate import (
    NONE_LABEL,
    accuracy,
    cameo_actor,
    confusion,
    event_triples,
    expected_calibration_error,
    loose_triple,
    macro_f1,
    map_plover_05,
    match_counts,
    normalise_code,
    per_class,
    pick_event,
    prf,
    reliability,
    to_plv,
)
from evalfakes import ent, event


def test_evaluate_per_class_counts_precision_recall_f1() -> None:
    gold = ["A", "A", "A", "B", "B", "C"]
    pred = ["A", "A", "B", "B", NONE_LABEL, "A"]
    rows = {r.label: r for r in per_class(gold, pred)}
    assert list(rows) == ["A", "B", "C"]  # gold classes only; NONE is just a miss
    assert rows["A"].precision == pytest.approx(2 / 3)
    assert rows["A"].recall == pytest.approx(2 / 3)
    assert rows["A"].f1 == pytest.approx(2 / 3)
    assert rows["B"].precision == pytest.approx(1 / 2)
    assert rows["B"].recall == pytest.approx(1 / 2)
    assert (rows["C"].precision, rows["C"].recall, rows["C"].f1) == (0.0, 0.0, 0.0)
    assert (rows["A"].support, rows["A"].predicted, rows["A"].tp) == (3, 3, 2)
    assert macro_f1(rows.values()) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)


def test_evaluate_per_class_fixed_labels_keep_order_and_zero_rows() -> None:
    rows = per_class(["A"], ["A"], labels=["B", "A"])
    assert [r.label for r in rows] == ["B", "A"]
    assert rows[0].support == 0
    assert macro_f1(rows) == 1.0  # rows without gold support are not averaged


def test_evaluate_per_class_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError):
        per_class(["A", "B"], ["A"])


def test_evaluate_accuracy_and_confusion() -> None:
    gold = ["A", "A", "B"]
    pred = ["A", "B", "B"]
    assert accuracy(gold, pred) == pytest.approx(2 / 3)
    assert confusion(gold, pred) == {"A": {"A": 1, "B": 1}, "B": {"B": 1}}
    assert accuracy([], []) == 0.0


@pytest.mark.parametrize(("old", "new"), [
    ("DEMAND", "REQUEST"), ("DISAPPROVE", "ACCUSE"), ("INVESTIGATE", "ACCUSE"),
    ("FIGHT", "ASSAULT"), ("ASSAULT", "ASSAULT"), ("concede", "CONCEDE"), ("AGREE", "AGREE"),
])
def test_evaluate_map_plover_05(old: str, new: str) -> None:
    assert map_plover_05(old) == new


@pytest.mark.parametrize(("current", "plv"), [
    ("CONCEDE", "YIELD"), ("RETREAT", "YIELD"), ("REQUEST", "REQUEST"), ("AID", "AID"),
])
def test_evaluate_to_plv(current: str, plv: str) -> None:
    assert to_plv(current) == plv


@pytest.mark.parametrize(("code", "cameo", "expected"), [
    ("JAP", "", "JPN"), ("ITL", "", "ITA"), ("ROM", "", "ROU"), ("ZAR", "", "COD"),
    ("XKX", "", "KOS"), ("usa", "", "USA"), ("PSE", "", "PSE"), ("IGO", "", "IGO"),
    ("UNO", "", "IGO"), ("EUR", "", "IGO"), ("NATO", "", "IGO"), ("NAT", "IGOWSTNAT", "IGO"),
    ("NGO", "", "NGO"), ("", "", ""),
])
def test_evaluate_normalise_code(code: str, cameo: str, expected: str) -> None:
    assert normalise_code(code, cameo=cameo) == expected


@pytest.mark.parametrize(("entity", "expected"), [
    (ent("USA", sector="GOV", cameo="USAGOV"), "USAGOV"),
    (ent("ISR", sector="MIL"), "ISRMIL"),
    (ent("GBR", sector="JRN"), "GBRMED"),  # PLOVER JRN is CAMEO MED (media)
    (ent("", sector="REB"), "---REB"),
    (ent("TUR"), "TUR"),
])
def test_evaluate_cameo_actor(entity: object, expected: str) -> None:
    assert cameo_actor(entity) == expected  # type: ignore[arg-type]


def test_evaluate_event_triples_expand_compound_actors() -> None:
    ev = event("CONSULT", cameo="040",
               actor=(ent("USA", cameo="USAGOV"), ent("RUS", cameo="RUSGOV")),
               recipient=(ent("CHE"),))
    assert event_triples(ev) == [("USAGOV", "040", "CHE"), ("RUSGOV", "040", "CHE")]
    assert event_triples(event("PROTEST", cameo="140", actor=(ent("RWA", sector="LEG"),))) \
        == [("RWALEG", "140", "---")]


def test_evaluate_match_counts_is_multiset_per_item() -> None:
    gold = [[("USA", "040", "RUS"), ("USA", "040", "RUS")], [("ISR", "190", "PSE")]]
    pred = [[("USA", "040", "RUS")], [("ISR", "190", "PSE"), ("PSE", "190", "ISR")]]
    assert match_counts(gold, pred) == (2, 3, 3)
    # a triple right in the wrong sentence is not a hit
    assert match_counts([[("A", "1", "B")], []], [[], [("A", "1", "B")]]) == (0, 1, 1)
    scores = prf(2, 3, 4)
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert prf(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_evaluate_loose_triple_keeps_countries_and_root() -> None:
    assert loose_triple(("ISRMIL", "0352", "PSEGOV")) == ("ISR", "03", "PSE")
    assert loose_triple(("---REB", "190", "---")) == ("---", "19", "---")


def test_evaluate_pick_event_prefers_span_overlap_then_confidence() -> None:
    src, tgt = [(0, 10)], [(20, 30)]
    off = event("ACCUSE", actor=(ent("USA", span=(40, 45)),), confidence=0.9)
    half = event("REQUEST", actor=(ent("USA", span=(2, 6)),), confidence=0.3)
    both = event("REJECT", actor=(ent("USA", span=(2, 6)),),
                 recipient=(ent("TUR", span=(25, 28)),), confidence=0.1)
    assert pick_event([off, half, both], src, tgt) is both
    assert pick_event([off, half], src, tgt) is half
    assert pick_event([half, off]) is off  # no spans: highest confidence
    assert pick_event([], src, tgt) is None
    # offsets of -1 (entity not from text) never overlap
    assert pick_event([event("AID", actor=(ent("USA"),), confidence=0.2), off], src, tgt) is off


def test_evaluate_score_petr_plover_roots_ignore_statements() -> None:
    from datetime import date

    from detente.evaluate import PetrItem, score_petr

    items = [PetrItem("s1", "x", date(2000, 1, 1),
                      (("USA", "013", "RUS"), ("USA", "040", "RUS")), False)]
    preds = [[event("CONSULT", cameo="040", actor=(ent("USA"),), recipient=(ent("RUS"),))]]
    m = score_petr(items, preds).metrics
    assert m["loose_recall"] == pytest.approx(1 / 2)
    assert m["loose_f1_plover_roots"] == 1.0
    assert m["dyad_f1"] == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_evaluate_spread_takes_examples_from_every_class() -> None:
    from detente.goldsets import spread

    exs = [{"gold": g, "i": i} for i, g in enumerate("AAAAABBC")]
    picked = spread(exs, key="gold", limit=4)
    assert [e["i"] for e in picked] == [0, 1, 5, 7]  # A, B, C first, then A again, in order
    assert spread(exs, key="gold", limit=100) == exs
    assert spread([], key="gold") == []


def test_evaluate_reliability_bins_and_ece() -> None:
    pairs = [(0.95, True), (0.91, True), (0.99, False), (0.55, True), (0.52, False),
             (1.0, True), (0.0, False)]
    table = reliability(pairs)
    assert [(b.low, b.n) for b in table] == [(0.0, 1), (0.5, 2), (0.9, 4)]
    top = table[-1]
    assert top.high == 1.0 and top.accuracy == pytest.approx(3 / 4)
    assert top.confidence == pytest.approx((0.95 + 0.91 + 0.99 + 1.0) / 4)
    expected = (1 * 0.0 + 2 * abs(0.5 - 0.535) + 4 * abs(0.75 - 0.9625)) / 7
    assert expected_calibration_error(table) == pytest.approx(expected)
    assert reliability([]) == [] and expected_calibration_error([]) == 0.0
    perfect = reliability([(0.75, True)] * 3 + [(0.75, False)])
    assert expected_calibration_error(perfect) == pytest.approx(0.0)
