"""Gold-set loaders, scorers, registry, data location and the runner (with a fake coder)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from detente import api
from detente.errors import EvalDataError, UnknownName, UsageError
from detente.evaluate import (
    EVALS,
    NONE_LABEL,
    EvalReport,
    available,
    data_root,
    load_gsr,
    load_petr,
    load_plv,
    render,
    render_comparison,
    resolve_dir,
    run_eval,
    run_evals,
    score_gsr,
    score_petr,
    score_plv,
    text_from_conllu,
)
from detente.records import Article, Event
from evalfakes import ent, event

FIXTURES = Path(__file__).parent / "data" / "eval"


# -- loaders -----------------------------------------------------------------------------


def test_evaluate_load_plv_fixture() -> None:
    items = load_plv(FIXTURES / "zsp-plv")
    assert [it.root for it in items] == ["ACCUSE", "AGREE", "YIELD", "COERCE"]
    assert [it.quad for it in items] == [3, 1, 2, 4]
    first = items[0]
    assert first.text[slice(*first.source_spans[0])] == "The Ruritanian foreign minister"
    assert first.text[slice(*first.target_spans[0])] == "Borduria"
    assert [it.split for it in items] == ["train", "train", "test", "test"]
    assert len({it.id for it in items}) == 4


def test_evaluate_load_gsr_maps_old_types_and_codes() -> None:
    items = {it.id: it for it in load_gsr(FIXTURES / "plover-gsr")}
    demand = items["FIX-DEMAND-0001"]
    assert (demand.event, demand.gold_event) == ("REQUEST", "DEMAND")
    assert demand.actors == {"JPN"}  # JAP is not ISO
    assert demand.recipients == {"PER"}
    assert items["FIX-FIGHT-0001"].event == "ASSAULT"
    assert items["FIX-FIGHT-0001"].actors == {"COD"}  # ZAR -> COD
    assert items["FIX-INVESTIGATE-0001"].event == "ACCUSE"
    agree = items["FIX-AGREE-0001"]
    assert agree.reciprocal and agree.actors == {"CHL", "ARG"} and agree.recipients == set()
    assert agree.actor_texts == ("Chile", "Argentina")


def test_evaluate_load_petr_skips_unevaluated_and_reads_dates() -> None:
    items = load_petr(FIXTURES / "petr2-gsr-validation")
    assert [it.id for it in items] == ["FIX_1", "FIX_2", "FIX_3"]
    assert items[0].events == (("FRAGOV", "040", "DEUGOV"),)
    assert items[0].published.isoformat() == "2012-03-05"
    assert items[2].noevents and items[2].events == ()


def test_evaluate_text_from_conllu() -> None:
    conllu = "1\tThe\n2\tUS\n3\tcould\n4\tn't\n5\tagree\n6\t(\n7\tyet\n8\t)\n9\t.\n"
    assert text_from_conllu(conllu) == "The US couldn't agree (yet)."


# -- loader errors -----------------------------------------------------------------------


def _write(tmp_path: Path, lines: Iterable[str]) -> Path:
    d = tmp_path / "set"
    d.mkdir()
    (d / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


GOOD_PLV = json.dumps({"text": "A met B.", "gold_root": "CONSULT", "gold_penta": 1})


@pytest.mark.parametrize(("line", "needle"), [
    ("{not json", "records.jsonl:2: not valid JSON"),
    ("[1, 2]", "records.jsonl:2: expected a JSON object"),
    (json.dumps({"text": "x", "gold_penta": 1}), "records.jsonl:2: missing field 'gold_root'"),
    (json.dumps({"text": "x", "gold_root": "AID", "gold_penta": "2"}),
     "field 'gold_penta' must be int"),
    (json.dumps({"text": "x", "gold_root": "AID", "gold_penta": 7}), "gold_penta must be 1-4"),
    (json.dumps({"text": " ", "gold_root": "AID", "gold_penta": 2}), "field 'text' is empty"),
])
def test_evaluate_load_plv_malformed_line_names_file_and_line(
        tmp_path: Path, line: str, needle: str) -> None:
    d = _write(tmp_path, [GOOD_PLV, line])
    with pytest.raises(EvalDataError) as info:
        load_plv(d)
    assert needle in info.value.message
    assert info.value.code == "E601"


def test_evaluate_load_missing_records_file(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="records.jsonl not found"):
        load_gsr(tmp_path)


def test_evaluate_load_petr_bad_date(tmp_path: Path) -> None:
    d = _write(tmp_path, [json.dumps({"text": "x", "date": "20151345", "events": []})])
    with pytest.raises(EvalDataError, match="records.jsonl:1: bad date"):
        load_petr(d)


# -- scorers -----------------------------------------------------------------------------


def test_evaluate_score_plv_on_fixture() -> None:
    items = load_plv(FIXTURES / "zsp-plv")
    t0 = items[0]
    src, tgt = t0.source_spans[0], t0.target_spans[0]
    preds: list[list[Event]] = [
        # a confident wrong event elsewhere loses to the one on the gold spans
        [event("CONSULT", confidence=0.9),
         event("ACCUSE", actor=(ent("XXX", span=src),), recipient=(ent("YYY", span=tgt),),
               confidence=0.2)],
        [event("AGREE")],
        [event("RETREAT")],  # current PLOVER RETREAT is PLV YIELD
        [],  # no event: NONE
    ]
    scored = score_plv(items, preds)
    m = scored.metrics
    assert m["root_accuracy"] == pytest.approx(3 / 4)
    assert m["root_macro_f1"] == pytest.approx(3 / 4)  # 3 classes F1 1, COERCE 0
    assert m["quad_macro_f1"] == pytest.approx(3 / 4)
    assert m["coverage"] == pytest.approx(3 / 4)
    assert m["binary_macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert m["test_n"] == 2 and m["test_root_macro_f1"] == pytest.approx(1 / 2)
    assert scored.confusion is not None and scored.confusion["COERCE"] == {NONE_LABEL: 1}
    assert [r.label for r in scored.per_class["root"]] == ["ACCUSE", "AGREE", "COERCE", "YIELD"]
    assert [ex["id"] for ex in scored.examples] == [items[3].id]


def test_evaluate_score_gsr_on_fixture() -> None:
    items = load_gsr(FIXTURES / "plover-gsr")
    by_id = {it.id: i for i, it in enumerate(items)}
    preds: list[list[Event]] = [[] for _ in items]
    preds[by_id["FIX-DEMAND-0001"]] = [event("REQUEST", actor=(ent("JPN"),),
                                             recipient=(ent("PER"),))]
    # reciprocal gold: actor/recipient split of the two countries is also right
    preds[by_id["FIX-AGREE-0001"]] = [event("AGREE", actor=(ent("CHL"),),
                                            recipient=(ent("ARG"),))]
    preds[by_id["FIX-FIGHT-0001"]] = [event("ASSAULT", actor=(ent("COD", sector="REB"),),
                                            recipient=(ent("RWA"),))]
    preds[by_id["FIX-INVESTIGATE-0001"]] = [event("ACCUSE", actor=(ent("UNO"),),
                                                  recipient=(ent("SYR"),))]
    m = score_gsr(items, preds).metrics
    assert m["type_accuracy"] == 1.0
    assert m["actor_country_accuracy"] == 1.0  # UNO counts as IGO
    assert m["recipient_country_accuracy"] == pytest.approx(3 / 4)
    assert m["exact_match"] == pytest.approx(3 / 4)
    assert m["countries_unordered_accuracy"] == pytest.approx(3 / 4)
    assert m["coverage"] == 1.0

    m0 = score_gsr(items, [[] for _ in items]).metrics
    assert m0["type_accuracy"] == 0.0 and m0["coverage"] == 0.0


def test_evaluate_score_petr_on_fixture() -> None:
    items = load_petr(FIXTURES / "petr2-gsr-validation")
    preds: list[list[Event]] = [
        [event("CONSULT", cameo="040", actor=(ent("FRA", cameo="FRAGOV"),),
               recipient=(ent("DEU", cameo="DEUGOV"),))],
        [event("ASSAULT", cameo="190", actor=(ent("", sector="REB"),)),
         event("COERCE", cameo="1731", actor=(ent("KEN", cameo="KENGOV"),))],
        [event("CONSULT", cameo="040", actor=(ent("KEN"),))],  # false alarm
    ]
    scored = score_petr(items, preds)
    m = scored.metrics
    assert (m["gold_events"], m["predicted_events"], m["exact_tp"]) == (3, 4, 2)
    assert m["triple_precision"] == pytest.approx(2 / 4)
    assert m["triple_recall"] == pytest.approx(2 / 3)
    assert m["loose_recall"] == 1.0 and m["loose_precision"] == pytest.approx(3 / 4)
    assert m["noevents_accuracy"] == 0.0
    assert m["event_sentence_recall"] == 1.0
    assert m["sentence_accuracy"] == pytest.approx(2 / 3)
    rows = {r.label: r for r in scored.per_class["cameo_root"]}
    assert (rows["04"].support, rows["04"].predicted, rows["04"].tp) == (1, 2, 1)
    assert rows["17"].f1 == 1.0


# -- registry and data location -------------------------------------------------------


def test_evaluate_available_lists_registry() -> None:
    names = available()
    assert {"zsp-plv", "plover-gsr", "petr2-gsr-validation"} <= set(names)
    assert names == sorted(EVALS)


def test_evaluate_unknown_name_lists_available(tmp_path: Path) -> None:
    with pytest.raises(UnknownName) as info:
        run_eval("no-such-set", path=tmp_path)
    assert "zsp-plv" in info.value.hint
    assert info.value.fields["available"] == available()


def test_evaluate_data_root_order(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "main").mkdir(parents=True)
    (work / "shared" / "data").mkdir(parents=True)
    (tmp_path / "mydata").mkdir()
    assert data_root(env={}, cwd=work / "main") == (work / "shared" / "data").resolve()
    assert data_root(env={}, cwd=work) == (work / "shared" / "data").resolve()
    assert data_root(env={"DETENTE_DATA": str(tmp_path / "mydata")}, cwd=work / "main") \
        == tmp_path / "mydata"


def test_evaluate_data_root_missing_hints_path(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError) as info:
        data_root(env={}, cwd=tmp_path)
    assert "--path" in info.value.hint
    with pytest.raises(EvalDataError, match="DETENTE_DATA"):
        data_root(env={"DETENTE_DATA": str(tmp_path / "nope")}, cwd=tmp_path)


def test_evaluate_resolve_dir(tmp_path: Path) -> None:
    (tmp_path / "zsp-plv").mkdir()
    env = {"DETENTE_DATA": str(tmp_path)}
    assert resolve_dir("zsp-plv", env=env) == tmp_path / "zsp-plv"
    with pytest.raises(EvalDataError, match="not a directory"):
        resolve_dir("plover-gsr", env=env)
    with pytest.raises(EvalDataError, match="not a directory"):
        resolve_dir("zsp-plv", tmp_path / "missing")


# -- runner with a fake coder -----------------------------------------------------------


def _fake_code_batch(articles: Iterable[Article], **_: Any
                     ) -> Iterator[tuple[Any, Any, list[Event]]]:
    """A stand-in coder: ACCUSE for 'condemned', AGREE for 'agreed', nothing else."""
    for art in articles:
        events = []
        if "condemned" in art.text:
            events.append(event("ACCUSE", cameo="111"))
        if "agreed" in art.text:
            events.append(event("AGREE", cameo="030"))
        yield None, None, events


@pytest.fixture
def fake_coder(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    monkeypatch.setattr(api, "code_batch", _fake_code_batch)
    return SimpleNamespace(version="test-kb")


ALL_SETS = ["zsp-plv", "plover-gsr", "petr2-gsr-validation", "zsp-aw",
            "cameo-codebook-examples", "conflibert-cameo", "petr-unittest", "case2021-task2",
            "india-police-events"]
SPAN_SETS = ["re3d", "plover-gsr-actors", "zsp-plv-actors", "conflibert-ner-actors",
             "crossner-politics"]
"""Sets scored on something other than events (their own tests run the real coder)."""


def test_evaluate_registry_has_every_fixture() -> None:
    assert sorted(ALL_SETS + SPAN_SETS) == available()
    for name in ALL_SETS + SPAN_SETS:
        assert list((FIXTURES / name).glob(EVALS[name].records_file))
        assert (EVALS[name].predict is not None) == (name in SPAN_SETS)


@pytest.mark.parametrize("name", ALL_SETS)
def test_evaluate_run_eval_report_is_well_formed(name: str, fake_coder: SimpleNamespace) -> None:
    seen: list[tuple[int, int]] = []
    report = run_eval(name, path=FIXTURES / name, kb=fake_coder,  # type: ignore[arg-type]
                      progress=lambda done, total: seen.append((done, total)))
    assert isinstance(report, EvalReport)
    assert report.name == name and report.kb_version == "test-kb"
    assert report.n == report.articles > 0
    assert seen[-1] == (report.articles, report.articles)
    assert report.command.startswith(f"detente eval {name} --path ")
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d
    for key in EVALS[name].headline:
        assert 0.0 <= d["metrics"][key] <= 1.0
    assert d["per_class"] and all(d["per_class"].values())
    text = _rendered(report)
    assert f"detente eval {name}" in text and "per-class" in text


def test_evaluate_run_eval_scores_fake_coder(fake_coder: SimpleNamespace) -> None:
    report = run_eval("zsp-plv", path=FIXTURES / "zsp-plv", kb=fake_coder)  # type: ignore[arg-type]
    assert report.metrics["root_accuracy"] == pytest.approx(2 / 4)
    assert report.events == 2
    assert report.confusion == {"ACCUSE": {"ACCUSE": 1}, "AGREE": {"AGREE": 1},
                                "COERCE": {NONE_LABEL: 1}, "YIELD": {NONE_LABEL: 1}}
    assert "COERCE" in _rendered(report)


def test_evaluate_run_eval_new_sets_score_fake_coder(fake_coder: SimpleNamespace) -> None:
    kb: Any = fake_coder
    aw = run_eval("zsp-aw", path=FIXTURES / "zsp-aw", kb=kb)
    # ACCUSE is quad 3 (conflict, right), AGREE quad 1 (cooperation, right); two have none
    assert aw.metrics["binary_accuracy"] == pytest.approx(2 / 4)
    assert aw.metrics["coverage"] == pytest.approx(2 / 4)
    cameo = run_eval("cameo-codebook-examples", path=FIXTURES / "cameo-codebook-examples",
                     kb=kb)
    # 111 right at every level; 030 right at root and 3 digits? gold 0311 -> "031" != "030"
    assert cameo.metrics["root_accuracy"] == pytest.approx(2 / 3)
    assert cameo.metrics["code3_accuracy"] == pytest.approx(1 / 3)
    assert cameo.metrics["code_accuracy"] == pytest.approx(1 / 3)
    penta = run_eval("conflibert-cameo", path=FIXTURES / "conflibert-cameo", kb=kb)
    assert penta.metrics["penta_accuracy"] == pytest.approx(2 / 3)
    assert penta.confusion == {"1": {"1": 1}, "3": {"3": 1}, "4": {NONE_LABEL: 1}}
    # the fake coder's confidence is 0.5 everywhere: one bin, accuracy 1.0 among coded
    assert [(b.n, b.accuracy) for b in penta.reliability] == [(2, 1.0)]
    assert penta.metrics["ece"] == pytest.approx(0.5)


def _fake_recode(parsed: Any, ann: Any, *, coder: str, **_: Any) -> list[Event]:
    events = next(_fake_code_batch([parsed.article]))[2]
    if coder == "test-agree-all":
        return [event("AGREE", cameo="030", confidence=0.9)]
    return events


def test_evaluate_run_evals_compares_coders_on_one_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from detente import events as events_mod

    parses: list[str] = []

    def code_batch(articles: Iterable[Article], **_: Any) -> Iterator[tuple[Any, Any, list]]:
        for art in articles:
            parses.append(art.text)
            yield SimpleNamespace(article=art, sentences=(1, 2)), None, []

    monkeypatch.setattr(api, "code_batch", code_batch)
    monkeypatch.setattr(api, "recode", _fake_recode)
    monkeypatch.setitem(events_mod.CODERS, "test-agree-all", events_mod.CODERS["rules-1"])
    kb: Any = SimpleNamespace(version="test-kb")
    reports = run_evals("zsp-plv", coders=["rules-1", "test-agree-all"],
                        path=FIXTURES / "zsp-plv", kb=kb)
    assert len(parses) == 4  # each text parsed once for both coders
    assert [r.coder for r in reports] == ["rules-1", "test-agree-all"]
    assert reports[0].metrics["root_accuracy"] == pytest.approx(2 / 4)
    assert reports[1].metrics["root_accuracy"] == pytest.approx(1 / 4)
    assert reports[0].sentences == 8 and reports[1].coding_seconds >= 0
    assert "--coder rules-1 --coder test-agree-all" in reports[0].command
    buf = io.StringIO()
    Console(width=200, file=buf).print(render_comparison(reports))
    text = buf.getvalue()
    assert "root_macro_f1" in text and "test-agree-all" in text
    with pytest.raises(UnknownName):
        run_evals("zsp-plv", coders=["no-such-coder"], path=FIXTURES / "zsp-plv", kb=kb)


def test_evaluate_run_eval_limit(fake_coder: SimpleNamespace) -> None:
    report = run_eval("plover-gsr", path=FIXTURES / "plover-gsr", kb=fake_coder,  # type: ignore[arg-type]
                      limit=2)
    assert report.n == 2
    assert report.command.endswith("--limit 2")
    with pytest.raises(UsageError):
        run_eval("plover-gsr", path=FIXTURES / "plover-gsr", kb=fake_coder,  # type: ignore[arg-type]
                 limit=0)


def test_evaluate_run_eval_empty_set(tmp_path: Path, fake_coder: SimpleNamespace) -> None:
    d = _write(tmp_path, [""])
    with pytest.raises(EvalDataError, match="no records"):
        run_eval("zsp-plv", path=d, kb=fake_coder)  # type: ignore[arg-type]


def _rendered(report: EvalReport) -> str:
    buf = io.StringIO()
    console = Console(width=200, file=buf)
    for r in render(report):
        console.print(r)
    return buf.getvalue()
