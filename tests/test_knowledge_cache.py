"""The compiled-knowledge cache: reused while no file changes, rebuilt when one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente import knowledge as K

GROUPS = """\
kind: groups
version: "1"
source: test
entries:
  - {key: zorgs, source: test (fictional group), name: Zorg Front, country: FRA, sector: REB}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(K.CACHE_ENV, str(d))
    monkeypatch.setenv(K.SNAPSHOT_ENV, "off")  # the packaged snapshot: test_knowledge_snapshot
    K._load_cached.cache_clear()
    yield d
    K._load_cached.cache_clear()


def test_knowledge_cache_is_written_and_reused(cache: Path, tmp_path: Path) -> None:
    user = tmp_path / "kb"
    user.mkdir()
    (user / "g.yaml").write_text(GROUPS, encoding="utf-8")
    first = K.load_knowledge([user], config=False)
    files = list(cache.glob("knowledge-*.pickle"))
    assert len(files) == 1
    K._load_cached.cache_clear()
    again = K.load_knowledge([user], config=False)
    assert again is not first and again.version == first.version
    assert again.actors.lookup("Zorg Front")
    # a changed file is a new key: compiled again, never served stale
    (user / "g.yaml").write_text(GROUPS.replace("Zorg Front", "Zorg League"), encoding="utf-8")
    K._load_cached.cache_clear()
    changed = K.load_knowledge([user], config=False)
    assert changed.actors.lookup("Zorg League") and not changed.actors.lookup("Zorg Front")
    assert len(list(cache.glob("knowledge-*.pickle"))) == 2


def test_knowledge_cache_never_hides_broken_files(cache: Path, tmp_path: Path) -> None:
    user = tmp_path / "kb"
    user.mkdir()
    (user / "g.yaml").write_text(GROUPS.replace("name: Zorg Front, ", ""), encoding="utf-8")
    with pytest.raises(K.KnowledgeError, match="name"):
        K.load_knowledge([user], config=False)


def test_knowledge_cache_can_be_turned_off(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert K.cache_dir({K.CACHE_ENV: "off"}) is None
    assert K.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "detente"
    monkeypatch.setenv(K.CACHE_ENV, "off")
    K._load_cached.cache_clear()
    try:
        assert K.load_knowledge(config=False).actors.lookup("Turkey")
    finally:
        K._load_cached.cache_clear()


def test_knowledge_cache_ignores_a_corrupt_file(cache: Path) -> None:
    K.load_knowledge(config=False)
    (path,) = cache.glob("knowledge-*.pickle")
    path.write_bytes(b"not a pickle")
    K._load_cached.cache_clear()
    assert K.load_knowledge(config=False).actors.lookup("Turkey")
