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
    "zsp-plv": {  # measured 0.658/0.764/0.835, 0.778/0.886/0.929, 0.799/0.908/0.945
        "rules-1": {"root_macro_f1": 0.63, "quad_macro_f1": 0.74, "binary_macro_f1": 0.81},
        "learned-1": {"root_macro_f1": 0.76, "quad_macro_f1": 0.87, "binary_macro_f1": 0.91},
        "combined-1": {"root_macro_f1": 0.78, "quad_macro_f1": 0.89, "binary_macro_f1": 0.93},
    },
    "zsp-aw": {  # measured 0.473, 0.748, 0.793
        "rules-1": {"binary_macro_f1": 0.45},
        "learned-1": {"binary_macro_f1": 0.72},
        "combined-1": {"binary_macro_f1": 0.77},
    },
    "plover-gsr": {  # measured type 0.616/0.699/0.717, exact 0.183/0.169/0.164
        "rules-1": {"type_accuracy": 0.59, "exact_match": 0.16},
        "learned-1": {"type_accuracy": 0.67, "exact_match": 0.14},
        "combined-1": {"type_accuracy": 0.69, "exact_match": 0.14},
    },
    "cameo-codebook-examples": {  # measured root 0.529/0.583/0.615, 3-digit 0.283/0.235/0.267
        "rules-1": {"root_accuracy": 0.50, "code3_accuracy": 0.25},
        "learned-1": {"root_accuracy": 0.55, "code3_accuracy": 0.20},
        "combined-1": {"root_accuracy": 0.58, "code3_accuracy": 0.23},
    },
    "conflibert-cameo": {  # measured 0.610, 0.742, 0.756
        "rules-1": {"penta_accuracy": 0.58},
        "learned-1": {"penta_accuracy": 0.71},
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
