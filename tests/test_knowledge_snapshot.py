"""The packaged knowledge snapshot: the packaged files compiled ahead of time, used only
while its digest matches them, equal to compiling them from source."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from array import array
from pathlib import Path

import pytest

from detente import knowledge as K

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty compiled-knowledge cache, the snapshot allowed, nothing memoised."""
    d = tmp_path / "cache"
    monkeypatch.setenv(K.CACHE_ENV, str(d))
    monkeypatch.delenv(K.SNAPSHOT_ENV, raising=False)
    K._load_cached.cache_clear()
    yield d
    K._load_cached.cache_clear()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "knowledge.pickle"
    assert K.build_snapshot(path) == (path, True)
    return path


def test_snapshot_equals_a_compile_from_source(built: Path) -> None:
    snap = K.read_snapshot(built)
    assert snap is not None
    compiled = K._compile(())
    # every field: actors, ontology, lexicon, files, coded; the gazetteer by column (its
    # coordinate arrays hold NaN for a missing value, which == would never match)
    assert dataclasses.replace(snap, places=None) == dataclasses.replace(compiled, places=None)
    for f in dataclasses.fields(compiled.places):
        a, b = getattr(snap.places, f.name), getattr(compiled.places, f.name)
        assert (a.tobytes() == b.tobytes()) if isinstance(a, array) else a == b, f.name
    assert snap.version == compiled.version and snap.dirs == ()
    assert snap.explain("countries:TUR") == compiled.explain("countries:TUR")
    assert K.build_snapshot(built) == (built, False)  # up to date: not written again


def test_a_stale_or_broken_snapshot_is_never_used(built: Path, tmp_path: Path) -> None:
    assert K.read_snapshot(built, digest="0" * 24) is None  # files or code changed
    bad = tmp_path / "bad.pickle"
    data = built.read_bytes()
    head, _, body = data.partition(b"\n")
    bad.write_bytes(head + b"\n" + body[: len(body) // 2])  # truncated
    assert K.read_snapshot(bad) is None
    bad.write_bytes(b"not a snapshot")
    assert K.read_snapshot(bad) is None
    assert K.read_snapshot(tmp_path / "missing.pickle") is None


def test_load_uses_the_snapshot_without_writing_the_cache(
        built: Path, fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(K, "SNAPSHOT", built)
    monkeypatch.setattr(K, "_compile", lambda dirs: pytest.fail("compiled despite snapshot"))
    kb = K.load_knowledge(config=False)
    assert kb.actors.lookup("Turkey")
    assert not fresh.exists()  # served from the snapshot: nothing compiled or cached


def test_snapshot_off_or_stale_compiles_and_caches(
        built: Path, fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(K, "SNAPSHOT", built)
    monkeypatch.setenv(K.SNAPSHOT_ENV, "off")
    assert K.load_knowledge(config=False).actors.lookup("Turkey")
    assert len(list(fresh.glob("knowledge-*.pickle"))) == 1
    K._load_cached.cache_clear()
    monkeypatch.delenv(K.SNAPSHOT_ENV)
    monkeypatch.setattr(K, "snapshot_digest", lambda: "changed-files")
    stale = tmp_path / "other-cache"
    monkeypatch.setenv(K.CACHE_ENV, str(stale))
    assert K.load_knowledge(config=False).actors.lookup("Turkey")
    assert len(list(stale.glob("knowledge-*.pickle"))) == 1  # compiled, not the snapshot


def _user_groups(tmp_path: Path, more: str = "") -> Path:
    """A user --kb directory with one groups file: a fictional group, then ``more`` rows."""
    user = tmp_path / "kb"
    user.mkdir()
    (user / "g.yaml").write_text(
        "kind: groups\nversion: '1'\nsource: test\nentries:\n"
        "  - {key: zorgs, source: test (fictional), name: Zorg Front, country: FRA, "
        "sector: REB}\n" + more, encoding="utf-8")
    return user


def test_user_directories_are_never_served_from_the_snapshot(
        built: Path, fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(K, "SNAPSHOT", built)
    user = _user_groups(tmp_path)
    kb = K.load_knowledge([user], config=False)
    assert kb.actors.lookup("Zorg Front") and kb.dirs


@pytest.mark.slow
def test_an_installed_copy_accepts_the_snapshot_built_for_it(tmp_path: Path) -> None:
    """What the wheel build does (setup.py): the script run against a copy of the package,
    whose snapshot is then used by that copy at another path."""
    build = tmp_path / "build" / "detente"
    shutil.copytree(ROOT / "src" / "detente", build,
                    ignore=shutil.ignore_patterns("__pycache__", "compiled"))
    out = build / "data" / "compiled" / "knowledge.pickle"
    env = dict(os.environ, PYTHONPATH=str(build.parent), DETENTE_CACHE_DIR="off")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_snapshot.py"), "--out",
                    str(out)], env=env, check=True, cwd=tmp_path, capture_output=True)
    site = tmp_path / "site"
    shutil.copytree(build.parent, site)  # installed elsewhere: same files, other path
    env["PYTHONPATH"] = str(site)
    res = subprocess.run([sys.executable, "-c",
                          "import detente, detente.knowledge as K; "
                          f"assert detente.__file__.startswith({str(site)!r}); "
                          "print(K.read_snapshot() is not None)"],
                         env=env, check=True, cwd=tmp_path, capture_output=True, text=True)
    assert res.stdout.strip() == "True"


def _same(a: K.Knowledge, b: K.Knowledge) -> None:
    assert dataclasses.replace(a, places=None) == dataclasses.replace(b, places=None)
    for f in dataclasses.fields(b.places):
        x, y = getattr(a.places, f.name), getattr(b.places, f.name)
        assert (x.tobytes() == y.tobytes()) if isinstance(x, array) else x == y, f.name


@pytest.mark.parametrize("gazetteer", [False, True])
def test_a_user_layer_compiles_on_the_packaged_layer_of_the_snapshot(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gazetteer: bool) -> None:
    """With --kb, the packaged files come from the snapshot (not parsed again); the result
    is what compiling every file gives, user overrides and gazetteer rows included."""
    monkeypatch.setattr(K, "SNAPSHOT", built)
    user = _user_groups(tmp_path, "  - {key: hamas, source: test (an override), name: Hamas, "
                               "country: PSE, sector: PTY}\n")
    if gazetteer:
        (user / "places.csv").write_text(
            "key,source,name,feature,country,lat,lon\n"
            "zorgville,test (fictional),Zorgville,city,FRA,45.0,3.0\n", encoding="utf-8")
        (user / "places.meta.yaml").write_text("kind: gazetteer\nversion: '1'\n"
                                               "source: test\n", encoding="utf-8")
    parsed: list[str] = []
    real = K._read_raw
    monkeypatch.setattr(K, "_read_raw", lambda p: parsed.append(str(p)) or real(p))
    layered = K._compile_layered((str(user),))
    # packaged files are not read again (the gazetteer is, when the user adds rows to it)
    assert parsed and all(str(user) in p or (gazetteer and "gazetteer" in p) for p in parsed)
    monkeypatch.setenv(K.SNAPSHOT_ENV, "off")
    plain = K._compile_layered((str(user),))
    assert any(str(user) not in p for p in parsed)
    _same(layered, plain)
    assert layered.actors.lookup("Zorg Front")
    assert bool(layered.places.lookup("Zorgville")) is gazetteer
    hamas = layered.actors.entry(layered.actors.lookup("Hamas")[0].ref)
    assert hamas is not None and hamas.sector == "PTY"
