"""Broken user knowledge files: reported with file, entry and problem; never half-loaded.

Each case is a user directory (``--kb DIR``) with one broken file. The facade, ``detente kb
check DIR`` and ``detente ingest --kb DIR`` must all stop with ``E301 FILE -> ENTRY:
PROBLEM`` before anything is coded or stored, and a failed load must leave nothing behind:
the next load without the directory is the packaged knowledge, unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente import api
from detente.cli import app
from detente.errors import KnowledgeError

HEAD = 'version: "1"\nsource: "written for a test"\nentries:\n'
GROUP = '  - {key: %s, source: "test", name: %s, country: TUR, sector: REB}\n'
CASES: dict[str, tuple[dict[str, str | bytes], str, str, str]] = {
    # name: (files, file, entry, problem fragment)
    "bad-yaml": ({"g.yaml": "kind: groups\n" + HEAD + "  - key: a\n\tsource: tab\n"},
                 "g.yaml", "(file)", "not valid YAML"),
    "not-utf8": ({"g.yaml": b"kind: groups\n\xff\xfe"}, "g.yaml", "(file)", "UTF-8"),
    "no-kind": ({"g.yaml": HEAD}, "g.yaml", "(file)", "no 'kind:' line"),
    "kind-typo": ({"g.yaml": "kind: grups\n" + HEAD}, "g.yaml", "(file)",
                  "declares kind 'grups'"),
    "no-source": ({"g.yaml": 'kind: groups\nversion: "1"\nentries: []\n'}, "g.yaml",
                  "(file)", "'source'"),
    "entries-not-list": ({"g.yaml": "kind: groups\n" + HEAD.replace("entries:\n",
                                                                     "entries: {}\n")},
                         "g.yaml", "(file)", "'entries' must be a list"),
    "missing-key": ({"g.yaml": "kind: groups\n" + HEAD + GROUP % ("ok1", "One")
                     + '  - {source: "test", name: Two, country: TUR, sector: REB}\n'},
                    "g.yaml", "entry #2", "missing 'key'"),
    "duplicate-key": ({"g.yaml": "kind: groups\n" + HEAD + GROUP % ("dup", "One")
                       + GROUP % ("dup", "Two")}, "g.yaml", "dup", "duplicate key"),
    "no-entry-source": ({"g.yaml": "kind: groups\n" + HEAD
                         + "  - {key: nosrc, name: X, country: TUR, sector: REB}\n"},
                        "g.yaml", "nosrc", "missing 'source' note"),
    "unknown-field": ({"g.yaml": "kind: groups\n" + HEAD
                       + '  - {key: odd, source: t, name: X, country: TUR, sector: REB, '
                         'colour: red}\n'}, "g.yaml", "odd", "unknown field"),
    "wrong-type": ({"g.yaml": "kind: groups\n" + HEAD
                    + '  - {key: wt, source: t, name: X, country: TUR, sector: REB, '
                      'aliases: "not a list"}\n'}, "g.yaml", "wt", "'aliases' must be"),
    "bad-sector": ({"g.yaml": "kind: groups\n" + HEAD
                    + '  - {key: bs, source: t, name: X, country: TUR, sector: NOPE}\n'},
                   "g.yaml", "bs", "NOPE"),
    "term-reversed": ({"p.yaml": "kind: people\n" + HEAD
                       + '  - {key: rev, source: t, name: Jane Roe, country: TUR, '
                         'terms: [{office: President, role: HSG, sector: GOV, '
                         'start: 2020-01-01, end: 2019-01-01}]}\n'},
                      "p.yaml", "rev", "ends before it starts"),
    "unknown-event": ({"v.yaml": "kind: event-verbs\n" + HEAD
                       + "  - {key: zap, source: t, lemma: zap, event: ZAPPED, cameo: '190'}\n"},
                      "v.yaml", "zap", "ZAPPED"),
    "csv-no-sidecar": ({"g.csv": "key,source,name\nx,t,X\n"}, "g.csv", "(file)",
                       "sidecar"),
}


def _write(d: Path, files: dict[str, str | bytes]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    # a valid file that sorts first: it must not be loaded when its neighbour is broken
    (d / "00-good.yaml").write_text("kind: groups\n" + HEAD + GROUP % ("halfway", "Halfway"),
                                    encoding="utf-8")
    for name, body in files.items():
        p = d / name
        if isinstance(body, bytes):
            p.write_bytes(body)
        else:
            p.write_text(body, encoding="utf-8")
    return d


@pytest.mark.parametrize("case", sorted(CASES))
def test_knowledge_broken_file_is_named_and_nothing_loads(case: str, tmp_path: Path) -> None:
    files, fname, entry, problem = CASES[case]
    d = _write(tmp_path / case, files)
    before = api.knowledge()
    with pytest.raises(KnowledgeError) as info:
        api.knowledge([d])
    exc = info.value
    assert exc.fields["file"] == str(d / fname)
    assert exc.fields["key"] == entry
    assert problem in exc.fields["problem"], exc.fields["problem"]
    after = api.knowledge()
    assert after is before  # the packaged knowledge, as it was
    assert "halfway" not in {e.kb_key.split(":")[-1] for e in after.actors.entries.values()}


@pytest.mark.parametrize("case", ["duplicate-key", "kind-typo", "unknown-event"])
def test_knowledge_broken_file_stops_the_cli_before_anything_is_stored(
    case: str, tmp_path: Path
) -> None:
    files, fname, entry, _ = CASES[case]
    d = _write(tmp_path / case, files)
    runner = CliRunner()
    res = runner.invoke(app, ["kb", "check", str(d)])
    assert res.exit_code == 1
    assert f"Error [E301]: {d / fname} -> {entry}:" in " ".join(res.output.split())
    story = tmp_path / "story.txt"
    story.write_text("date 2021-10-01 Talks\n\nRussia urged Turkey to stop.\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["ingest", str(story), "--db", str(db), "--kb", str(d), "-q"])
    assert res.exit_code == 1 and "E301" in res.output
    assert not db.exists()
    res = runner.invoke(app, ["code", str(story), "--kb", str(d)])
    assert res.exit_code == 1 and "E301" in res.output


def test_knowledge_good_user_dir_loads_whole(tmp_path: Path) -> None:
    d = _write(tmp_path / "good", {})
    kb = api.knowledge([d])
    keys = {e.kb_key.split(":")[-1] for e in kb.actors.entries.values()}
    assert "halfway" in keys
    assert kb.version != api.knowledge().version
