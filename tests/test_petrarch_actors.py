"""Imported PETRARCH/TABARI actor and agent dictionaries read by the actors stage of every
coder (not only petrarch-1), with the petr-unittest dictionaries (real files)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHARED
from detente import api
from detente.actorkb import ActorKB
from detente.cli import app
from detente.knowledge import load_knowledge
from detente.petrarch import _map_code, _sector_codes, import_petrarch, with_imported

DICTS = SHARED / "data" / "petr-unittest" / "dictionaries"
needs_dicts = pytest.mark.skipif(not DICTS.is_dir(), reason="petr-unittest dictionaries "
                                 "not in ../shared/data")


@pytest.fixture(scope="module")
def petr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DICTS.is_dir():
        pytest.skip("petr-unittest dictionaries not in ../shared/data")
    out = tmp_path_factory.mktemp("petr")
    import_petrarch([DICTS], out)
    return out


@pytest.fixture(scope="module")
def own() -> ActorKB:
    return load_knowledge(config=False).actors


def test_codes_map_to_country_sector_and_organisation(own: ActorKB) -> None:
    roles = _sector_codes(own)
    orgs = {e.cameo: e.code for e in own.entries.values() if e.kind == "igo" and e.cameo}
    assert _map_code("RUSGOV", roles, orgs) == ("RUS", "GOV", "RUSGOV", "group")
    assert _map_code("USAMIL", roles, orgs) == ("USA", "MIL", "USAMIL", "group")
    assert _map_code("usaeli", roles, orgs) == ("USA", "ELI", "USAELI", "group")
    assert _map_code("IGOUNO", roles, orgs) == ("UNO", "", "IGOUNO", "igo")
    assert _map_code("NGO", roles, orgs) == ("NGO", "", "NGO", "igo")
    # the first role that is a sector's CAMEO role: HMS is a group code, REB the sector
    assert _map_code("PSEREBHMS", roles, orgs)[:2] == ("PSE", "REB")
    assert _map_code("PSEHMSGOV", roles, orgs)[:2] == ("PSE", "GOV")
    # CAMEO MED is the media (PLOVER JRN), CAMEO HLH health (PLOVER MED); INS/SEP are REB
    assert _map_code("USAMED", roles, orgs)[1] == "JRN"
    assert _map_code("USAHLH", roles, orgs)[1] == "MED"
    assert _map_code("SYRINS", roles, orgs)[1] == "REB"
    # religion codes give REL when no role of another sector does; a religion alone has
    # no country and is left out
    assert _map_code("IRNMOS", roles, orgs)[:2] == ("IRN", "REL")
    assert _map_code("EGYCHRCPT", roles, orgs)[:2] == ("EGY", "REL")
    assert _map_code("PSEMOSREB", roles, orgs)[:2] == ("PSE", "REB")
    assert _map_code("MOSSHI", roles, orgs) is None
    assert _map_code("---", roles, orgs) == ("", "", "", "none")
    assert _map_code("+++", roles, orgs) is None


def test_imported_names_are_added_and_detente_wins(petr: Path, own: ActorKB) -> None:
    kb = load_knowledge([petr], config=False)
    actors = kb.actors
    # a name only the PETRARCH dictionary has ("CIRITH UNGOL [MORMIL]")
    (hit,) = actors.lookup("Cirith Ungol")
    assert hit.feature == "imported"
    entry = actors.entry(hit.ref)
    assert entry is not None and (entry.code, entry.sector, entry.cameo) == ("MOR", "MIL",
                                                                             "MORMIL")
    assert kb.explain(hit.ref)["source"].startswith("imported from PETR.Validate.actors.txt")
    # synonyms (+MINAS_TIRITH under GONDOR [GON]) share the entry; case as names are written
    assert actors.lookup("Minas Tirith")[0].ref == actors.lookup("Gondor")[0].ref
    assert not actors.lookup("cirith ungol") and actors.lookup("CIRITH UNGOL")
    # names detente reads itself are left as they are: ISRAEL [ISR], EGYPT [UAR],
    # ISRAELI_TROOPS [ISRMIL] (read as a country adjective and a role word)
    for name in ("Israel", "Egypt", "Hamas", "United Nations"):
        assert actors.lookup(name) == own.lookup(name), name
    assert actors.phrases.get("israeli troops") is None
    # agents whose code maps to a sector become role words; prefix agents (NGO~) do not
    assert actors.lookup("culture minister")[0].sector == "GOV"
    assert actors.lookup("former defence minister")[0].sector == "ELI"
    assert not actors.lookup("human rights body")
    # religion codes: COPTIC_CHRISTIAN [~CHRCPT], CLERIC [~REL]; ~MUS is no CAMEO code
    assert actors.sector_of("coptic christian") == "REL"
    assert actors.sector_of("cleric") == own.sector_of("cleric") == "REL"
    assert not actors.lookup("top muslim")
    # a name of several actors: THE_SHIRE [FRO/BIL/SAM], LORIEN [ELR/GAL]
    (shire,) = actors.lookup("the Shire")
    assert [(e.code, e.cameo) for e in actors.actors_of(shire.ref)] == [
        ("FRO", "FRO"), ("BIL", "BIL"), ("SAM", "SAM")]
    assert [e.code for e in actors.actors_of(actors.lookup("Lorien")[0].ref)] == ["ELR", "GAL"]
    assert actors.actors_of("no-such-key") == ()
    imp = kb.imported
    assert imp is not None and imp.names > 50 and imp.known > 50 and imp.agents > 50
    # without --kb nothing changes
    assert not own.lookup("Cirith Ungol")


def test_dated_codes_resolve_at_the_date(petr: Path) -> None:
    actors = load_knowledge([petr], config=False).actors
    entry = actors.entry(actors.lookup("Sam Gamgee")[0].ref)
    assert entry is not None
    # [HOBCIV <20080120] [ORCHOB 20100109-20100112] [HOBMIL 20080120-20121109]
    # [HOBGOV 20121109-20130119] [HOBELI >20130119]; the earlier period wins an overlap
    assert entry.at(date(2005, 1, 1))[::2] == ("HOB", "HOBCIV")
    assert entry.at(date(2010, 1, 10)) == ("ORC", "", "ORCHOB")
    assert entry.at(date(2011, 1, 1)) == ("HOB", "MIL", "HOBMIL")
    assert entry.at(date(2012, 12, 1)) == ("HOB", "GOV", "HOBGOV")
    assert entry.at(date(2014, 1, 1)) == ("HOB", "ELI", "HOBELI")
    # U.S.S.R [USR <911226] and no default: no actor after the date
    ussr = actors.entry(actors.lookup("USSR")[0].ref)
    assert ussr is not None and ussr.at(date(1990, 1, 1))[0] == "USR"
    assert ussr.at(date(2000, 1, 1))[0] == ""


def test_a_user_dictionary_with_real_codes(tmp_path: Path, own: ActorKB) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "mine.actors.txt").write_text(
        "JOE_BIDEN [USAELI]  # known to detente: its dated terms win\n"
        "EXAMPLE_UNITED_FRONT [SYRINS]\n"
        "JOHN_Q_EXAMPLE [USA]\n"
        "\t[USAGOV 20010120-20090119]\n"
        "\t[USAELI >20090120]\n"
        "MIDDLE_EARTH_TRIBUNAL [IGOUNO]\n"
        "EXAMPLE_BORDERLANDS [FRA/DEU]\n"
        "EXAMPLE_SHIA_CLERGY [MOSSHI]\n", encoding="utf-8")
    (src / "mine.agents.txt").write_text("WATCHMAKER [~BUS]\nFARMHAND [~AGR]\n"
                                         "TEMPLE_ELDER [~BUD]\n", encoding="utf-8")
    out = tmp_path / "kb"
    import_petrarch([src], out)
    kb = load_knowledge([out], config=False)
    actors = kb.actors
    assert actors.lookup("Joe Biden") == own.lookup("Joe Biden")
    front = actors.entry(actors.lookup("Example United Front")[0].ref)
    assert front is not None and (front.code, front.sector) == ("SYR", "REB")
    john = actors.entry(actors.lookup("John Q Example")[0].ref)
    assert john is not None
    assert john.at(date(2005, 6, 1))[:2] == ("USA", "GOV")
    assert john.at(date(2009, 1, 19))[:2] == ("USA", "GOV")  # PETRARCH's end is inclusive
    assert john.at(date(2015, 6, 1))[:2] == ("USA", "ELI")
    assert john.at(date(1999, 6, 1))[:2] == ("USA", "")
    tribunal = actors.entry(actors.lookup("Middle Earth Tribunal")[0].ref)
    assert tribunal is not None and (tribunal.code, tribunal.kind) == ("UNO", "igo")
    assert actors.sector_of("watchmaker") == "BUS" and actors.sector_of("farmhand") == "AGR"
    assert actors.sector_of("temple elder") == "REL"
    borderlands = actors.lookup("Example Borderlands")[0].ref
    assert [(e.code, e.sector) for e in actors.actors_of(borderlands)] == [
        ("FRA", ""), ("DEU", "")]
    assert not actors.lookup("Example Shia Clergy")
    rep = with_imported(own, kb.files)[1]
    assert (rep.names, rep.known, rep.unmapped, rep.agents) == (4, 1, 1, 6)  # with plurals


@pytest.mark.model
def test_actors_resolve_explains_an_imported_name(petr: Path) -> None:
    res = CliRunner().invoke(app, ["actors", "resolve", "Cirith Ungol attacked Osgiliath.",
                                   "--date", "2015-03-04", "--kb", str(petr), "--json"])
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)
    first = rows[0]
    assert first["text"] == "Cirith Ungol" and first["rule"] == "imported-name"
    assert "imported PETRARCH/TABARI actor dictionary" in first["explanation"]
    (ent,) = first["entities"]
    assert (ent["code"], ent["sector"], ent["cameo"]) == ("MOR", "MIL", "MORMIL")
    k = ent["knowledge"]
    assert k["kind"] == "coded-actors" and k["key"] == "cirith-ungol"
    assert k["source"].startswith("imported from PETR.Validate.actors.txt line ")
    text = CliRunner().invoke(app, ["actors", "resolve", "Cirith Ungol attacked Osgiliath.",
                                    "--date", "2015-03-04", "--kb", str(petr)]).stdout
    assert "rule imported-name" in text and "-> MOR MIL (CAMEO MORMIL)" in text


@pytest.mark.model
def test_a_name_of_several_actors_resolves_to_each(petr: Path) -> None:
    res = CliRunner().invoke(app, ["actors", "resolve", "The Shire restored ties with Gondor.",
                                   "--date", "2015-03-04", "--kb", str(petr), "--json"])
    assert res.exit_code == 0, res.stderr
    first = json.loads(res.stdout)[0]
    assert first["text"] == "The Shire" and first["rule"] == "imported-name"
    assert [e["code"] for e in first["entities"]] == ["FRO", "BIL", "SAM"]


@pytest.mark.model
@pytest.mark.parametrize("coder", ["rules-1", "combined-1"])
def test_coders_code_events_of_imported_actors(petr: Path, coder: str) -> None:
    evs = api.code("Cirith Ungol attacked Osgiliath on Monday.", date="2015-03-04",
                   kb_dirs=[petr], coder=coder)
    assert [(e.event_type, [(a.code, a.sector) for a in e.actor],
             [a.code for a in e.recipient]) for e in evs] == [
        ("ASSAULT", [("MOR", "MIL")], ["OSG"])]
    assert not any(a.code for e in api.code("Cirith Ungol attacked Osgiliath on Monday.",
                                             date="2015-03-04", coder=coder)
                   for a in e.actor)  # without --kb the names are unknown
    # an event dated before its publication takes the dictionary's code at the event date
    (ev,) = api.code("On 10 January 2010, Sam Gamgee attacked Osgiliath.",
                     date="2013-06-01", kb_dirs=[petr], coder=coder)
    assert ev.date == date(2010, 1, 10)
    assert [(a.code, a.cameo) for a in ev.actor] == [("ORC", "ORCHOB")]
