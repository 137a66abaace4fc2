"""Objects knowledge (weapon systems, platforms, programmes): the packaged data and the
validation of user files."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.actorkb import ActorKB, load_actor_kb
from detente.errors import KnowledgeError
from detente.knowledge import DATA_DIR
from detente.objects import OBJECT_CLASSES, STOP_REF


@pytest.fixture(scope="module")
def kb() -> ActorKB:
    return load_actor_kb([DATA_DIR])[0]


def test_objects_packaged_data_is_large_and_complete(kb: ActorKB) -> None:
    models = [o for o in kb.objects.values() if not o.generic and not o.prefix]
    assert len(models) >= 300
    assert all(o.cls in OBJECT_CLASSES for o in kb.objects.values())
    for o in models:
        assert len(o.origin) == 3 and o.origin in kb.country_entries, o.key
        assert all(p in kb.country_entries and p != o.origin for p in o.partners), o.key
    assert {o.cls for o in models} == set(OBJECT_CLASSES)
    generic = [o for o in kb.objects.values() if o.generic]
    assert generic and not any(o.origin for o in generic)


@pytest.mark.parametrize(("phrase", "key", "origin", "category"), [
    ("S-400", "s-400", "RUS", "air-defence"),
    ("F-35", "f-35", "USA", "fighter"),
    ("Patriot", "patriot", "USA", "air-defence"),
    ("Bayraktar TB2", "bayraktar-tb2", "TUR", "drone"),
    ("HIMARS", "himars", "USA", "rocket-artillery"),
    ("Javelin", "javelin", "USA", "anti-tank-missile"),
    ("Leopard 2", "leopard-2", "DEU", "tank"),
    ("Su-35", "su-35", "RUS", "fighter"),
    ("J-20", "j-20", "CHN", "fighter"),
    ("Iskander", "iskander", "RUS", "ballistic-missile"),
    ("Kinzhal", "kinzhal", "RUS", "ballistic-missile"),
    ("Shahed-136", "shahed-136", "IRN", "drone"),
    ("Iron Dome", "iron-dome", "ISR", "air-defence"),
    ("THAAD", "thaad", "USA", "air-defence"),
    ("Aegis", "aegis", "USA", "air-defence"),
    ("Type 055", "type-055", "CHN", "destroyer"),
    ("KC-135 Stratotanker", "kc-135", "USA", "tanker-aircraft"),
    ("Hwasong-17", "hwasong-17", "PRK", "ballistic-missile"),
])
def test_objects_well_known_systems(kb: ActorKB, phrase: str, key: str, origin: str,
                                    category: str) -> None:
    hits = [h for h in kb.lookup(phrase) if h.feature == "object"]
    assert hits and hits[0].ref == key
    o = kb.objects[key]
    assert (o.origin, o.category) == (origin, category)


def test_objects_multinational_systems_have_no_sole_origin(kb: ActorKB) -> None:
    assert kb.objects["eurofighter"].partners
    assert kb.objects["eurofighter"].sole_origin == ""
    assert kb.objects["s-400"].sole_origin == "RUS"
    assert kb.objects["g-tank"].sole_origin == ""


def test_objects_not_in_phrases_consume_words(kb: ActorKB) -> None:
    assert [h.ref for h in kb.lookup("think tank")] == [STOP_REF]
    assert kb.lookup("tanks")[0].ref == "g-tank"


def _user_kb(tmp_path: Path, body: str, kind: str = "objects") -> Path:
    d = tmp_path / "kb"
    d.mkdir(exist_ok=True)
    (d / f"{kind}.yaml").write_text(f"kind: {kind}\nversion: '1'\nsource: test\nentries:\n"
                                    + body, encoding="utf-8")
    return d


def test_objects_user_file_adds_a_system(tmp_path: Path) -> None:
    d = _user_kb(tmp_path, "  - {key: zz-1, source: test, name: ZZ-1 Ruritan, aliases: [ZZ-1],"
                 " origin: FRA, category: drone}\n")
    kb, _files = load_actor_kb([DATA_DIR, d])
    assert kb.lookup("ZZ-1")[0].ref == "zz-1"
    assert kb.objects["zz-1"].cls == "platform"


@pytest.mark.parametrize(("entry", "message"), [
    ("{key: x, source: t, name: X-1, origin: FRA, category: spaceship}", "unknown category"),
    ("{key: x, source: t, name: X-1, category: drone}", "'origin' is required"),
    ("{key: x, source: t, name: X-1, origin: XXX, category: drone}", "not a known ISO"),
    ("{key: x, source: t, name: X-1, origin: fra, category: drone}", "not a known ISO"),
    ("{key: x, source: t, name: X-1, origin: FRA, partners: [QQQ], category: drone}",
     "not a known ISO"),
    ("{key: x, source: t, name: blimp, origin: FRA, category: drone, generic: true}",
     "generic class has no origin"),
    ("{key: x, source: t, name: XS, origin: FRA, category: warship, generic: true, "
     "prefix: true}", "either generic or a prefix"),
    ("{key: x, source: t, name: X-1, aliases: [S-400], origin: FRA, category: drone}",
     "already names object 's-400'"),
    ("{key: x, source: t, name: blimp, category: drone, generic: true, not_in: [red balloon]}",
     "does not contain the name"),
])
def test_objects_bad_entries_are_rejected(tmp_path: Path, entry: str, message: str) -> None:
    d = _user_kb(tmp_path, f"  - {entry}\n")
    with pytest.raises(KnowledgeError, match=message) as info:
        load_actor_kb([DATA_DIR, d])
    assert "x" in str(info.value)


def test_objects_category_class_is_checked(tmp_path: Path) -> None:
    d = _user_kb(tmp_path, "  - {key: blimp, source: t, name: blimp, class: balloon}\n",
                 kind="object-categories")
    with pytest.raises(KnowledgeError, match="class"):
        load_actor_kb([DATA_DIR, d])
