"""People knowledge: several files merged, partial dates, ``checked``, roles (no model)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from detente.actorkb import ActorKB, load_actor_kb
from detente.errors import KnowledgeError

HEAD = "kind: people\nversion: '1'\nsource: test\nentries:\n"


def _kb(tmp_path: Path, body: str) -> ActorKB:
    (tmp_path / "p.yaml").write_text(HEAD + body, encoding="utf-8")
    return load_actor_kb([tmp_path])[0]


def test_people_files_of_one_directory_are_merged(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + "  - {key: pa, source: s, name: Ann Alpha, "
                                     "country: USA}\n", encoding="utf-8")
    sub = tmp_path / "more"
    sub.mkdir()
    (sub / "b.yaml").write_text(HEAD + "  - {key: pb, source: s, name: Bob Beta, "
                                "country: FRA}\n", encoding="utf-8")
    kb, files = load_actor_kb([tmp_path])
    assert {"pa", "pb"} <= set(kb.people)
    assert len([f for f in files if f.kind == "people"]) == 2


def test_people_duplicate_key_across_files_names_both(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + "  - {key: same, source: s, name: Ann Alpha, "
                                     "country: USA}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_actor_kb([tmp_path])
    msg = str(err.value)
    assert "duplicate people key" in msg and "a.yaml" in msg and "b.yaml" in msg
    assert err.value.fields["file"] == str(tmp_path / "b.yaml")
    assert err.value.fields["key"] == "same"


def test_people_later_directory_still_overrides(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a.yaml").write_text(HEAD + "  - {key: same, source: s, name: Ann Alpha, "
                                "country: USA}\n", encoding="utf-8")
    (two / "a.yaml").write_text(HEAD + "  - {key: same, source: s, name: Ann Alpha, "
                                "country: GBR}\n", encoding="utf-8")
    kb = load_actor_kb([one, two])[0]
    assert kb.people["same"].code == "GBR"


PARTIAL = (
    "  - key: x\n    source: s\n    name: Xavier Example\n    country: FRA\n    terms:\n"
    "      - {office: Prime Minister, role: HOG, sector: GOV, start: 2005-03, end: 2007}\n"
    "      - {office: President, role: HOS, sector: GOV, start: 2012-05-15, "
    "checked: 2025-06-30}\n"
)


@pytest.mark.parametrize(
    ("when", "sector", "office", "uncertain"),
    [
        ("2005-02-28", "", "", False),  # before any possible start: own sector
        ("2005-03-01", "", "Prime Minister", True),  # inside the uncertain start month
        ("2005-03-31", "", "Prime Minister", True),
        ("2005-04-01", "GOV", "Prime Minister", False),  # certain from the next month
        ("2006-12-31", "GOV", "Prime Minister", False),  # certain until the end year
        ("2007-01-01", "", "Prime Minister", True),  # the end year is uncertain
        ("2007-12-31", "", "Prime Minister", True),
        ("2008-01-01", "ELI", "Prime Minister", False),  # certainly out: former official
        ("2012-05-15", "GOV", "President", False),
        ("2025-06-30", "GOV", "President", False),  # last checked day
        ("2025-07-01", "", "President", True),  # after 'checked': possible, not certain
        ("2030-01-01", "", "President", True),
    ],
)
def test_people_partial_dates_and_checked(tmp_path: Path, when: str, sector: str, office: str,
                                          uncertain: bool) -> None:
    kb = _kb(tmp_path, PARTIAL)
    role = kb.role_at("x", date.fromisoformat(when))
    assert (role.sector, role.office, role.uncertain) == (sector, office, uncertain)
    assert role.code == "FRA"
    assert bool(kb.offices_at("x", date.fromisoformat(when))) == (sector == "GOV")


def test_people_terms_keep_role_and_acting(tmp_path: Path) -> None:
    kb = _kb(tmp_path, "  - key: y\n    source: s\n    name: Yuna Example\n    country: KOR\n"
                       "    terms: [{office: President, role: HSG, acting: true, sector: GOV, "
                       "start: 2024-12-14, end: 2024-12-27}]\n")
    (t,) = kb.people["y"].terms
    assert (t.role, t.acting, t.start, t.end) == ("HSG", True, date(2024, 12, 14),
                                                  date(2024, 12, 27))
    assert t.active(date(2024, 12, 26)) and not t.active(date(2024, 12, 27))


def test_people_same_month_start_and_end_is_never_certain(tmp_path: Path) -> None:
    kb = _kb(tmp_path, "  - key: z\n    source: s\n    name: Zed Example\n    country: ITA\n"
                       "    terms: [{office: Prime Minister, sector: GOV, start: 2001-06, "
                       "end: 2001-06}]\n")
    role = kb.role_at("z", date(2001, 6, 15))
    assert role.uncertain and role.sector == ""
    assert kb.role_at("z", date(2001, 7, 1)).sector == "ELI"


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("{office: P, sector: GOV, start: 2005-13}", "YYYY-MM"),
        ("{office: P, sector: GOV, start: 05}", "YYYY"),
        ("{office: P, sector: GOV, start: 2005-03, end: 2005-02}", "ends before"),
        ("{office: P, sector: GOV, start: 2005, end: 2004-12-31}", "ends before"),
        ("{office: P, sector: GOV, start: 2005, end: 2006, checked: 2006}", "'checked'"),
        ("{office: P, sector: GOV, start: 2005, role: KING}", "unknown role"),
        ("{office: P, sector: GOV, start: 2005, acting: maybe}", "acting"),
        ("{office: P, sector: GOV, start: 2005, deputy: true}", "unknown field"),
    ],
)
def test_people_rejects_bad_terms(tmp_path: Path, term: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        _kb(tmp_path, "  - key: bad\n    source: s\n    name: B\n    country: USA\n"
                      f"    terms: [{term}]\n")
    assert problem in str(err.value)
    assert "p.yaml -> bad:" in str(err.value)


NAMESAKES = (
    "  - key: ab-pm\n    source: s\n    name: Andris Berzins\n    aliases: [Andris Bērziņš]\n"
    "    country: LVA\n    surname_alone: false\n    namesakes: [ab-president]\n"
    "    terms: [{office: Prime Minister, role: HOG, sector: GOV, start: 2000-05-05, "
    "end: 2002-11-07}]\n"
    "  - key: ab-president\n    source: s\n    name: Andris Berzins\n    country: LVA\n"
    "    surname_alone: false\n"
    "    terms: [{office: President, role: HOS, sector: GOV, start: 2011-07-08, "
    "end: 2015-07-08}]\n"
)


@pytest.mark.parametrize(
    ("when", "key", "sector", "office"),
    [
        ("2001-03-01", "ab-pm", "GOV", "Prime Minister"),
        ("2013-03-01", "ab-president", "GOV", "President"),
        ("2005-01-01", "ab-pm", "ELI", "Prime Minister"),  # the one who last left office
        ("2016-01-01", "ab-president", "ELI", "President"),
        ("1999-01-01", "ab-pm", "", ""),  # neither yet: the one whose office comes first
    ],
)
def test_people_namesakes_resolve_by_date(tmp_path: Path, when: str, key: str, sector: str,
                                          office: str) -> None:
    kb = _kb(tmp_path, NAMESAKES)
    day = date.fromisoformat(when)
    assert set(kb.named("ANDRIS BERZINS")) == {"ab-pm", "ab-president"}
    p = kb.find_person("Andris Bērziņš", day)
    assert p is not None and p.key == key
    role = kb.role_at(p, day)
    assert (role.code, role.sector, role.office) == ("LVA", sector, office)
    assert kb.people["ab-pm"].namesakes == ("ab-president",)
    assert kb.people["ab-president"].namesakes == ("ab-pm",)
    assert kb.find_person("Andris Berzins") is None  # no date: the name alone is ambiguous


def test_people_namesakes_switch_at_the_event_date(tmp_path: Path) -> None:
    """An article of 2013 recalling a 2001 event: the name means the PM at the event."""
    from detente.actors import at_date
    from detente.records import Entity

    kb = _kb(tmp_path, NAMESAKES)
    pres = kb.people["ab-president"]
    ent = Entity(code="LVA", sector="GOV", name=pres.name, text="Andris Berzins",
                 office="President", kb_key=pres.kb_key, cameo="LVAGOV")
    (then,) = at_date((ent,), kb=kb, published=date(2013, 3, 1), when=date(2001, 3, 1))
    assert (then.kb_key, then.sector, then.office) == (kb.people["ab-pm"].kb_key, "GOV",
                                                       "Prime Minister")
    assert at_date((ent,), kb=kb, published=date(2013, 3, 1), when=date(2013, 2, 1)) == (ent,)


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        # a shared name without 'namesakes': a duplicate by mistake, or undeclared
        (NAMESAKES.replace("    namesakes: [ab-president]\n", ""),
         ["ab-president:", "'andris berzins' also names people entry 'ab-pm'", "merge",
          "namesakes: [ab-pm]"]),
        (NAMESAKES.replace("start: 2011-07-08", "start: 2002-01"),
         ["both 'andris berzins'", "2002-01-01", "cannot tell them apart"]),
        (NAMESAKES.replace("namesakes: [ab-president]", "namesakes: [ab-nobody]"),
         ["ab-pm:", "'ab-nobody'", "no people entry"]),
        (NAMESAKES.replace("namesakes: [ab-president]", "namesakes: [ab-pm]"),
         ["ab-pm:", "this entry itself"]),
        (NAMESAKES.replace("name: Andris Berzins\n    country: LVA\n    surname_alone",
                           "name: Andris Berzin\n    country: LVA\n    surname_alone"),
         ["ab-pm:", "share no full name or alias"]),
    ],
)
def test_people_shared_names_must_be_declared_namesakes(tmp_path: Path, body: str,
                                                        problems: list[str]) -> None:
    with pytest.raises(KnowledgeError) as err:
        _kb(tmp_path, body)
    msg = str(err.value)
    assert "p.yaml -> " in msg
    for problem in problems:
        assert problem in msg, msg


def test_people_namesakes_title_chooses_before_date(tmp_path: Path) -> None:
    """A title written before a shared name picks the namesake who held that office."""
    kb = _kb(tmp_path, NAMESAKES)
    keys = kb.named("Andris Berzins")
    pm = kb.person_named(keys, date(2013, 3, 1), "former Prime Minister")
    assert pm is not None and pm.key == "ab-pm"
    assert kb.role_at(pm, date(2013, 3, 1)).sector == "ELI"
    pres = kb.person_named(keys, date(2001, 3, 1), "President")
    assert pres is not None and pres.key == "ab-president"
    # a title neither held, or none: the date decides
    who = kb.person_named(keys, date(2013, 3, 1), "Foreign Minister")
    assert who is not None and who.key == "ab-president"
    # a titled mention is not re-resolved at the event date; a bare name is
    assert kb.namesake_at(pm, date(2013, 3, 1), "former Prime Minister Andris Berzins") is pm
    assert kb.namesake_at(pm, date(2013, 3, 1), "Andris Bērziņš").key == "ab-president"
