"""The petrarch-1 coder on hand-made dictionaries and on petr-unittest (needs the model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED
from detente import api
from detente.evaluate import run_eval
from detente.goldsets import event_triples
from detente.petrarch import import_petrarch

pytestmark = pytest.mark.model

ACTORS = """\
ARNOR [ARN]
GONDOR [GON]
+MINAS_TIRITH
OSGILIATH [OSG]
ROHAN [ROH]
WHITE_HOUSE [USAGOV]
"""
AGENTS = """\
OFFICIAL [~GOV]
POLICE {} [~COP]
SOLDIER [~MIL]
MSF {} [NGO~]
"""
VERBS = """\
&TIETYPES
+MILITARY
+ECONOMIC

--- RESTORE [060] ---
RESTORE
- * DIPLOMATIC TIES [064]
- * &TIETYPES TIES [065]

--- AGREE [081] ---
AGREE
- % * [030:030]

--- VISIT [042:043] ---
VISIT

--- CONDEMN [122] ---
CONDEMN

--- SUPPLY [070] ---
SUPPLY

--- SIGN [081] ---
SIGN
"""
DISCARDS = "BASEBALL\n"


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dicts")
    for name, body in (("t.actors.txt", ACTORS), ("t.agents.txt", AGENTS),
                       ("t.verbs.txt", VERBS), ("t.discards.txt", DISCARDS)):
        (d / name).write_text(body, encoding="utf-8")
    out = d / "kb"
    import_petrarch([d], out)
    return out


def _triples(text: str, kb_dir: Path) -> set[tuple[str, str, str]]:
    events = api.code(text, date="2001-05-01", kb_dirs=[kb_dir], coder="petrarch-1")
    assert all(e.coder == "petrarch-1" for e in events)
    return {t for e in events for t in event_triples(e)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Arnor will restore full diplomatic ties with Gondor.", {("ARN", "064", "GON")}),
     ("Arnor will restore economic ties with Gondor.", {("ARN", "065", "GON")}),
     ("Arnor will restore the old bridge near Gondor.", {("ARN", "060", "GON")}),
     ("Arnor officials restored diplomatic ties with Gondor police.",
      {("ARNGOV", "064", "GONCOP")}),
     ("Soldiers from Rohan restored diplomatic ties with Minas Tirith.",
      {("ROHMIL", "064", "GON")}),
     ("Arnor and Rohan restored diplomatic ties with Gondor and Osgiliath.",
      {("ARN", "064", "GON"), ("ARN", "064", "OSG"), ("ROH", "064", "GON"),
       ("ROH", "064", "OSG")}),
     ("Arnor and Rohan agree that the river must be shared.",
      {("ARN", "030", "ROH"), ("ROH", "030", "ARN")}),
     ("Arnor visited Gondor on Monday.", {("ARN", "042", "GON"), ("GON", "043", "ARN")}),
     ("Gondor was condemned by Osgiliath.", {("OSG", "122", "GON")}),
     ("Arnor signed an accord to supply Gondor with wheat.", {("ARN", "081", "GON")}),
     ("White House officials condemned Rohan.", {("USAGOV", "122", "ROH")}),
     ("An MSF Arnor official condemned Rohan.", {("NGOARNGOV", "122", "ROH")}),
     ("Arnor condemned the baseball league of Gondor.", set()),
     ("Arnor restored diplomatic ties.", set())],  # no target: nothing (require_dyad)
)
def test_dictcoder_codes_with_imported_dictionaries(kb_dir: Path, text: str,
                                                    expected: set[tuple[str, str, str]]
                                                    ) -> None:
    assert _triples(text, kb_dir) == expected


def test_dictcoder_without_dictionaries_codes_nothing() -> None:
    assert api.code("Arnor will restore diplomatic ties with Gondor.", date="2001-05-01",
                    coder="petrarch-1") == []


def test_evaluate_petr_unittest_floor() -> None:
    """petr-unittest coded with its own imported dictionaries (PETRARCH2: 31.5%)."""
    d = SHARED / "data" / "petr-unittest"
    if not (d / "records.jsonl").is_file():
        pytest.skip("petr-unittest not available")
    report = run_eval("petr-unittest")
    assert report.coder == "petrarch-1" and report.n == 189
    assert report.metrics["record_accuracy"] >= 0.70
    assert report.metrics["triple_f1"] >= 0.75


def test_evaluate_petr_unittest_imports_the_sets_own_dictionaries() -> None:
    fixture = Path(__file__).parent / "data" / "eval" / "petr-unittest"
    report = run_eval("petr-unittest", path=fixture)
    assert report.command == f"detente eval petr-unittest --path {fixture}"
    assert report.metrics["records_right"] == 3 and report.metrics["record_accuracy"] == 1.0
