"""scripts/shared_corpus.py: text repair, MUC datelines, the dedup gold rules, and a
small slice of the shared-data corpus run through every analytics command of the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHARED, has_model, load_script
from detente.cli import app
from detente.export import read_events, read_gdelt
from detente.store import Store

sc = load_script("shared_corpus")
HAVE_DATA = (SHARED / "data" / "muc34" / "muc34.jsonl").exists() and (
    SHARED / "data" / "india-police-events" / "metadata.jsonl").exists()


def test_shared_corpus_fix_mojibake() -> None:
    assert sc.fix_mojibake("the \u00e2\u20ac\u02dcbhoomi pujan\u00e2\u20ac\u2122") == (
        "the \u2018bhoomi pujan\u2019")
    assert sc.fix_mojibake("he said \u00e2\u20ac\u0153no\u00e2\u20ac\ufffd") == (
        "he said \u201cno\u201d")
    assert sc.fix_mojibake("plain text stays") == "plain text stays"


def test_shared_corpus_truecaser_rules() -> None:
    tc = sc.Truecaser(best={"the": "the", "army": "army", "salvadoran": "Salvadoran",
                            "of": "of", "in": "in"},
                      known={"army", "peasant", "kidnap"})
    assert tc("THE SALVADORAN ARMY KIDNAPPED PEASANTS OF THE FMLN IN USULUTAN.") == (
        "The Salvadoran army kidnapped peasants of the FMLN in Usulutan.")
    assert tc("the army. the army") == "The army. The army"
    assert tc.word("JUAN") == "Juan" and tc.word("ELN") == "ELN"
    # a dictionary word never seen cased, right after a name, continues the name
    tc = sc.Truecaser(best={"luis": "Luis", "carlos": "Carlos", "said": "said", "the": "the",
                            "murder": "murder", "of": "of"},
                      known={"galan", "said", "kidnap", "the"})
    assert tc("THE MURDER OF LUIS CARLOS GALAN SAID THE") == (
        "The murder of Luis Carlos Galan said the")
    assert tc("THE GALAN. CARLOS, GALAN") == "The galan. Carlos, galan"


@pytest.mark.parametrize(("text", "want"), [
    ("   SAN SALVADOR, 3 JAN 90 (AFP) -- [TEXT] X", (date(1990, 1, 3), "SAN SALVADOR", "AFP")),
    ("   BOGOTA, 18 AUG 89 -- [REPORT] X", (date(1989, 8, 18), "BOGOTA", "")),
    ("   PERTH (AUSTRALIA), JUNE 11 89 (AFP) -- X", (date(1989, 6, 11), "PERTH (AUSTRALIA)",
                                                    "AFP")),
    ("   SAN SALVADOR, NO DATE -- [SPEECH] X", None),
])
def test_shared_corpus_muc_dateline(text: str, want: tuple[date, str, str] | None) -> None:
    assert sc.muc_dateline(text) == want


def tpl(doc: str, kind: str, lo: date | None, hi: date, *names: str) -> object:
    return sc.Template(doc=doc, n=0, type=kind, lo=lo, hi=hi, country="COLOMBIA", names=names)


def test_shared_corpus_gold_incidents_rules() -> None:
    d = date
    templates = [
        tpl("A", "ATTACK", d(1989, 8, 18), d(1989, 8, 18), "LUIS CARLOS GALAN"),
        tpl("B", "ATTACK", d(1989, 8, 19), d(1989, 8, 19), "GALAN SARMIENTO", "LUIS CARLOS GALAN"),
        tpl("C", "ATTACK", d(1989, 8, 16), d(1989, 8, 16), "CARLOS VALENCIA GARCIA"),
        tpl("D", "ATTACK", d(1989, 8, 16), d(1989, 8, 16), "CARLOS VALENCIA"),
        # a later report recalling both: joins both incidents, merges neither
        tpl("E", "ATTACK", None, d(1989, 8, 25), "CARLOS VALENCIA GARCIA", "LUIS CARLOS GALAN"),
        # same person, another kind of incident, and a later attack: kept apart
        tpl("F", "KIDNAPPING", d(1989, 8, 18), d(1989, 8, 18), "LUIS CARLOS GALAN"),
        tpl("G", "ATTACK", d(1990, 3, 1), d(1990, 3, 1), "LUIS CARLOS GALAN"),
        # a one-word name needs six letters to match
        tpl("H", "ATTACK", d(1989, 8, 18), d(1989, 8, 18), "LUIS"),
    ]
    incidents = sorted(sorted(i.docs) for i in sc.gold_incidents(templates))
    assert incidents == [["A", "B", "E"], ["C", "D", "E"]]


def test_shared_corpus_republish_and_copy_groups() -> None:
    art = {"id": "muc:X", "title": "Lima, 1990-01-01", "publisher": "AFP",
           "text": "\n".join(" ".join(f"w{(i * 31 + j * 7) % 101}" for j in range(40))
                             for i in range(4))}
    kinds = set()
    for n in range(4):
        copy, kind = sc.republish(art, n)
        kinds.add(kind)
        assert copy["id"] == "muc:X~copy" and copy["publisher"] != "AFP"
        assert copy["text"] != art["text"]
    assert kinds == set(sc.COPY_KINDS)
    light, _ = sc.republish(art, 0)
    other = {"id": "muc:Y", "text": "an entirely different report " * 10}
    assert sc.copy_groups([art, light, other]) == [["muc:X", "muc:X~copy"]]


@pytest.mark.skipif(not HAVE_DATA, reason="needs ../shared/data")
def test_shared_corpus_builds_dated_articles_from_shared_data(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    n = sc.write_corpus(out, sets=["ipe", "muc"], limit=3)
    rows = [json.loads(line) for line in out.open(encoding="utf-8")]
    assert n == 6 and len(rows) == 6
    for r in rows:
        date.fromisoformat(r["date"])
        assert r["text"] and r["text"] != r["text"].upper() and r["text"] != r["text"].lower()
        assert "\u00e2\u20ac" not in r["text"]
    assert {r["id"].split(":")[0] for r in rows} == {"ipe", "muc"}


@pytest.mark.skipif(not HAVE_DATA, reason="needs ../shared/data")
def test_shared_corpus_dedup_gold_from_muc(tmp_path: Path) -> None:
    meta = sc.build_dedup_gold(tmp_path / "g", limit_incidents=2, distractors=2, copies=3)
    assert meta["incidents"] == 2 and meta["synthetic_copies"] == 3
    events = [json.loads(line) for line in (tmp_path / "g" / "events.jsonl").open()]
    ids = {json.loads(line)["id"] for line in (tmp_path / "g" / "articles.jsonl").open()}
    assert all(len(e["articles"]) >= 2 and set(e["articles"]) <= ids for e in events)
    copies = [json.loads(line) for line in (tmp_path / "g" / "copies.jsonl").open()]
    synthetic = [c for c in copies if c["id"].startswith("synthetic")]
    assert len(synthetic) == 3
    for c in synthetic:  # a copy of a report in an incident is in that incident too
        orig, copy = c["articles"]
        assert any(orig in e["articles"] and copy in e["articles"] for e in events)


def invoke(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, (args, res.stderr)
    return res.stdout


@pytest.mark.model
@pytest.mark.skipif(not HAVE_DATA or not has_model(), reason="needs ../shared/data and model")
def test_shared_corpus_slice_through_the_cli(tmp_path: Path) -> None:
    """The recipe of README "A larger corpus", on three articles of each set."""
    corpus = tmp_path / "news.jsonl"
    sc.write_corpus(corpus, sets=["ipe", "muc"], limit=3)
    db = str(tmp_path / "news.duckdb")
    summary = json.loads(invoke("ingest", str(corpus), "--db", db, "--json"))
    assert summary["articles"] == 6 and summary["events"] > 0
    # a second ingest of the same file changes nothing (idempotent, clusters kept)
    with Store(db, read_only=True) as s:
        before = (s.counts(), s.dedup_counts())
    again = json.loads(invoke("ingest", str(corpus), "--db", db, "--json"))
    assert again["articles"] == 0 and again["duplicates"] == 6
    with Store(db, read_only=True) as s:
        assert (s.counts(), s.dedup_counts()) == before
        assert before[1]["mentions"] == before[0]["events"]
    clusters = json.loads(invoke("clusters", "--db", db, "--json", "--limit", "0"))
    assert isinstance(clusters, list)
    top = json.loads(invoke("actors", "top", "--db", db, "--json"))
    assert top and all(r["events"] > 0 for r in top)
    net = json.loads(invoke("network", "--db", db, "--json"))
    assert set(net) == {"nodes", "edges"}
    if net["edges"]:
        edge = net["edges"][0]
        series = json.loads(invoke("dyad", edge["source"], edge["target"], "--db", db,
                                   "--by", "year", "--json"))
        assert sum(r["events"] for r in series) >= 1
        invoke("plot", "dyad", edge["source"], edge["target"], "-o", str(tmp_path / "d.png"),
               "--db", db)
    assert isinstance(json.loads(invoke("alerts", "--db", db, "--json")), list)
    invoke("plot", "network", "-o", str(tmp_path / "n.svg"), "--db", db)
    with Store(db, read_only=True) as s:
        stored = sorted(s.iter_events(), key=lambda e: e.id)
    for fmt, name in (("plover", "e.jsonl"), ("csv", "e.csv"), ("parquet", "e.parquet")):
        invoke("export", str(tmp_path / name), "-f", fmt, "--db", db)
        assert sorted(read_events(tmp_path / name), key=lambda e: e.id) == stored
    invoke("export", str(tmp_path / "e.tsv"), "-f", "gdelt", "--db", db)
    rows = list(read_gdelt(tmp_path / "e.tsv"))
    assert len(rows) == len(stored) and all(r["ClusterID"] for r in rows)
