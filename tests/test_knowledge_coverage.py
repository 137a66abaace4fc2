"""Coverage of the packaged actor knowledge: the scope the data files promise (no model)."""

from __future__ import annotations

import pytest

from detente.actorkb import NONSTATE_CODES, SECTOR_CODES, ActorKB, load_actor_kb
from detente.knowledge import DATA_DIR, read_data_file


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def _entries(kind: str) -> list[dict[str, object]]:
    from detente.actorkb import SCHEMAS

    return list(read_data_file(DATA_DIR / "actors" / f"{kind}.yaml", kind=kind,
                               schema=SCHEMAS[kind]).entries)


def test_knowledge_organisations_cover_at_least_80_with_codes(kb: ActorKB) -> None:
    orgs = [e for e in kb.entries.values() if e.kind == "igo"]
    assert len(orgs) >= 80
    for e in orgs:
        assert e.code in NONSTATE_CODES, e.kb_key
        assert e.cameo and e.cameo[:3] in {"IGO", "NGO"}, e.kb_key


def test_knowledge_groups_have_country_and_sector(kb: ActorKB) -> None:
    groups = [e for e in kb.entries.values() if e.kind == "group"]
    assert len(groups) >= 100
    for e in groups:
        assert e.code and (kb.country(e.code) is not None or e.code in NONSTATE_CODES), e.kb_key
        assert e.sector in SECTOR_CODES, e.kb_key
    armed = {e.name for e in groups if e.sector == "REB"}
    for name in ("Taliban", "Hamas", "Hezbollah", "Islamic State", "al-Qaeda", "Houthis"):
        assert name in armed


def test_knowledge_sectors_are_plover_25_with_cameo_roles(kb: ActorKB) -> None:
    assert set(kb.sectors) == SECTOR_CODES
    # PLOVER sectors that CAMEO codes with a role of its own
    assert {k: kb.sectors[k].cameo for k in ("GOV", "MIL", "REB", "JRN", "MED", "COP")} == {
        "GOV": "GOV", "MIL": "MIL", "REB": "REB", "JRN": "MED", "MED": "HLH", "COP": "COP"}


@pytest.mark.parametrize("kind", ["organisations", "groups", "sectors", "countries"])
def test_knowledge_every_entry_has_a_source_note(kind: str) -> None:
    for e in _entries(kind):
        assert isinstance(e["source"], str) and len(e["source"]) > 8, e["key"]


@pytest.mark.parametrize(
    ("surface", "code", "sector"),
    [("the White House", "USA", "GOV"), ("the Pentagon", "USA", "MIL"),
     ("Downing Street", "GBR", "GOV"), ("the Kremlin", "RUS", "GOV"),
     ("the State Duma", "RUS", "LEG"), ("Matignon", "FRA", "GOV"),
     ("Langley", "USA", "SPY"), ("Beijing", "CHN", "GOV"), ("Zhongnanhai", "CHN", "GOV")],
)
def test_knowledge_metonyms(kb: ActorKB, surface: str, code: str, sector: str) -> None:
    hits = [h for h in kb.lookup(surface) if h.feature in ("seat", "capital")]
    assert hits, surface
    entry = kb.entry(hits[0].ref)
    assert entry is not None and (entry.code, hits[0].sector) == (code, sector)
