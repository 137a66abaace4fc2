"""The PLOVER/CAMEO ontology files load, cross-check and answer lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.errors import KnowledgeError
from detente.knowledge import DATA_DIR
from detente.ontology import load_ontology

PLOVER_TYPES = ("AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT "
                "THREATEN PROTEST SANCTION MOBILIZE COERCE ASSAULT").split()


@pytest.fixture(scope="module")
def onto():
    return load_ontology([DATA_DIR])[0]


def test_ontology_has_the_sixteen_plover_types(onto) -> None:
    assert sorted(onto.event_types) == sorted(PLOVER_TYPES)


@pytest.mark.parametrize(("etype", "quad"), [("AGREE", 1), ("COOPERATE", 2), ("REQUEST", 3),
                                             ("SANCTION", 4), ("ASSAULT", 4)])
def test_ontology_quad_class_of_types(onto, etype: str, quad: int) -> None:
    assert onto.quad_class(etype) == quad


@pytest.mark.parametrize(("etype", "mode", "score"), [
    ("THREATEN", "relations", -3.5), ("CONSULT", "visit", 4.0), ("ASSAULT", "aerial", -9.5),
    ("REQUEST", "", 0.0), ("PROTEST", "vandalize", -5.0),  # no mode score: the type's
])
def test_ontology_intensity_uses_mode_score(onto, etype: str, mode: str, score: float) -> None:
    assert onto.intensity(etype, mode) == score


@pytest.mark.parametrize(("code", "goldstein"), [
    ("010", 0.0), ("16", -4.0), ("163", -8.0), ("190", -10.0), ("057", 8.0),
    ("1213", -4.0),  # missing from GDELT's table: ICEWS value
    ("1623", -5.6), ("0874", 10.0),
])
def test_ontology_goldstein_default_is_gdelt(onto, code: str, goldstein: float) -> None:
    assert onto.goldstein(code) == goldstein


def test_ontology_keeps_icews_goldstein_and_string_codes(onto) -> None:
    assert onto.cameo["016"].goldstein == -2.0
    assert onto.cameo["016"].goldstein_icews == -5.0
    assert "010" in onto.cameo and "10" in onto.cameo and onto.cameo["10"].name == "DEMAND"
    assert onto.cameo["145"].quad_class == 3 and onto.cameo["190"].quad_class == 4


def test_ontology_cameo_to_plover_mapping(onto) -> None:
    assert onto.cameo_to_plover["042"].event == "CONSULT"
    assert onto.cameo_to_plover["042"].mode == "visit"
    assert onto.cameo_to_plover["1124"].context == ("military", "legal")


def _copy_types(d: Path) -> None:
    (d / "types.yaml").write_text((DATA_DIR / "ontology" / "plover_event_types.yaml")
                                  .read_text(encoding="utf-8"), encoding="utf-8")


def test_ontology_rejects_mode_of_unknown_type(tmp_path: Path) -> None:
    _copy_types(tmp_path)
    (tmp_path / "modes.yaml").write_text(
        "kind: plover-modes\nversion: '1'\nsource: test\nentries:\n"
        "  - {key: 'PARLEY:tea', source: t, event: PARLEY, mode: tea}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        load_ontology([tmp_path])
    assert "modes.yaml -> PARLEY:tea" in str(exc.value)


def test_ontology_rejects_unquoted_or_bad_cameo_code(tmp_path: Path) -> None:
    _copy_types(tmp_path)
    (tmp_path / "codes.yaml").write_text(
        "kind: cameo-codes\nversion: '1'\nsource: test\nentries:\n"
        "  - {key: '1x0', source: t, name: n, root: '1x', goldstein: 1.0, quad_class: 1}\n",
        encoding="utf-8")
    with pytest.raises(KnowledgeError, match="1x0"):
        load_ontology([tmp_path])


def test_ontology_user_dir_overrides_by_key(tmp_path: Path) -> None:
    (tmp_path / "types.yaml").write_text(
        "kind: plover-event-types\nversion: '1'\nsource: test\nentries:\n"
        "  - {key: ACCUSE, source: t, quad_class: 3, requires_recipient: false, score: -3.0}\n",
        encoding="utf-8")
    onto, files = load_ontology([DATA_DIR, tmp_path])
    assert onto.event_types["ACCUSE"].score == -3.0
    assert onto.event_types["ACCUSE"].modes  # modes still come from the packaged file
    assert any(f.path.endswith("types.yaml") for f in files)
