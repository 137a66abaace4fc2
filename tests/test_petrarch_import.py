"""Importing PETRARCH/TABARI dictionaries as detente knowledge (no model needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHARED
from detente.cli import app
from detente.dictcoder import parse_pattern
from detente.errors import DictionaryError
from detente.knowledge import load_knowledge
from detente.petrarch import import_petrarch, load_coded, read_actors, read_agents, read_verbs

ACTORS = """\
<!-- a test actor dictionary -->
ARNOR_  [ARN]
+ARNORIAN  # a synonym
THE_SHIRE  [FRO/BIL/SAM]
GOLLUM  # dated codes on their own lines
+SMEAGOL
\t[HOB < 950601]
\t[HOBGOV 19950601 - 19990815]
\t[HOBREB > 990816]
"""
AGENTS = """\
!PERSON! = MAN, WOMAN
PRESIDENT [~GOV] # suffix
POLICE {} [~COP]
GOLDEN_GOOSE {GOLDEN_GEESE} [~GGS]
CONGRESS!PERSON! [~LEG]
MSF {} [NGO~]
"""
VERBS = """\
&TIETYPES
+MILITARY
+ECONOMIC

--- ABANDON  [345]  ---
ABANDON
- * DIPLOMATIC TIES [901]
- * NEW_&TIETYPES_RELATIONS [903]
- UNEXPECTEDLY * [906]

--- BREAK [1717] ---
BREAK { BROKE BROKEN  }
+BREAK_DOWN {+BREAKS_DOWN +BROKE_DOWN}
- * TREATY  [161]

--- CONFISCATE  [1711] ---
CONFISCATE
WIRE_+TAP {WIRE_+TAPPED  WIRE_+TAPPING }
- * {A | B} [999]
"""
DISCARDS = "MONTHS LATER\n+World Golf Championships   # story\n"


@pytest.fixture
def dicts(tmp_path: Path) -> Path:
    d = tmp_path / "dicts"
    d.mkdir()
    (d / "test.actors.txt").write_text(ACTORS, encoding="utf-8")
    (d / "test.agents.txt").write_text(AGENTS, encoding="utf-8")
    (d / "test.verbs.txt").write_text(VERBS, encoding="utf-8")
    (d / "test.discards.txt").write_text(DISCARDS, encoding="utf-8")
    return d


def test_petrarch_actors_synonyms_multi_codes_and_dated_codes(dicts: Path) -> None:
    arnor, shire, gollum = read_actors(dicts / "test.actors.txt")
    assert arnor["phrases"] == ["ARNOR", "ARNORIAN"] and arnor["codes"] == ["ARN"]
    assert shire["codes"] == ["FRO", "BIL", "SAM"]
    assert gollum["phrases"] == ["GOLLUM", "SMEAGOL"] and gollum["codes"] == []
    assert gollum["periods"] == [
        {"codes": ["HOB"], "end": "1995-06-01"},
        {"codes": ["HOBGOV"], "start": "1995-06-01", "end": "1999-08-15"},
        {"codes": ["HOBREB"], "start": "1999-08-16"}]
    assert "line 4" in shire["source"]


def test_petrarch_agents_plurals_substitutions_and_positions(dicts: Path) -> None:
    agents = {e["key"]: e for e in read_agents(dicts / "test.agents.txt")}
    assert agents["president"]["phrases"] == ["PRESIDENT", "PRESIDENTS"]
    assert agents["police"]["phrases"] == ["POLICE"]
    assert agents["golden-goose"]["phrases"] == ["GOLDEN GOOSE", "GOLDEN GEESE"]
    assert agents["congressman"]["phrases"] == ["CONGRESSMAN", "CONGRESSWOMAN"]
    assert (agents["msf"]["code"], agents["msf"]["position"]) == ("NGO", "prefix")
    assert agents["president"]["position"] == "suffix"


def test_petrarch_verbs_forms_multiword_and_patterns(dicts: Path) -> None:
    entries = {e["key"]: e for e in read_verbs(dicts / "test.verbs.txt")}
    assert entries["synset-tietypes"]["phrases"] == ["MILITARY", "MILITARIES", "ECONOMIC",
                                                    "ECONOMICS"]
    brk = entries["verb-break"]
    assert brk["code"] == "1717"
    assert {"break", "breaks", "breaking", "broke", "broken"} <= set(brk["verbs"][0]["forms"])
    assert brk["verbs"][1]["after"] == ["down"] and "broke" in brk["verbs"][1]["forms"]
    tap = entries["verb-confiscate"]["verbs"][1]
    assert (tap["verb"], tap["before"]) == ("tap", ["wire"]) and "tapped" in tap["forms"]
    assert entries["verb-confiscate"]["patterns"] == []  # disjunctive sets are skipped
    assert entries["verb-abandon"]["patterns"][1] == {"pattern": "* NEW_&TIETYPES_RELATIONS",
                                                      "code": "903"}


def test_petrarch_import_writes_valid_knowledge(dicts: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    summary = import_petrarch([dicts], out)
    assert sorted(f["kind"] for f in summary.files) == ["coded-actors", "coded-agents",
                                                        "discards", "verb-patterns"]
    coded, files = load_coded([out])
    assert len(files) == 4
    (gollum,) = coded.actors["SMEAGOL"]
    assert gollum.codes_at(date(1997, 1, 1)) == ("HOBGOV",)
    assert gollum.codes_at(date(2001, 1, 1)) == ("HOBREB",)
    assert gollum.codes_at(date(1990, 1, 1)) == ("HOB",)
    assert coded.synsets["&TIETYPES"][0] == ("MILITARY",)
    assert ("WORLD GOLF CHAMPIONSHIPS", "story") in coded.discards
    kb = load_knowledge([out])
    assert kb.coded.blocks and kb.explain(gollum.kb_key)["kind"] == "coded-actors"


def test_petrarch_import_rejects_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("X [Y]\n", encoding="utf-8")
    with pytest.raises(DictionaryError) as info:
        import_petrarch([tmp_path / "notes.txt"], tmp_path / "kb")
    assert info.value.code == "E311"
    with pytest.raises(DictionaryError, match="no such file"):
        import_petrarch([tmp_path / "missing.actors.txt"], tmp_path / "kb")
    (tmp_path / "bad.actors.txt").write_text("X\n\t[ABC < 20011301]\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="bad date"):
        import_petrarch([tmp_path / "bad.actors.txt"], tmp_path / "kb")


@pytest.mark.parametrize(
    ("text", "pre", "post"),
    [("* DIPLOMATIC TIES", [], [("word", "DIPLOMATIC", False), ("word", "TIES", False)]),
     ("RECENTLY_*", [("word", "RECENTLY", True)], []),
     ("UNEXPECTEDLY &NEG * OVER", [("syn", "&NEG", False), ("word", "UNEXPECTEDLY", False)],
      [("word", "OVER", False)]),
     ("* EID AT ^ WITH +", [], [("word", "EID", False), ("word", "AT", False),
                                 ("skip", "", False), ("word", "WITH", False),
                                 ("tgt", "", False)]),
     ("% * NEW_&T_RELATIONS", [("cmp", "", False)],
      [("word", "NEW", False), ("syn", "&T", True), ("word", "RELATIONS", True)])],
)
def test_petrarch_patterns_parse(text: str, pre: list[tuple[str, str, bool]],
                                 post: list[tuple[str, str, bool]]) -> None:
    p = parse_pattern(text, "001")
    assert p is not None
    assert [(e.kind, e.value, e.adj) for e in p.pre] == pre
    assert [(e.kind, e.value, e.adj) for e in p.post] == post
    assert parse_pattern("NO VERB HERE", "001") is None


def test_cli_kb_import_petrarch(dicts: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["kb", "import-petrarch", str(dicts), "-o",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "verb-patterns" in res.output and "--coder petrarch-1" in res.output
    res = CliRunner().invoke(app, ["kb", "import-petrarch", str(tmp_path / "nope.verbs.txt"),
                                   "-o", str(tmp_path / "out")])
    assert res.exit_code == 1 and "E311" in res.output


def test_petrarch_import_reads_the_petr_unittest_dictionaries(tmp_path: Path) -> None:
    src = SHARED / "data" / "petr-unittest" / "dictionaries"
    if not src.is_dir():
        pytest.skip("petr-unittest dictionaries not available")
    summary = import_petrarch([src], tmp_path)
    counts = {f["kind"]: f["entries"] for f in summary.files}
    assert counts["coded-actors"] > 100 and counts["coded-agents"] > 80
    assert counts["verb-patterns"] > 200 and counts["discards"] > 5
