"""`detente get` (the API in process) and `detente serve` (a real server on loopback)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import coded, make_article, make_event
from detente.cli import app
from detente.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-serve") / "s.duckdb"
    with Store(path) as s:
        s.write([coded(make_article(), make_event("e1"),
                       make_event("e2", actor="RUS", recipient="UKR", event_type="ASSAULT"))])
    return path


def test_cli_get_events_in_process(db: Path) -> None:
    r = runner.invoke(app, ["get", "/events?actor=USA", "--db", str(db)])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert [e["id"] for e in body["events"]] == ["e1"]


def test_cli_get_error_exits_1_with_code(db: Path) -> None:
    r = runner.invoke(app, ["get", "events/nope", "--db", str(db)])
    assert r.exit_code == 1
    assert json.loads(r.stdout)["error"]["code"] == "E404"
    assert "Error [E404]" in r.stderr


def test_cli_get_missing_store(tmp_path: Path) -> None:
    r = runner.invoke(app, ["get", "/health", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 1 and "E404" in r.stderr


def test_cli_serve_refuses_network_without_token(db: Path) -> None:
    r = runner.invoke(app, ["serve", "--db", str(db), "--host", "0.0.0.0"],
                      env={"DETENTE_TOKEN": ""})
    assert r.exit_code == 1 and "E710" in r.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.server
def test_cli_serve_real_server_on_loopback(db: Path) -> None:
    port = free_port()
    exe = Path(sys.executable).with_name("detente")
    env = {k: v for k, v in os.environ.items() if k != "DETENTE_TOKEN"}
    proc = subprocess.Popen([str(exe), "serve", "--db", str(db), "--port", str(port),
                             "--read-only", "--log-level", "warning"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None:
                    log = proc.stderr.read().decode() if proc.stderr else ""
                    raise AssertionError(log) from None
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        assert health["writes"] == "disabled" and health["events"] == 2
        with urllib.request.urlopen(url + "/events?type=ASSAULT", timeout=5) as r:
            assert [e["id"] for e in json.loads(r.read())["events"]] == ["e2"]
        req = urllib.request.Request(url + "/ingest", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 403
        assert json.loads(info.value.read())["error"]["code"] == "E705"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
