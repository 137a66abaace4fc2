"""Rebuild src/detente/data/ontology/ from ../shared/data/ontology/derived/ (dev tool).

Run: python scripts/build_ontology.py [DERIVED_DIR]. The output files are the reviewed
knowledge; this script only records how they were made from the public tables.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "detente" / "data" / "ontology"
PLOVER_SRC = ("PLOVER manual draft 2.0 (openeventdata/PLOVER PLOVER_MANUAL.tex @ 5e0c24fb), "
              "CC BY-SA 4.0; adapted, same licence")
VERSION = "2026.11.0"


def _yaml(name: str, kind: str, source: str, entries: list[dict]) -> None:
    doc = {"kind": kind, "version": VERSION, "source": source, "entries": entries}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    (OUT / name).write_text(text, encoding="utf-8")


def _csv(name: str, kind: str, source: str, header: list[str], rows: list[dict]) -> None:
    with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    meta = {"kind": kind, "version": VERSION, "source": source}
    (OUT / name).with_suffix(".meta.yaml").write_text(
        yaml.safe_dump(meta, sort_keys=False, width=100), encoding="utf-8")


def main(derived: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    types = []
    for r in csv.DictReader((derived / "plover_event_types.csv").open(encoding="utf-8")):
        types.append({"key": r["event_type"], "source": "PLOVER manual 2.0, event types",
                      "quad_class": int(r["quad_code"]),
                      "requires_recipient": r["requires_recipient"] == "yes",
                      "score": float(r["plover_score"])})
    _yaml("plover_event_types.yaml", "plover-event-types", PLOVER_SRC + ". ACCUSE score "
          "printed as 3 in the manual (probably -3); kept as printed.", types)
    modes = []
    for r in csv.DictReader((derived / "plover_modes.csv").open(encoding="utf-8")):
        modes.append({"key": f"{r['event_type']}:{r['mode']}", "source": "PLOVER manual 2.0",
                      "event": r["event_type"], "mode": r["mode"],
                      "score": float(r["plover_score"]) if r["plover_score"] else None,
                      "description": r["description"]})
    _yaml("plover_modes.yaml", "plover-modes", PLOVER_SRC, modes)
    ctx = []
    for r in csv.DictReader((derived / "plover_contexts.csv").open(encoding="utf-8")):
        ctx.append({"key": r["context"], "source": "PLOVER manual 2.0, general contexts",
                    "description": r["description"]})
    _yaml("plover_contexts.yaml", "plover-contexts", PLOVER_SRC, ctx)
    rows = []
    for r in csv.DictReader((derived / "cameo_event_codes.csv").open(encoding="utf-8")):
        g_gdelt, g_icews = r["goldstein_gdelt"], r["goldstein_icews"]
        rows.append({"key": r["cameo_code"],
                     "source": "ICEWS/CAMEO 1.1b3 table + GDELT lookups" if g_gdelt
                     else "ICEWS/CAMEO 1.1b3 table (not in GDELT lookups)",
                     "name": r["name_icews"] or r["name_gdelt"],
                     "root": r["root_code"], "level": r["level"],
                     "goldstein": g_gdelt or g_icews, "goldstein_icews": g_icews,
                     "quad_class": r["quadclass_gdelt"]})
    _csv("cameo_codes.csv", "cameo-codes",
         "CAMEO event codes: names from the ICEWS CAMEO 1.1b3 table (andybega/icews, MIT); "
         "goldstein = GDELT CAMEO.goldsteinscale.txt (GDELT, '100% free and open'), "
         "falling back to the ICEWS value where GDELT lacks the code; goldstein_icews = "
         "ICEWS value; quad_class = GDELT QuadClass by root (1=01-05, 2=06-09, 3=10-14, "
         "4=15-20).",
         ["key", "source", "name", "root", "level", "goldstein", "goldstein_icews",
          "quad_class"], rows)
    known = {r["key"] for r in rows}
    maps: dict[str, dict] = {}
    for r in csv.DictReader((derived / "cameo_to_plover_2021.csv").open(encoding="utf-8")):
        if r["cameo_code"] in maps or r["cameo_code"] not in known:
            continue  # duplicate 175 row; 1214 is in no CAMEO code table
        maps[r["cameo_code"]] = {"key": r["cameo_code"], "source": "CAMEO2PLOVER-2021",
                                 "event": r["plover_event"], "mode": r["plover_mode"],
                                 "context": r["plover_context"]}
    _csv("cameo_plover.csv", "cameo-plover",
         "openeventdata/PLOVER CAMEO2PLOVER-2021.txt @ e834df5b (PLOVER draft 0.8), "
         "CC BY-SA 4.0; parsed to CSV; duplicate rows and codes absent from the CAMEO table "
         "(1214) dropped. Some modes/contexts are not "
         "in the current manual; they are kept as written.",
         ["key", "source", "event", "mode", "context"], list(maps.values()))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1
         else Path("/work/shared/data/ontology/derived"))
