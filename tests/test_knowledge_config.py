"""User knowledge named by configuration: detente.toml, $DETENTE_CONFIG, $DETENTE_KB."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from detente.errors import ConfigError, KnowledgeError
from detente.knowledge import configured_dirs, load_knowledge

GROUPS = """\
kind: groups
version: "1"
source: test
entries:
  - {key: zorgs, source: test (fictional group), name: Zorg Front, country: FRA, sector: REB}
"""


def test_knowledge_config_file_in_cwd_lists_dirs_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "detente.toml").write_text('[knowledge]\ndirs = ["mykb", "/abs/kb"]\n',
                                           encoding="utf-8")
    assert configured_dirs(env={}, cwd=tmp_path) == [tmp_path / "mykb", Path("/abs/kb")]


def test_knowledge_config_env_file_then_kb_env(tmp_path: Path) -> None:
    conf = tmp_path / "conf" / "my.toml"
    conf.parent.mkdir()
    conf.write_text('[knowledge]\ndirs = "a"\n', encoding="utf-8")
    env = {"DETENTE_CONFIG": str(conf), "DETENTE_KB": os.pathsep.join(["b", "/c"])}
    assert configured_dirs(env=env, cwd=tmp_path) == [conf.parent / "a", tmp_path / "b",
                                                      Path("/c")]


def test_knowledge_no_config_means_no_dirs(tmp_path: Path) -> None:
    assert configured_dirs(env={}, cwd=tmp_path) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [("[knowledge\n", "not a valid TOML"), ("knowledge = 3\n", "must be a table"),
     ("[knowledge]\ndirs = [1]\n", "list of directory names")],
)
def test_knowledge_bad_config_raises_e310(tmp_path: Path, body: str, problem: str) -> None:
    (tmp_path / "detente.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as info:
        configured_dirs(env={}, cwd=tmp_path)
    assert info.value.code == "E310"


def test_knowledge_config_env_naming_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        configured_dirs(env={"DETENTE_CONFIG": "nope.toml"}, cwd=tmp_path)


def test_knowledge_load_uses_configured_dirs(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    (kb_dir / "mine.yaml").write_text(GROUPS, encoding="utf-8")
    monkeypatch.setenv("DETENTE_KB", str(kb_dir))
    kb = load_knowledge()
    assert kb.actors.lookup("Zorg Front")
    assert str(kb_dir.resolve()) in kb.dirs
    info = kb.explain("mine:zorgs")
    assert info is not None and info["source"] == "test (fictional group)"
    assert info["fields"]["country"] == "FRA"
    assert kb.explain("mine:nobody") is None
    monkeypatch.setenv("DETENTE_KB", str(tmp_path / "missing"))
    with pytest.raises(KnowledgeError, match="not a directory"):
        load_knowledge()
    assert not load_knowledge(config=False).actors.lookup("Zorg Front")
