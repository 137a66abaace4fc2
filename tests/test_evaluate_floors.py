"""Floors on the coders' accuracy on the real dev sets in ../shared/data.

Each set is parsed once and coded by every coder (``run_evals``); learned coders are
scored with the cross-validation fold model that did not see the text. The floors sit a
little under the figures measured when they were set (README, Evaluation), so a change
that lowers a figure fails here instead of going unnoticed. Skipped where the data or the
spaCy model is absent.
"""

from __future__ import annotations

import pytest

from conftest import SHARED, has_model
from detente.evaluate import EVALS, run_evals

pytestmark = [pytest.mark.model, pytest.mark.slow]

CODERS = ("rules-1", "learned-1", "combined-1")

FLOORS: dict[str, dict[str, dict[str, float]]] = {
    "zsp-plv": {  # measured 0.664/0.770/0.845, 0.782/0.891/0.930, 0.797/0.907/0.945
        "rules-1": {"root_macro_f1": 0.64, "quad_macro_f1": 0.75, "binary_macro_f1": 0.82},
        "learned-1": {"root_macro_f1": 0.76, "quad_macro_f1": 0.87, "binary_macro_f1": 0.91},
        "combined-1": {"root_macro_f1": 0.78, "quad_macro_f1": 0.89, "binary_macro_f1": 0.93},
    },
    "zsp-aw": {  # measured 0.565, 0.753, 0.796
        "rules-1": {"binary_macro_f1": 0.54},
        "learned-1": {"binary_macro_f1": 0.73},
        "combined-1": {"binary_macro_f1": 0.77},
    },
    "plover-gsr": {  # measured type 0.648/0.708/0.708, exact 0.187/0.169/0.164
        "rules-1": {"type_accuracy": 0.62, "exact_match": 0.16},
        "learned-1": {"type_accuracy": 0.68, "exact_match": 0.14},
        "combined-1": {"type_accuracy": 0.68, "exact_match": 0.14},
    },
    "cameo-codebook-examples": {  # measured root 0.562/0.578/0.610, 3-digit 0.305/0.230/0.267
        "rules-1": {"root_accuracy": 0.53, "code3_accuracy": 0.28},
        "learned-1": {"root_accuracy": 0.55, "code3_accuracy": 0.20},
        "combined-1": {"root_accuracy": 0.58, "code3_accuracy": 0.24},
    },
    "conflibert-cameo": {  # measured 0.622, 0.747, 0.753
        "rules-1": {"penta_accuracy": 0.60},
        "learned-1": {"penta_accuracy": 0.72},
        "combined-1": {"penta_accuracy": 0.73},
    },
}
"""Set -> coder -> metric -> floor."""

ECE_CEILING = {"learned-1": 0.10, "combined-1": 0.10}
"""The learned coders' confidences are calibrated on held-out rows: their expected
calibration error on zsp-plv stays under this."""


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_evaluate_floors_on_dev_sets(name: str) -> None:
    directory = SHARED / "data" / name
    if not (directory / EVALS[name].records_file).is_file():
        pytest.skip(f"{directory} not available")
    if not has_model():
        pytest.skip("spaCy model not installed")
    reports = {r.coder: r for r in run_evals(name, coders=CODERS, path=directory)}
    low = []
    for coder, floors in FLOORS[name].items():
        for metric, floor in floors.items():
            got = reports[coder].metrics[metric]
            if got < floor:
                low.append(f"{coder} {metric} {got:.4f} < {floor}")
    assert not low, f"{name}: " + "; ".join(low)
    for coder in ("learned-1", "combined-1"):
        assert reports[coder].protocol, "learned coders must report their protocol"
    if name == "zsp-plv":
        for coder, ceiling in ECE_CEILING.items():
            assert reports[coder].metrics["ece"] < ceiling, coder
