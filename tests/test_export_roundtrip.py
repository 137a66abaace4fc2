"""Exports: every format writes, and PLOVER JSONL / CSV / Parquet read back identical."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from conftest import make_event
from detente.errors import UnknownName, UsageError
from detente.export import GDELT_COLUMNS, gdelt_quad, read_events, read_gdelt, write_events
from detente.records import Entity, EventObject, Factuality, Place


def sample() -> list:  # type: ignore[type-arg]
    return [
        make_event("e1", confidence=0.7333333333),
        make_event("e2", event_type="CONSULT", recipient=None, day=date(2020, 3, 2),
                   mode=("phone",), context=("military", "diplomatic"),
                   actor=(Entity(code="TUR", sector="GOV", name="Recep Tayyip Erdogan",
                                 text="Erdogan", office="President", cameo="TURGOV"),
                          Entity(code="RUS", sector="GOV", name="Vladimir Putin",
                                 text="Putin")),
                   factuality=Factuality(hypothetical=True, historical=True),
                   objects=(EventObject(text="S-400s", name="S-400", category="air-defence",
                                        origin="RUS", kb_key="weapons:s-400"),),
                   location=Place(text="Sochi", name="Sochi", country="RUS", lat=43.6,
                                  lon=39.73, geonameid=491422, feature="city")),
    ]


@pytest.mark.parametrize(("fmt", "name", "partition"), [
    ("plover", "e.jsonl", None),
    ("csv", "e.csv", None),
    ("parquet", "e.parquet", None),
    ("parquet", "dataset", "year"),
])
def test_export_roundtrip(tmp_path: Path, fmt: str, name: str, partition: str | None) -> None:
    events = sample()
    n = write_events(events, tmp_path / name, fmt=fmt, partition_by=partition)
    assert n == 2
    back = sorted(read_events(tmp_path / name), key=lambda e: e.id)
    assert back == events


def test_export_partitioned_dataset_layout(tmp_path: Path) -> None:
    write_events(sample(), tmp_path / "ds", fmt="parquet", partition_by="year")
    assert {p.name for p in (tmp_path / "ds").iterdir()} == {"year=2020", "year=2021"}


def test_export_gdelt_tsv_columns(tmp_path: Path) -> None:
    write_events(sample(), tmp_path / "e.tsv", fmt="gdelt")
    with (tmp_path / "e.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows[0] == [c for c, _ in GDELT_COLUMNS]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["SQLDATE"] == "20211001"
    assert first["EventCode"] == "100" and first["EventRootCode"] == "10"
    assert first["Actor1Code"] == "USAGOV" and first["Actor2CountryCode"] == "TUR"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Actors"] == "TUR; RUS" and second["Actor2Code"] == ""
    assert second["Hypothetical"] == "1" and second["ActionGeo_FullName"] == "Sochi"


def test_export_bad_options(tmp_path: Path) -> None:
    with pytest.raises(UnknownName):
        write_events([], tmp_path / "x", fmt="xml")
    with pytest.raises(UsageError):
        write_events([], tmp_path / "x", fmt="csv", partition_by="year")


def test_export_gdelt_roundtrip_keeps_every_column_it_holds(tmp_path: Path) -> None:
    events = sample()
    write_events(events, tmp_path / "e.tsv", fmt="gdelt")
    rows = list(read_gdelt(tmp_path / "e.tsv"))
    assert len(rows) == len(events)
    for row, e in zip(rows, events, strict=True):
        assert row["GLOBALEVENTID"] == e.id and row["ArticleID"] == e.article_id
        assert row["SQLDATE"] == e.date and row["Year"] == e.date.year
        assert row["MonthYear"] == e.date.year * 100 + e.date.month
        assert row["EventCode"] == e.cameo and row["PloverEvent"] == e.event_type
        assert row["PloverQuad"] == e.quad_class and row["GoldsteinScale"] == e.goldstein
        assert row["Actors"] == tuple(a.code for a in e.actor)
        assert row["Recipients"] == tuple(r.code for r in e.recipient)
        assert row["Objects"] == tuple(o.name for o in e.objects)
        assert row["PloverMode"] == e.mode and row["PloverContext"] == e.context
        assert (row["Negated"], row["Hypothetical"], row["Future"], row["Historical"]) == (
            e.factuality.negated, e.factuality.hypothetical, e.factuality.future,
            e.factuality.historical)
        assert row["Confidence"] == pytest.approx(e.confidence, abs=1e-4)
        assert row["Evidence"] == " ".join(e.evidence.sentence.split())
        assert row["DatePrecision"] == e.date_precision
    assert rows[1]["ActionGeo_Lat"] == 43.6 and rows[1]["ActionGeo_FeatureID"] == 491422
    assert rows[0]["ActionGeo_Lat"] is None and rows[1]["Actor2Code"] == ""


@pytest.mark.parametrize(("cameo", "quad"), [("010", 1), ("057", 1), ("061", 2), ("090", 2),
                                              ("100", 3), ("145", 3), ("150", 4), ("204", 4),
                                              ("", ""), ("---", "")])
def test_export_gdelt_quad_class_follows_gdelt(cameo: str, quad: int | str) -> None:
    assert gdelt_quad(cameo) == quad


def test_export_read_gdelt_rejects_other_tsv(tmp_path: Path) -> None:
    (tmp_path / "x.tsv").write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(UsageError):
        list(read_gdelt(tmp_path / "x.tsv"))


def test_export_gdelt_columns_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "formats.md").read_text("utf-8")
    for column, meaning in GDELT_COLUMNS:
        assert f"| `{column}` | {meaning} |" in doc, column
