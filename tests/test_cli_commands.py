"""CLI: each command end to end through the facade (CliRunner), and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE
from detente.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args), input=input)
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    code, out, err = run("ingest", str(ROOT / "examples"), "--db", str(db), "--json")
    assert code == 0, err
    return db


@pytest.mark.model
def test_cli_code_prints_plover_jsonl() -> None:
    code, out, err = run("code", str(EXAMPLE))
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines
    for rec in lines:
        assert {"id", "date", "actor", "recipient", "event", "cameo_code", "text"} <= set(rec)
        assert isinstance(rec["cameo_code"], str)


@pytest.mark.model
def test_cli_code_reads_stdin_with_date() -> None:
    text = "Russia and China signed a trade agreement on Monday."
    code, out, err = run("code", "-", "--date", "2024-05-16", input=text)
    assert code == 0, err


@pytest.mark.model
def test_cli_ingest_is_idempotent(store: Path) -> None:
    code, out, err = run("ingest", str(ROOT / "examples"), "--db", str(store), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["articles"] == 0
    assert summary["duplicates"] >= 1


@pytest.mark.model
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
def test_cli_events_outputs(store: Path, fmt: str) -> None:
    code, out, err = run("events", "--db", str(store), "--actor", "USA", "-o", fmt)
    assert code == 0, err
    if fmt == "jsonl":
        rows = [json.loads(x) for x in out.splitlines()]
        assert rows and all(any(a["code"] == "USA" for a in r["actor"]) for r in rows)
    elif fmt == "csv":
        assert out.splitlines()[0].startswith("id,")


@pytest.mark.model
def test_cli_events_parquet(store: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    target = tmp_path / "e.parquet"
    code, out, err = run("events", "--db", str(store), "-o", "parquet", "--file", str(target),
                         "--limit", "0")
    assert code == 0, err
    table = pq.read_table(target)
    assert table.num_rows > 0
    assert table.schema.field("cameo").type == "string"


@pytest.mark.model
@pytest.mark.parametrize("command", ["summary", "articles", "rejects"])
def test_cli_listing_commands(store: Path, command: str) -> None:
    code, out, err = run(command, "--db", str(store))
    assert code == 0, err
    assert out.strip()


@pytest.mark.parametrize(
    ("args", "code_"),
    [
        (("ingest", "/no/such/file.txt", "--db", "{tmp}/x.duckdb"), "E101"),
        (("events", "--db", "{tmp}/absent.duckdb"), "E404"),
        (("events", "--db", "{tmp}/absent.duckdb", "--since", "2021-13-01"), "E501"),
        (("events", "-o", "xml"), "E502"),
        (("eval", "no-such-set"), "E502"),
        (("kb", "check", "{tmp}/nodir"), "E301"),
    ],
)
def test_cli_errors_have_code_and_hint(tmp_path: Path, args: tuple[str, ...],
                                       code_: str) -> None:
    code, out, err = run(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == 1
    assert f"Error [{code_}]" in err
    assert "(" in err  # a hint follows the message


def test_cli_every_command_has_help_and_is_documented() -> None:
    import typer.main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert names
    for name in names:
        code, out, err = run(name, "--help")
        assert code == 0 and "Usage" in out, name
        assert f"detente {name}" in docs, f"{name} missing from docs/cli.md"
        assert f"detente {name}" in readme, f"{name} missing from README.md"


@pytest.mark.model
def test_cli_eval_new_set_json_has_reliability() -> None:
    fixture = ROOT / "tests" / "data" / "eval" / "conflibert-cameo"
    code, out, err = run("eval", "conflibert-cameo", "--path", str(fixture), "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert rep["name"] == "conflibert-cameo" and rep["n"] == 3
    assert {"penta_accuracy", "binary_macro_f1"} <= set(rep["metrics"])
    assert isinstance(rep["reliability"], list)
    code, out, err = run("eval", "conflibert-cameo", "--path", str(fixture))
    assert code == 0, err
    assert "penta_accuracy" in out
