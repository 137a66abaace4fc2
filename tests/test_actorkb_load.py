"""Loading, validating and indexing the actor knowledge (no spaCy model needed)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import pycountry
import pytest

from detente.actorkb import ActorKB, case_ok, load_actor_kb, norm
from detente.errors import KnowledgeError
from detente.knowledge import DATA_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def test_actorkb_has_every_iso_country_and_plover_specials(kb: ActorKB) -> None:
    missing = [c.alpha_3 for c in pycountry.countries
               if f"countries:{c.alpha_3}" not in kb.entries]
    assert not missing
    for code in ("KOS", "PSE", "HKG", "TUR", "USA"):
        assert kb.country(code) is not None, code


@pytest.mark.parametrize(
    ("surface", "feature", "code", "sector"),
    [
        ("Turkey", "country-name", "TUR", ""),
        ("Türkiye", "country-name", "TUR", ""),
        ("Turkish", "country-adjective", "TUR", ""),
        ("American", "country-adjective", "USA", ""),
        ("U.S.", "country-name", "USA", ""),
        ("Britain", "country-name", "GBR", ""),
        ("South Korea", "country-name", "KOR", ""),
        ("Kosovo", "country-name", "KOS", ""),
        ("Ankara", "capital", "TUR", "GOV"),
        ("the Kremlin", "seat", "RUS", "GOV"),
        ("The Kremlin", "seat", "RUS", "GOV"),
        ("the Pentagon", "seat", "USA", "MIL"),
        ("Downing Street", "seat", "GBR", "GOV"),
        ("NATO", "igo", "IGO", ""),
        ("the European Union", "igo", "EUR", ""),
        ("Puerto Rico", "country-name", "USA", ""),
        ("Iraqis", "country-name", "IRQ", ""),
    ],
)
def test_actorkb_lookup_names(kb: ActorKB, surface: str, feature: str, code: str,
                              sector: str) -> None:
    hits = [h for h in kb.lookup(surface) if h.feature == feature]
    assert hits, surface
    entry = kb.entry(hits[0].ref)
    assert entry is not None and entry.code == code
    assert hits[0].sector == sector


@pytest.mark.parametrize("surface", ["turkey", "who", "us", "china", "patriot"])
def test_actorkb_lookup_respects_capitalisation(kb: ActorKB, surface: str) -> None:
    assert not [h for h in kb.lookup(surface) if h.feature != "word" and h.feature != "title"]


@pytest.mark.parametrize(
    ("word", "sector"),
    [("troops", "MIL"), ("President", "GOV"), ("rebels", "REB"), ("opposition", "OPP"),
     ("police", "COP"), ("lawmakers", "LEG"), ("judge", "JUD"), ("protesters", "CVL"),
     ("companies", "BUS"), ("journalists", "JRN"), ("refugees", "REF")],
)
def test_actorkb_role_words_signal_sectors(kb: ActorKB, word: str, sector: str) -> None:
    assert kb.sector_of(word) == sector


def test_actorkb_cameo_codes(kb: ActorKB) -> None:
    assert kb.cameo("USA", "GOV") == "USAGOV"
    assert kb.cameo("TUR", "JRN") == "TURMED"  # PLOVER JRN is CAMEO MED
    assert kb.cameo("TUR", "MED") == "TURHLH"  # PLOVER MED is CAMEO HLH
    nato = kb.entry(kb.lookup("NATO")[0].ref)
    assert nato is not None and nato.cameo == "IGOWSTNAT"


@pytest.mark.parametrize(
    ("when", "sector", "office"),
    [("2021-10-01", "GOV", "President"), ("2020-06-01", "ELI", "Vice President"),
     ("2012-06-01", "GOV", "Vice President"), ("2021-01-19", "ELI", "Vice President"),
     ("2021-01-20", "GOV", "President")],
)
def test_actorkb_person_roles_are_dated(kb: ActorKB, when: str, sector: str,
                                        office: str) -> None:
    role = kb.role_at("biden", date.fromisoformat(when))
    assert (role.code, role.sector, role.office) == ("USA", sector, office)


def test_actorkb_offices_at(kb: ActorKB) -> None:
    terms = kb.offices_at("putin", date(2010, 1, 1))
    assert [t.office for t in terms] == ["Prime Minister"]
    assert kb.offices_at("putin", date(1995, 1, 1)) == ()


def test_actorkb_surname_lookup_skips_ambiguous(kb: ActorKB) -> None:
    assert kb.by_surname("Erdogan") is not None
    assert kb.by_surname("Clinton") is None  # two Clintons
    assert kb.by_surname("May") is None  # surname_alone: false


def test_actorkb_is_picklable(kb: ActorKB) -> None:
    again = pickle.loads(pickle.dumps(kb))
    assert again.lookup("Turkey") == kb.lookup("Turkey")


def test_actorkb_user_dir_overrides_packaged_entry(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "kind: countries\nversion: '1'\nsource: test\nentries:\n"
        "  - key: TUR\n    source: test\n    name: Turkiye Test\n    names: [Anatolia]\n",
        encoding="utf-8",
    )
    kb, files = load_actor_kb([DATA_DIR, tmp_path])
    assert any(f.path.endswith("mine.yaml") for f in files)
    hit = [h for h in kb.lookup("Anatolia") if h.feature == "country-name"]
    assert hit and kb.entry(hit[0].ref).name == "Turkiye Test"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("  - key: x\n    source: s\n    name: X\n    country: USA\n"
         "    terms: [{office: P, sector: GOV, start: notadate}]\n", "date"),
        ("  - key: x\n    source: s\n    name: X\n    country: USA\n"
         "    terms: [{office: P, sector: BAD, start: 2020-01-01}]\n", "sector"),
        ("  - key: x\n    source: s\n    name: X\n    country: USA\n"
         "    terms: [{office: P, sector: GOV, start: 2020-01-01, end: 2019-01-01}]\n",
         "ends before"),
        ("  - key: x\n    name: X\n    country: USA\n", "source"),
    ],
)
def test_actorkb_rejects_bad_people(tmp_path: Path, body: str, problem: str) -> None:
    (tmp_path / "bad.yaml").write_text(
        "kind: people\nversion: '1'\nsource: test\nentries:\n" + body, encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_actor_kb([DATA_DIR, tmp_path])
    assert problem in str(err.value)
    assert "bad.yaml -> " in str(err.value)


def test_actorkb_case_helpers() -> None:
    assert norm("  Élysée\u2019s  ") == "elysee's"
    assert case_ok("TURKEY", ("Turkey",))
    assert not case_ok("turkey", ("Turkey",))
    assert not case_ok("Who", ("WHO",))


def test_actorkb_generated_countries_file_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_countries.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
