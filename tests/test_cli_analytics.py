"""CLI analytics and export commands over a hand-built store (no model needed)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import coded, make_article, make_event
from detente.cli import app
from detente.export import read_events
from detente.records import Entity, Evidence, Place
from detente.store import Store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "a.duckdb"
    with Store(path) as s:
        s.write([coded(make_article(),
                       # dated by their text: undated reports never widen an event
                       *(make_event(f"e{m}", day=date(2021, m, 3), date_basis="text")
                         for m in range(1, 7)),
                       make_event("c1", event_type="CONSULT", quad_class=1, goldstein=1.0,
                                  day=date(2021, 2, 5)))])
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_cli_dyad_json(db: Path) -> None:
    code, out, err = invoke("dyad", "USA", "TUR", "--db", str(db), "--by", "month", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 6
    feb = rows[1]
    assert feb["period"] == "2021-02-01" and feb["events"] == 2 and feb["verbal_coop"] == 1


def test_cli_dyad_table_and_bad_period(db: Path) -> None:
    code, out, _ = invoke("dyad", "USA", "TUR", "--db", str(db))
    assert code == 0 and "USA -> TUR" in out
    code, _, err = invoke("dyad", "USA", "TUR", "--db", str(db), "--by", "fortnight")
    assert code == 1 and "Error [E501]" in err


def test_cli_actors_top_network_alerts(db: Path) -> None:
    code, out, err = invoke("actors", "top", "--db", str(db), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["code"] == "USA"
    code, out, err = invoke("network", "--db", str(db), "--json")
    assert code == 0, err
    net = json.loads(out)
    assert net["edges"][0]["source"] == "USA" and net["edges"][0]["events"] == 7
    code, out, err = invoke("alerts", "--db", str(db), "--json", "--min-events", "1")
    assert code == 0, err
    assert isinstance(json.loads(out), list)


@pytest.mark.parametrize(("fmt", "name", "extra"), [
    ("plover", "x.jsonl", ()), ("csv", "x.csv", ()), ("parquet", "x.parquet", ()),
    ("parquet", "by-year", ("--partition-by", "year")),
    ("parquet", "by-month", ("--partition-by", "month")),
    ("parquet", "by-type", ("--partition-by", "event_type"))])
def test_cli_export_roundtrip(db: Path, tmp_path: Path, fmt: str, name: str,
                             extra: tuple[str, ...]) -> None:
    target = tmp_path / name
    code, _, err = invoke("export", str(target), "--format", fmt, "--db", str(db), *extra)
    assert code == 0, err
    with Store(db, read_only=True) as s:
        stored = sorted(s.iter_events(), key=lambda e: e.id)
    assert sorted(read_events(target), key=lambda e: e.id) == stored


def test_cli_export_gdelt_and_filters(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.tsv"
    code, _, err = invoke("export", str(target), "-f", "gdelt", "--db", str(db), "--type",
                          "CONSULT")
    assert code == 0, err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[0].startswith("GLOBALEVENTID\tSQLDATE")


def test_cli_dedup_rebuild_then_clusters(db: Path) -> None:
    code, out, err = invoke("dedup", "--db", str(db), "--dedup-window", "40", "--max-span", "400")
    assert code == 0, err
    assert "canonical events" in out
    code, out, err = invoke("clusters", "--db", str(db), "--json")
    assert code == 0, err
    rows = json.loads(out)
    # monthly REQUESTs 31 days apart merge with a 40-day window; CONSULT stays apart
    assert sorted(r["mentions"] for r in rows) == [1, 6]
    code, out, err = invoke("cluster", rows[0]["id"], "--db", str(db))
    assert code == 0, err
    assert len(json.loads(out)["mentions_list"]) == rows[0]["mentions"]
    code, _, err = invoke("dedup", "--db", str(db), "--near-threshold", "1.5")
    assert code == 1 and "E501" in err
    code, _, err = invoke("dedup", "--db", str(db), "--max-span", "-1")
    assert code == 1 and "E501" in err
    for flag, bad in (("--lookback-days", "-1"), ("--lookback-threshold", "0")):
        code, _, err = invoke("dedup", "--db", str(db), flag, bad)
        assert code == 1 and "E501" in err and flag in err


def test_cli_dedup_lookback_is_configuration(tmp_path: Path) -> None:
    # undated reports (dated by their publication) eight days apart with a rare name and
    # the place in common: one event with the look-back, two without it
    path = tmp_path / "u.duckdb"
    sentence = "Gunmen killed the mayor of Zacamil, Pedro Quixtan, near the Guazapa road."
    ev = Evidence(sentence=sentence, sentence_index=0, start=0, end=len(sentence))
    place = Place(text="Zacamil", name="Zacamil", country="SLV", geonameid=1)
    nobody = (Entity(code="", sector="", text="gunmen"),)
    with Store(path) as s:
        s.write([coded(make_article(f"{sentence} ({i})", day=date(2021, 3, 1 + 8 * i),
                                    aid=f"u{i}"),
                       make_event(f"u{i}", article_id=f"u{i}", event_type="ASSAULT",
                                  actor=nobody, recipient=None, day=date(2021, 3, 1 + 8 * i),
                                  evidence=ev, location=place))
                 for i in range(2)])

    def events(*flags: str) -> int:
        assert invoke("dedup", "--db", str(path), *flags)[0] == 0
        code, out, _ = invoke("clusters", "--db", str(path), "--json")
        return len(json.loads(out))

    assert events() == 1
    assert events("--lookback-days", "0") == 2
    assert events("--lookback-threshold", "2") == 2


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_cli_plot_dyad_and_network(db: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"dyad{suffix}"
    code, _, err = invoke("plot", "dyad", "USA", "TUR", "-o", str(target), "--db", str(db))
    assert code == 0, err
    head = target.read_bytes()[:64]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in target.read_bytes()
    net = tmp_path / f"net{suffix}"
    code, _, err = invoke("plot", "network", "-o", str(net), "--db", str(db))
    assert code == 0, err
    assert net.stat().st_size > 1000


def test_cli_plot_rejects_unknown_image_format(db: Path, tmp_path: Path) -> None:
    code, _, err = invoke("plot", "dyad", "USA", "TUR", "-o", str(tmp_path / "x.bmpx"),
                          "--db", str(db))
    assert code == 1 and "E501" in err


def test_cli_export_gdelt_carries_canonical_event_counts(db: Path, tmp_path: Path) -> None:
    from detente.export import read_gdelt

    target = tmp_path / "before.tsv"
    assert invoke("export", str(target), "-f", "gdelt", "--db", str(db))[0] == 0
    assert {r["ClusterID"] for r in read_gdelt(target)} == {""}
    assert invoke("dedup", "--db", str(db), "--dedup-window", "40", "--max-span", "400")[0] == 0
    target = tmp_path / "after.tsv"
    assert invoke("export", str(target), "-f", "gdelt", "--db", str(db))[0] == 0
    rows = list(read_gdelt(target))
    counts = sorted((r["PloverEvent"], r["NumMentions"], r["NumArticles"]) for r in rows)
    assert counts == [("CONSULT", 1, 1)] + [("REQUEST", 6, 1)] * 6
    assert len({r["ClusterID"] for r in rows if r["PloverEvent"] == "REQUEST"}) == 1
