"""The fast paths of knowledge loading give exactly what the plain paths give.

Loading was made faster (issue 3: all knowledge in under a second) by a YAML builder over
composed nodes, by folding names in bulk, and by checking the gazetteer CSV by column.
Each has a plain reference (PyYAML's own constructor, :func:`fold`/:func:`norm` per
string, the row-by-row gazetteer reader); these tests hold the fast path to it on the
packaged data and on hand-made edge cases, with and without libyaml.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from detente import knowledge as K
from detente import places
from detente.actorkb import fold, fold_many, norm, norm_many
from detente.errors import KnowledgeError

YAML_FILES = sorted(K.DATA_DIR.rglob("*.yaml"))
LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


def _same(a: Any, b: Any) -> None:
    """Equal, with the same types and key order all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b


def test_knowledge_load_yaml_equals_pyyaml_on_packaged_files() -> None:
    """With the default loader (libyaml's where present); the pure-Python one is compared
    on the whole compiled knowledge below."""
    loader = LOADERS[-1]
    for path in YAML_FILES:
        text = path.read_text(encoding="utf-8")
        _same(K.load_yaml(text), yaml.load(text, Loader=loader))  # noqa: S506


ODD = [
    "a: &x [1, {b: 2}]\nc: *x\n",  # alias: PyYAML's constructor shares the object
    "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",  # merge key
    "a: !!binary aGVsbG8=\nb: !!set {p, q}\nc: !!omap [{k: 1}]\n",  # explicit tags
    "- 1.5\n- .inf\n- ~\n- yes\n- 0x1f\n- 1_000\n- 2021-01-01 10:00:00\n- 2021-01-01\n",
    "- '2021-01-01'\n- \"yes\"\n- ! 12\n- 012\n",  # quoted and non-specific: strings
    "k: v\nk: w\n",  # a repeated key: the last wins, as in PyYAML
    "",
    "# only a comment\n",
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("text", ODD)
def test_knowledge_load_yaml_equals_pyyaml_on_odd_documents(loader: type, text: str) -> None:
    fast = K.load_yaml(text, loader=loader)
    plain = yaml.load(text, Loader=loader)  # noqa: S506
    assert fast == plain
    if isinstance(plain, dict) and "c" in plain and "a" in plain and text.startswith("a: &x"):
        assert fast["c"] is fast["a"]  # shared, as PyYAML makes it


def test_knowledge_load_yaml_errors_as_pyyaml() -> None:
    with pytest.raises(yaml.YAMLError):
        K.load_yaml("? [1, 2]\n: x\n")  # unhashable key
    with pytest.raises(yaml.YAMLError):
        K.load_yaml("a: [1\n")
    with pytest.raises(ValueError, match="line 2"):
        K.load_yaml("a: 1\nb: 2020-02-30\n")


def test_knowledge_impossible_date_is_a_knowledge_error(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        'kind: groups\nversion: "1"\nsource: t\nentries:\n'
        "  - {key: x, source: t, name: X, country: TUR, sector: REB, "
        "periods: [{sector: REB, start: 2020-02-30}]}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        K.load_knowledge([tmp_path], config=False)
    assert info.value.fields["key"] == "(file)"
    assert "2020-02-30" in info.value.fields["problem"]
    assert "line 5" in info.value.fields["problem"]


def test_knowledge_without_libyaml_is_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pure-Python loader (PyYAML built without libyaml) compiles the same knowledge."""
    monkeypatch.setenv(K.CACHE_ENV, "off")
    fast = K._compile(())
    monkeypatch.setattr(K, "_FAST_LOADER", K._FAST_LOADERS[yaml.SafeLoader])
    pure = K._compile(())
    assert pure.version == fast.version
    assert pure.files == fast.files
    assert pure.ontology == fast.ontology
    assert pure.lexicon == fast.lexicon
    assert pickle.dumps(pure.actors) == pickle.dumps(fast.actors)
    assert pickle.dumps(pure.places) == pickle.dumps(fast.places)


TRICKY = ["", " ", "Ελλάς ΟΔΟΣ", "ΟΔΟΣ\u00a0X", "İstanbul", "Straße", "ﬁnal", "e\u0301 ",
          "\u0301start", "a\u0323\u0301b", "Zīr Āb", "Côte d\u2019Ivoire", "\u2013 x \t y",
          "\x1c\u3000sp\u2028", "ǅemal", "Σ", "ΑΣ ", "x\x00y", "  Multiple   spaces  "]


def test_knowledge_fold_and_norm_in_bulk_equal_one_by_one() -> None:
    names = list(places.load_gazetteer([K.DATA_DIR])[0].name) + TRICKY
    assert fold_many(names) == [fold(t) for t in names]
    assert norm_many(names) == [norm(t) for t in names]
    for t in TRICKY:  # alone, and next to every other
        assert norm_many([t]) == [norm(t)]
        assert norm_many([t, *TRICKY, t]) == [norm(x) for x in (t, *TRICKY, t)]
    assert fold_many([]) == norm_many([]) == []


def _gaz_fields(g: places.Gazetteer) -> dict[str, Any]:
    return {f.name: (v.tobytes() if hasattr(v := getattr(g, f.name), "tobytes") else v)
            for f in dataclasses.fields(g)}


def test_places_fast_csv_reader_equals_row_by_row() -> None:
    path = K.DATA_DIR / "places" / "gazetteer.csv"
    fast_meta, fast = places._csv_rows(path)
    slow_meta, slow = places._csv_rows_checked(path)
    assert fast_meta == slow_meta
    assert fast == slow
    # the index built from them is the one the row-by-row build gave (one name per link)
    gaz = places._build(fast)
    assert gaz.size == len(slow)
    for n in (0, len(slow) // 2, len(slow) - 1):
        assert n in gaz.rows_named(slow[n][1])
    assert _gaz_fields(places._build(list(slow))) == _gaz_fields(gaz)


HEAD = "key,source,name,names,feature,country,lat,population\n"
GOOD = "a,t,Alpha,,city,FRA,1.5,10\nb,t,Beta,Bet;Beeta,city,FRA,,\n"
BROKEN = [
    # (rows after the good ones, entry named, problem fragment): the first problem in file
    # order is named even when a later row has another one
    ("c,t,Gamma,,city,FRA,north,\nd,t,,,city,FRA,1,\n", "c", "'lat' must be a number"),
    ("c,t,,,city,FRA,1,\nd,t,Delta,,city,FRA,north,\n", "c", "missing required field 'name'"),
    ("a,t,Again,,city,FRA,1,\n", "a", "duplicate key"),
    ("c,,Gamma,,city,FRA,,\n", "c", "missing 'source'"),
    ("c,t,Gamma,,town,FRA,,\n", "c", "field 'feature'"),
    ("c,t,Gamma,,city,FRA,1\n", "line 4", "7 fields, expected 8"),
    (" ,t,Gamma,,city,FRA,,\n", "line 4", "missing 'key'"),
    ("c,t,Gamma,,city,FRA,,1.5\n", "c", "'population' must be a number"),
    ("c,t,Gamma,,city,France,,\nd,t,D,,city,XX,,\n", "c", "alpha-3"),
]


@pytest.mark.parametrize(("rows", "entry", "problem"), BROKEN)
def test_places_broken_csv_names_the_first_problem(tmp_path: Path, rows: str, entry: str,
                                                   problem: str) -> None:
    (tmp_path / "g.csv").write_text(HEAD + GOOD + rows, encoding="utf-8")
    (tmp_path / "g.meta.yaml").write_text('kind: gazetteer\nversion: "1"\nsource: t\n',
                                          encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        places.load_gazetteer([tmp_path])
    assert info.value.fields["key"] == entry
    assert problem in info.value.fields["problem"]


def test_places_user_csv_loads_like_row_by_row(tmp_path: Path) -> None:
    (tmp_path / "g.csv").write_text(HEAD + GOOD, encoding="utf-8")
    (tmp_path / "g.meta.yaml").write_text('kind: gazetteer\nversion: "1"\nsource: t\n',
                                          encoding="utf-8")
    assert places._csv_rows(tmp_path / "g.csv") == places._csv_rows_checked(tmp_path / "g.csv")
    gaz, _ = places.load_gazetteer([K.DATA_DIR, tmp_path])
    assert [r.key for r in gaz.lookup("Beeta")] == ["b"]
    assert gaz.lookup("Alpha")[0].population == 10
