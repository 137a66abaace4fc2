"""Knowledge loader: schema validation names file -> key: problem; nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.errors import KnowledgeError
from detente.knowledge import FieldSpec, find_files, read_data_file

SCHEMA = {
    "name": FieldSpec(str, required=True),
    "aliases": FieldSpec(list, item=str),
    "sector": FieldSpec(str, choices=frozenset({"GOV", "MIL"})),
    "score": FieldSpec(float),
}

GOOD = """kind: things
version: "1"
source: "hand-written for a test"
entries:
  - key: a
    source: "test"
    name: Alpha
    aliases: [A, Alf]
    sector: GOV
    score: 2
  - key: b
    source: "test"
    name: Beta
"""


def write(tmp_path: Path, text: str, name: str = "f.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_knowledge_reads_valid_file(tmp_path: Path) -> None:
    df = read_data_file(write(tmp_path, GOOD), kind="things", schema=SCHEMA)
    assert df.version == "1"
    assert [e["key"] for e in df.entries] == ["a", "b"]
    assert df.entries[0]["score"] == 2.0
    assert df.entries[1]["aliases"] is None


@pytest.mark.parametrize(
    ("mutation", "problem"),
    [
        (("    source: \"test\"\n    name: Beta\n", "    name: Beta\n"), "b: missing 'source'"),
        (("name: Beta", "nam: Beta"), "unknown field"),
        (("sector: GOV", "sector: XXX"), "field 'sector' has ['XXX']"),
        (("aliases: [A, Alf]", "aliases: A"), "field 'aliases' must be list"),
        (("aliases: [A, Alf]", "aliases: [A, 3]"), "items of 'aliases' must be str"),
        (("key: b", "key: a"), "a: duplicate key"),
        (("kind: things", "kind: other"), "kind is 'other'"),
        (('version: "1"\n', ""), "missing or empty top-level 'version'"),
        (("  - key: b\n", "  - kee: b\n"), "entry #2: missing 'key'"),
        (("score: 2", "score: true"), "must be a number"),
        (("entries:", "entries: {}\nx:"), "'entries' must be a list"),
    ],
)
def test_knowledge_errors_name_file_key_problem(tmp_path: Path, mutation: tuple[str, str],
                                                problem: str) -> None:
    text = GOOD.replace(*mutation)
    with pytest.raises(KnowledgeError) as info:
        read_data_file(write(tmp_path, text), kind="things", schema=SCHEMA)
    assert problem in info.value.message
    assert str(tmp_path / "f.yaml") in info.value.message


def test_knowledge_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not valid YAML"):
        read_data_file(write(tmp_path, "kind: [unclosed"), kind="things", schema=SCHEMA)


def test_knowledge_csv_with_sidecar(tmp_path: Path) -> None:
    write(tmp_path, "key,source,name,aliases,score\na,test,Alpha,A;Alf,1.5\n", "t.csv")
    write(tmp_path, 'kind: things\nversion: "2"\nsource: test\n', "t.meta.yaml")
    df = read_data_file(tmp_path / "t.csv", kind="things", schema=SCHEMA)
    assert df.entries[0]["aliases"] == ["A", "Alf"]
    assert df.entries[0]["score"] == 1.5
    assert find_files([tmp_path], "things") == [tmp_path / "t.csv"]


def test_knowledge_csv_without_sidecar(tmp_path: Path) -> None:
    write(tmp_path, "key,source,name\na,test,Alpha\n", "t.csv")
    with pytest.raises(KnowledgeError, match="sidecar"):
        read_data_file(tmp_path / "t.csv", kind="things", schema=SCHEMA)
