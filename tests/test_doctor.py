"""detente doctor: finds what is wrong with the installation, model, knowledge and store,
says what to fix, and exits 1 when something is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import coded, make_article, make_event
from detente import api
from detente.cli import app
from detente.errors import ModelNotFound
from detente.store import Store

runner = CliRunner()


def _store(db: Path) -> Path:
    with Store(db) as store:
        arts = [make_article(aid=f"a{i}") for i in range(3)]
        store.write([coded(arts[0], make_event("e1", article_id="a0"),
                           make_event("e2", article_id="a0", actor="RUS")),
                     coded(arts[1], make_event("e3", article_id="a1")), coded(arts[2])])
    api.rebuild_dedup(db=db)
    return db


def _doctor(*args: str) -> tuple[int, dict[str, object]]:
    res = runner.invoke(app, ["doctor", "--no-model", "--json", *args])
    return res.exit_code, json.loads(res.stdout)


def _failed(report: dict[str, object]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in report["checks"] if c["status"] == "fail"}  # type: ignore[attr-defined,index]


def test_doctor_healthy_store(tmp_path: Path) -> None:
    code, report = _doctor("--db", str(_store(tmp_path / "s.duckdb")))
    assert code == 0 and report["ok"] is True
    names = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
    assert names["integrity"]["status"] == "ok"
    assert "3 articles (2 with events, 1 without)" in names["contents"]["detail"]
    res = runner.invoke(app, ["doctor", "--no-model", "--db", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 0 and "all checks passed" in res.stdout


@pytest.mark.parametrize(("damage", "problem", "fix"), [
    ("DELETE FROM articles WHERE id = 'a0'", "events without their article", "ingest again"),
    ("UPDATE articles SET events = 5 WHERE id = 'a1'", "articles whose event count is wrong",
     "ingest again"),
    ("DELETE FROM events WHERE id = 'e3'", "entities without their event", "ingest again"),
    ("DELETE FROM event_mentions WHERE event_id = 'e1'", "events not in exactly one cluster",
     "detente dedup"),
    ("DELETE FROM article_dedup WHERE article_id = 'a2'", "articles without a dedup row",
     "detente dedup"),
])
def test_doctor_finds_damage_and_names_the_fix(tmp_path: Path, damage: str, problem: str,
                                               fix: str) -> None:
    db = _store(tmp_path / "s.duckdb")
    con = duckdb.connect(str(db))
    con.execute(damage)
    con.close()
    code, report = _doctor("--db", str(db))
    assert code == 1 and report["ok"] is False
    failed = _failed(report)
    assert problem in failed and fix in failed[problem]["fix"]
    if fix == "detente dedup":  # and the fix works
        assert runner.invoke(app, ["dedup", "--db", str(db)]).exit_code == 0
        assert _doctor("--db", str(db))[0] == 0


def test_doctor_wrong_schema_and_foreign_file(tmp_path: Path) -> None:
    db = _store(tmp_path / "s.duckdb")
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    code, report = _doctor("--db", str(db))
    assert code == 1 and "schema version 99" in _failed(report)["open"]["detail"]
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INT)").close()
    code, report = _doctor("--db", str(other))
    assert code == 1 and "not a detente store" in _failed(report)["open"]["detail"]


def test_doctor_missing_store_is_a_warning(tmp_path: Path) -> None:
    code, report = _doctor("--db", str(tmp_path / "none.duckdb"))
    assert code == 0
    (store,) = [c for c in report["checks"] if c["area"] == "store"]  # type: ignore[attr-defined]
    assert store["status"] == "warn" and "detente ingest" in store["fix"]


def test_doctor_running_writer_is_a_warning(tmp_path: Path) -> None:
    db = _store(tmp_path / "s.duckdb")
    code = ("import sys, time; from detente.store import writer_lock\n"
            "with writer_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        code_, report = _doctor("--db", str(db))
    finally:
        proc.kill()
        proc.wait()
    assert code_ == 0
    writer = [c for c in report["checks"] if c["name"] == "writer"]  # type: ignore[attr-defined]
    assert writer and writer[0]["status"] == "warn" and str(proc.pid) in writer[0]["detail"]


def test_doctor_broken_knowledge(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "g.yaml").write_text("kind: grups\nversion: '1'\nsource: s\nentries: []\n",
                               encoding="utf-8")
    code, report = _doctor("--kb", str(kb), "--db", str(tmp_path / "none.duckdb"))
    assert code == 1
    failed = _failed(report)["knowledge files"]
    assert "g.yaml -> (file)" in failed["detail"] and "grups" in failed["detail"]
    assert "kb check" in failed["fix"]


def test_doctor_missing_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def missing(name: str | None = None) -> str:
        raise ModelNotFound("no spaCy English model found (tried en_core_web_sm)")

    monkeypatch.setattr("detente.nlp.model_name", missing)
    checks = api.doctor(db=tmp_path / "none.duckdb", model=True)
    (model,) = [c for c in checks if c["area"] == "model"]
    assert model["status"] == "fail" and "pip install" in model["fix"]
