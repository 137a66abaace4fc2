"""``detente eval dedup``: pairwise scoring, the gold directory format, and a run on a
tiny hand-written gold set (the texts below are written for this test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import has_model
from detente.cli import app
from detente.dedup import DedupConfig
from detente.dedupeval import (
    _command,
    group_pairs,
    link_groups,
    load_gold,
    pairwise,
    run_dedup_eval,
    split_reports,
)
from detente.errors import DedupGoldError, EvalDataError, UsageError


def test_dedupeval_group_pairs_and_pairwise() -> None:
    gold = group_pairs([["a", "b", "c"], ["d", "e"]])
    assert gold == {("a", "b"), ("a", "c"), ("b", "c"), ("d", "e")}
    pred = group_pairs([["b", "a"], ["c", "d"], ["x"]])
    got = pairwise(gold, pred)
    assert (got["true_pairs"], got["gold_pairs"], got["predicted_pairs"]) == (1, 4, 2)
    assert got["precision"] == 0.5 and got["recall"] == 0.25
    assert got["f1"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    assert pairwise(set(), set())["f1"] == 1.0
    assert pairwise({("a", "b")}, set())["recall"] == 0.0


def test_dedupeval_split_reports_into_halves() -> None:
    gold = [{"id": "inc-001", "articles": ["a", "b"]}, {"id": "inc-002", "articles": ["b", "c"]},
            {"id": "inc-003", "articles": ["d"]}]
    reports = ["a", "b", "c", "d", "x", "y", "z"]
    tune = split_reports(gold, reports, "tune")
    test = split_reports(gold, reports, "test")
    assert {"b", "c"} <= tune and {"a", "d"} <= test  # "b" is in both: tuning half
    assert tune | test == set(reports) and not tune & test
    with pytest.raises(UsageError):
        split_reports(gold, reports, "dev")


def test_dedupeval_link_groups() -> None:
    links = [{"article_id": "b", "duplicate_of": "a"}, {"article_id": "c", "duplicate_of": "a"},
             {"article_id": "e", "duplicate_of": "d"}]
    assert sorted(link_groups(links)) == [["a", "b", "c"], ["d", "e"]]


def write_gold(d: Path, *, events: str | None = None, meta: str | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "articles.jsonl").write_text(
        '{"id": "x1", "date": "2022-03-07", "text": "Troops shelled the city."}\n',
        encoding="utf-8")
    (d / "events.jsonl").write_text(events if events is not None else
                                    '{"id": "g1", "articles": ["x1"]}\n', encoding="utf-8")
    if meta is not None:
        (d / "meta.json").write_text(meta, encoding="utf-8")
    return d


@pytest.mark.parametrize(("events", "meta", "error"), [
    ("not json\n", None, DedupGoldError),
    ('{"id": "g1", "articles": "x1"}\n', None, DedupGoldError),
    ('{"id": "g1", "articles": ["x1"]}\n', "[1, 2]", DedupGoldError),
    ('{"id": "g1", "articles": ["x1"]}\n', "{broken", DedupGoldError),
])
def test_dedupeval_load_gold_rejects_malformed_files(tmp_path: Path, events: str,
                                                     meta: str | None,
                                                     error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        load_gold(write_gold(tmp_path / "g", events=events, meta=meta))
    assert "E630" in str(info.value)


def test_dedupeval_missing_directory_or_files(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="build it with"):
        load_gold(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalDataError, match="articles.jsonl is missing"):
        load_gold(tmp_path / "empty")
    gold = write_gold(tmp_path / "g")
    (gold / "events.jsonl").unlink()
    with pytest.raises(EvalDataError, match="events.jsonl is missing"):
        load_gold(gold)


def test_dedupeval_unknown_report_ids_and_bad_limit(tmp_path: Path) -> None:
    gold = write_gold(tmp_path / "g", events='{"id": "g1", "articles": ["x1", "nope"]}\n')
    with pytest.raises(DedupGoldError, match="nope"):
        run_dedup_eval(path=gold)
    with pytest.raises(UsageError):
        run_dedup_eval(path=gold, limit=0)


STORY = ("Russian forces shelled the eastern Ukrainian city of Kharkiv on Monday, killing "
         "three civilians and damaging a school and a hospital, regional officials said. "
         "The governor said rescue teams were still searching the ruins of two apartment "
         "buildings in the north of the city, and that the shelling had continued through "
         "the night. Ukraine's foreign minister condemned the attack and asked allies for "
         "more air-defence systems.")
OTHER = ("Russia shelled Kharkiv in Ukraine on Monday, the regional governor said, in an "
         "attack that killed three people. Residents spent the night in basements and metro "
         "stations as explosions shook the northern districts of the city.")
UNRELATED = ("Greece and Turkey signed an agreement on trade and tourism in Athens on "
             "Monday, after talks between their foreign ministers that both sides described "
             "as constructive. The two countries will meet again in the autumn.")


@pytest.fixture
def tiny_gold(tmp_path: Path) -> Path:
    d = tmp_path / "tiny"
    d.mkdir()
    arts = [
        {"id": "r1", "date": "2022-03-07", "title": "Kharkiv shelled", "text": STORY,
         "publisher": "Agency One"},
        {"id": "r2", "date": "2022-03-07", "title": "Shelling in Kharkiv", "text": OTHER,
         "publisher": "Paper Two"},
        {"id": "r3", "date": "2022-03-07", "title": "Trade deal", "text": UNRELATED,
         "publisher": "Paper Two"},
        {"id": "r4", "date": "2022-03-08", "title": "Kharkiv shelled (copy)",
         "text": "KHARKIV (Wire) - " + STORY + " (Distributed by Wire.)",
         "publisher": "Wire"},
    ]
    (d / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in arts),
                                      encoding="utf-8")
    (d / "events.jsonl").write_text(
        json.dumps({"id": "kharkiv", "articles": ["r1", "r2", "r4"]}) + "\n", encoding="utf-8")
    (d / "copies.jsonl").write_text(
        json.dumps({"id": "c1", "articles": ["r1", "r4"]}) + "\n", encoding="utf-8")
    (d / "meta.json").write_text(json.dumps({"name": "tiny", "event_types": ["ASSAULT"]}),
                                 encoding="utf-8")
    return d


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
def test_dedupeval_runs_on_a_tiny_gold_set(tiny_gold: Path, tmp_path: Path) -> None:
    db = tmp_path / "kept.duckdb"
    report = run_dedup_eval(path=tiny_gold, db=db)
    m = report.metrics
    assert report.n == 1 and report.articles == 4
    assert (m["event_gold_pairs"], m["copy_gold_pairs"]) == (3, 1)
    assert m["copy_pair_recall"] == 1.0 and m["copy_pair_precision"] == 1.0
    # the copy repeats the story's events, so at least that pair is found, and nothing
    # is joined wrongly (the trade deal stays apart)
    assert m["event_true_pairs"] >= 1 and m["event_pair_precision"] == 1.0
    for key in ("event_pair_precision", "event_pair_recall", "event_pair_f1"):
        assert 0.0 <= float(m[key]) <= 1.0
    assert "--db" in report.command
    # a rerun on the kept store codes nothing and re-clusters with the new window
    again = run_dedup_eval(path=tiny_gold, db=db, config=DedupConfig(window_days=0))
    assert again.articles == 4 and again.metrics["window_days"] == 0
    assert "--dedup-window 0" in again.command
    half = run_dedup_eval(path=tiny_gold, db=db, split="test")
    assert "--split test" in half.command
    assert half.metrics["event_gold_pairs"] <= 3
    limited = run_dedup_eval(path=tiny_gold, limit=1)
    assert limited.articles == 3 and limited.metrics["event_gold_pairs"] == 3


@pytest.mark.model
@pytest.mark.skipif(not has_model(), reason="needs the spaCy model")
def test_dedupeval_cli_json(tiny_gold: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "dedup", "--path", str(tiny_gold), "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["name"] == "dedup" and data["metrics"]["copy_gold_pairs"] == 1
    res = CliRunner().invoke(app, ["eval", "dedup", "--path", str(tiny_gold)])
    assert res.exit_code == 0 and "event pairs: precision" in res.stdout


def test_dedupeval_cli_missing_gold_explains_how_to_build(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "dedup", "--path", str(tmp_path / "none")])
    assert res.exit_code == 1 and "E601" in res.stderr and "shared_corpus.py" in res.stderr


def test_dedupeval_command_names_the_lookback_settings() -> None:
    assert "--lookback" not in _command(None, None, DedupConfig(), None)
    cmd = _command(None, None, DedupConfig(lookback_days=0, lookback_threshold=2.0), None)
    assert "--lookback-days 0" in cmd and "--lookback-threshold 2.0" in cmd
