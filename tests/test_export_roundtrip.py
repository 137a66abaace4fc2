"""Exports: every format writes, and PLOVER JSONL / CSV / Parquet read back identical."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from conftest import make_event
from detente.errors import UnknownName, UsageError
from detente.export import GDELT_COLUMNS, read_events, write_events
from detente.records import Entity, Factuality, Place


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
