"""The packaged office-holder knowledge is consistent, and resolves right at given dates."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from detente.actorkb import ActorKB, Person, Term, load_actor_kb, norm
from detente.knowledge import DATA_DIR, DataFile

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def loaded() -> tuple[ActorKB, list[DataFile]]:
    kb, files = load_actor_kb([DATA_DIR])
    return kb, [f for f in files if f.kind == "people"]


@pytest.fixture(scope="module")
def kb(loaded: tuple[ActorKB, list[DataFile]]) -> ActorKB:
    return loaded[0]


def _sure(t: Term) -> tuple[date, date]:
    return (t.sure_from or t.start or date.min, t.sure_until or t.end or date.max)


def test_people_are_split_over_several_files(loaded: tuple[ActorKB, list[DataFile]]) -> None:
    _, files = loaded
    names = {Path(f.path).name for f in files}
    assert "people.yaml" in names and "people-igo.yaml" in names
    assert sum(len(f.entries) for f in files) == len(loaded[0].people)


def test_people_every_entry_has_a_source_and_no_invented_url(
        loaded: tuple[ActorKB, list[DataFile]]) -> None:
    for f in loaded[1]:
        assert f.source.strip()
        for e in f.entries:
            assert e["source"].strip(), (f.path, e["key"])
            assert "http" not in e["source"], (f.path, e["key"])


def test_people_terms_are_ordered(kb: ActorKB) -> None:
    for p in kb.people.values():
        for t in p.terms:
            lo, hi = _sure(t)
            assert t.start is not None, (p.key, t.office)
            assert t.end is None or t.start < t.end, (p.key, t.office)
            assert t.start <= lo and (t.end is None or hi <= t.end), (p.key, t.office)


def _office_groups(kb: ActorKB) -> dict[tuple[str, str, str], list[tuple[Person, Term]]]:
    groups: dict[tuple[str, str, str], list[tuple[Person, Term]]] = defaultdict(list)
    for p in kb.people.values():
        for t in p.terms:
            if t.acting:
                continue  # acting/interim holders may overlap the suspended holder
            kinds = ("HOS", "HOG") if t.role == "HSG" else (t.role or t.office,)
            for k in kinds:
                groups[(t.code, t.org, k)].append((p, t))
    return groups


def test_people_single_holder_offices_do_not_overlap(kb: ActorKB) -> None:
    clashes = []
    for key, items in _office_groups(kb).items():
        items.sort(key=lambda pt: _sure(pt[1]))
        for (p1, t1), (p2, t2) in zip(items, items[1:], strict=False):
            if _sure(t2)[0] < _sure(t1)[1]:
                clashes.append(f"{key}: {p1.key} {t1.office} and {p2.key} {t2.office}")
    assert not clashes, "\n".join(clashes)


def test_people_roles_name_known_codes(kb: ActorKB) -> None:
    for p in kb.people.values():
        assert kb.country(p.code) is not None or p.code in {"IGO", "UNO", "EUR"}, p.key
        for t in p.terms:
            if t.role == "IOH":
                assert t.org, (p.key, t.office)
            elif t.role:
                assert kb.country(t.code) is not None, (p.key, t.office, t.code)


def test_people_names_are_unambiguous(kb: ActorKB) -> None:
    """A full name or alias names one person, or declared namesakes that the date tells
    apart; a bare surname at most one surname_alone."""
    owners: dict[str, set[str]] = defaultdict(set)
    for h_key, hits in kb.phrases.items():
        for h in hits:
            if h.feature == "person":
                owners[h_key].add(h.ref)
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert shared == {"andris berzins": {"berzins-andris-pm", "berzins-andris-president"}}
    for keys in shared.values():
        for k in keys:
            assert set(kb.people[k].namesakes) == keys - {k}
    for surname, keys in kb.surnames.items():
        alone = [k for k in keys if kb.people[k].surname_alone]
        assert len(alone) <= 1, (surname, alone)


def _holders(kb: ActorKB, when: date, match: Callable[[Term], bool]) -> list[str]:
    """Keys of the people with a term that ``match`` accepts, certain on ``when``."""
    return sorted(p.key for p in kb.people.values() for t in p.terms
                  if match(t) and t.active(when))


def _who(kb: ActorKB, code: str, role: str, when: date) -> list[str]:
    roles = {role, "HSG"} if role in ("HOS", "HOG") else {role}
    return _holders(kb, when, lambda t: t.code == code and t.role in roles and not t.acting)


@pytest.mark.parametrize(
    ("name", "when", "code", "sector", "office"),
    [
        ("Tony Blair", "2003-03-20", "GBR", "GOV", "Prime Minister"),
        ("Tony Blair", "2008-01-01", "GBR", "ELI", "Prime Minister"),
        ("Recep Tayyip Erdogan", "2010-05-01", "TUR", "GOV", "Prime Minister"),
        ("Recep Tayyip Erdogan", "2020-05-01", "TUR", "GOV", "President"),
        ("Jens Stoltenberg", "2020-01-01", "IGO", "GOV", "Secretary General"),
        ("Jens Stoltenberg", "2002-06-01", "NOR", "ELI", "Prime Minister"),
        ("Ursula von der Leyen", "2016-06-01", "DEU", "GOV", "Defence Minister"),
        ("Kofi Annan", "2010-01-01", "UNO", "ELI", "Secretary-General"),
        ("Abdullah Gul", "2005-01-01", "TUR", "GOV", "Foreign Minister"),
        ("Mohammed bin Salman", "2023-01-01", "SAU", "GOV", "Crown Prince"),
        ("Angela Merkel", "2010-06-01", "DEU", "GOV", "Chancellor"),
        ("Gerhard Schröder", "2006-06-01", "DEU", "ELI", "Chancellor"),
        ("Romano Prodi", "2002-01-01", "EUR", "GOV", "European Commission President"),
        ("Romano Prodi", "2007-01-01", "ITA", "GOV", "Prime Minister"),
        ("Queen Elizabeth II", "2015-01-01", "GBR", "GOV", "Queen"),
        ("Dmitry Medvedev", "2021-01-01", "RUS", "ELI", "Prime Minister"),
        ("Sergei Shoigu", "2024-05-15", "RUS", "", "Defence Minister"),  # month of hand-over
        ("Sergei Shoigu", "2024-07-01", "RUS", "ELI", "Defence Minister"),
        ("Sanae Takaichi", "2026-03-01", "JPN", "", "Prime Minister"),  # after 'checked'
        ("Lula", "2005-01-01", "BRA", "GOV", "President"),
        ("Volodymyr Zelenskyy", "2022-03-01", "UKR", "GOV", "President"),
        ("Jokowi", "2020-01-01", "IDN", "GOV", "President"),
        ("Joko Widodo", "2025-01-01", "IDN", "ELI", "President"),
        ("Kevin Rudd", "2011-01-01", "AUS", "GOV", "Foreign Minister"),
        ("Michel Temer", "2016-06-01", "BRA", "GOV", "President"),  # acting while suspended
        ("Emperor Akihito", "2020-01-01", "JPN", "ELI", "Emperor"),
        ("Donald Tusk", "2016-01-01", "EUR", "GOV", "European Council President"),
        ("Tedros", "2020-04-01", "UNO", "GOV", "Director-General"),
        ("Nkosazana Dlamini-Zuma", "2015-01-01", "IGO", "GOV",
         "Chairperson of the African Union Commission"),
        ("Radmila Sekerinska", "2019-01-01", "MKD", "GOV", "Defence Minister"),
        ("Radmila Šekerinska", "2023-01-01", "MKD", "ELI", "Defence Minister"),
        ("Pandeli Majko", "2004-01-01", "ALB", "GOV", "Defence Minister"),
        ("Olta Xhacka", "2021-06-01", "ALB", "GOV", "Foreign Minister"),  # from 2021-01
        ("Savvas Angelides", "2021-01-01", "CYP", "ELI", "Defence Minister"),  # to 2020-06-30
        ("Alexandr Vondra", "2006-12-01", "CZE", "GOV", "Foreign Minister"),
        ("Alexandr Vondra", "2011-06-01", "CZE", "GOV", "Defence Minister"),
        ("Janez Jansa", "2000-08-01", "SVN", "GOV", "Defence Minister"),
        ("Aivis Ronis", "2011-06-01", "LVA", "ELI", "Foreign Minister"),  # to 2010-11-03
        ("Sigrid Kaag", "2018-02-20", "NLD", "GOV", "Foreign Minister"),  # acting
        ("Alexis Tsipras", "2018-12-01", "GRC", "GOV", "Prime Minister"),  # also FM then
        # two Latvians named Andris Berzins: the name means the one in office at the date
        ("Andris Berzins", "2001-06-01", "LVA", "GOV", "Prime Minister"),
        ("Andris Bērziņš", "2013-06-01", "LVA", "GOV", "President"),
        ("Andris Berzins", "2005-06-01", "LVA", "ELI", "Prime Minister"),  # then former PM
        ("Einars Repse", "2005-06-01", "LVA", "GOV", "Defence Minister"),
        ("Linda Murniece", "2006-03-01", "LVA", "GOV", "Defence Minister"),
        ("Atis Slakteris", "2007-06-01", "LVA", "GOV", "Defence Minister"),
        ("Vinets Veldre", "2008-06-01", "LVA", "GOV", "Defence Minister"),
        ("Luan Hajdaraga", "2000-03-01", "ALB", "GOV", "Defence Minister"),
        ("Ismail Lleshi", "2001-03-01", "ALB", "GOV", "Defence Minister"),
        ("Pandeli Majko", "2001-12-01", "ALB", "GOV", "Defence Minister"),  # then PM
        ("Ranko Krivokapić", "2023-01-01", "MNE", "GOV", "Foreign Minister"),
        ("Milica Pejanovic-Djurisic", "2012-06-01", "MNE", "GOV", "Defence Minister"),
        ("Boro Vucinic", "2012-06-01", "MNE", "ELI", "Defence Minister"),
        ("Tore O. Sandvik", "2025-10-01", "NOR", "GOV", "Defence Minister"),
        ("Bjørn Arild Gram", "2025-03-01", "NOR", "ELI", "Defence Minister"),
        ("Laurynas Kasčiūnas", "2024-06-01", "LTU", "GOV", "Defence Minister"),
        ("Nicos Symeonides", "2007-01-01", "CYP", "GOV", "Defence Minister"),
        ("Elcio Alvares", "2000-03-01", "BRA", "ELI", "Defence Minister"),
        ("Geraldo Quintão", "2000-03-01", "BRA", "GOV", "Defence Minister"),
        ("Lee Jun", "2002-10-01", "KOR", "GOV", "Defence Minister"),
        ("Tarja Halonen", "2000-01-15", "FIN", "GOV", "Foreign Minister"),
        ("Knut Vollebæk", "2000-02-01", "NOR", "GOV", "Foreign Minister"),
        ("Janusz Onyszkiewicz", "2000-03-01", "POL", "GOV", "Defence Minister"),
        ("Catherine Connolly", "2025-11-11", "IRL", "GOV", "President"),
        ("Mario Monti", "2013-04-10", "ITA", "GOV", "Prime Minister"),  # also acting FM
        ("António José Seguro", "2026-03-09", "PRT", "GOV", "President"),
        ("Catherine Vautrin", "2025-10-12", "FRA", "GOV", "Minister of the Armed Forces"),
        ("Yvette Cooper", "2026-01-20", "GBR", "GOV", "Foreign Secretary"),
        ("Shinjiro Koizumi", "2026-02-13", "JPN", "GOV", "Defence Minister"),
        ("Shinjiro Koizumi", "2026-03-01", "JPN", "", "Defence Minister"),  # after 'checked'
        # Austria's presidency vacant 2016-07-08 to 2017-01-26: the presidium acted jointly
        ("Norbert Hofer", "2016-10-01", "AUT", "GOV",
         "Acting head of state (National Council presidium)"),
        ("Doris Bures", "2016-06-01", "AUT", "LEG", ""),
        ("Karlheinz Kopf", "2017-03-01", "AUT", "ELI",
         "Acting head of state (National Council presidium)"),
        ("Artis Pabriks", "2022-06-01", "LVA", "GOV", "Defence Minister"),
    ],
)
def test_people_spot_checks(kb: ActorKB, name: str, when: str, code: str, sector: str,
                            office: str) -> None:
    p = kb.find_person(name, date.fromisoformat(when))
    assert p is not None, name
    role = kb.role_at(p, date.fromisoformat(when))
    assert (role.code, role.sector, role.office) == (code, sector, office)


@pytest.mark.parametrize(
    ("code", "role", "when", "keys"),
    [
        ("USA", "HOS", "2010-06-01", ["obama"]),
        ("TUR", "HOG", "2015-01-01", ["davutoglu"]),
        ("TUR", "HOG", "2020-01-01", ["erdogan"]),  # executive presidency from 2018-07-09
        ("SAU", "HOG", "2020-01-01", ["king-salman"]),
        ("SAU", "HOG", "2023-01-01", ["mbs"]),
        ("FRA", "HOG", "2006-01-01", ["de-villepin"]),
        ("GBR", "FM", "2012-01-01", ["hague"]),
        ("POL", "HOS", "2012-01-01", ["komorowski"]),
        ("JPN", "DM", "2016-01-01", ["nakatani-gen"]),
        ("CHN", "DM", "2020-01-01", ["wei-fenghe"]),
        ("IND", "HOS", "2010-01-01", ["patil-pratibha"]),
        ("KOR", "HOS", "2017-01-01", ["park-geun-hye"]),  # suspended; acting holder apart
        ("USA", "DM", "2008-01-01", ["gates-robert"]),
        ("ZAF", "HOG", "2012-01-01", ["zuma-jacob"]),
        ("CAN", "HOS", "2023-01-01", ["charles-iii"]),
        ("ITA", "HOS", "2015-01-20", []),  # between Napolitano and Mattarella
        ("MKD", "DM", "2013-06-01", ["xhaferi"]),
        ("MKD", "DM", "2014-07-01", ["jolevski"]),
        ("ALB", "FM", "2008-01-01", ["basha"]),
        ("ALB", "FM", "2020-06-01", ["rama-edi"]),  # formally; Gent Cakaj acting
        ("MNE", "FM", "2010-01-01", ["rocen"]),
        ("CZE", "DM", "2005-01-01", ["kuhnl"]),
        ("CZE", "DM", "2013-01-15", []),  # Petr Necas only ran the ministry
        ("SVK", "DM", "2004-06-01", ["liska"]),
        ("SVN", "DM", "2002-01-01", ["grizold"]),
        ("LUX", "DM", "2006-01-01", ["schiltz"]),
        ("CYP", "DM", "2021-01-01", ["petrides-charalambos"]),
        ("KOR", "FM", "2000-06-01", ["lee-joung-binn"]),
        ("ROU", "DM", "2009-06-01", ["stanisoara"]),
        ("LVA", "FM", "2010-06-01", ["ronis"]),
        ("LVA", "FM", "2011-06-01", ["kristovskis"]),
        ("HRV", "DM", "2001-01-01", ["rados-jozo"]),
        ("HRV", "DM", "2024-09-01", ["anusic"]),
        ("JPN", "DM", "2000-09-01", ["torashima"]),  # Defense Agency Director General
        ("BGR", "FM", "2000-06-01", ["mihaylova"]),
        ("CZE", "HOG", "2009-06-01", ["fischer-jan"]),
        ("GRC", "FM", "2018-12-01", ["tsipras"]),
        ("BEL", "FM", "2025-01-10", ["quintin"]),
        ("LVA", "HOG", "2001-01-01", ["berzins-andris-pm"]),
        ("LVA", "HOS", "2012-01-01", ["berzins-andris-president"]),
        ("LVA", "DM", "2005-01-01", ["repse"]),
        ("LVA", "DM", "2008-01-01", ["veldre"]),
        ("ALB", "DM", "2000-09-01", ["gjoni-ilir"]),
        ("MNE", "DM", "2012-06-01", ["pejanovic-djurisic"]),
        ("MNE", "FM", "2023-01-01", ["krivokapic-ranko"]),
        ("NOR", "DM", "2024-06-01", ["gram"]),
        ("LTU", "DM", "2024-06-01", ["kasciunas"]),
        ("CYP", "DM", "2007-01-01", ["symeonides-nicos"]),
        ("KOR", "DM", "2002-10-01", ["lee-jun"]),  # Kim Dong-shin left on 2002-07-11
        ("CHN", "DM", "2008-03-20", ["liang-guanglie"]),  # NPC vote of 2008-03-17
        ("CHN", "FM", "2003-03-20", ["li-zhaoxing"]),  # NPC vote of 2003-03-17
        ("DEU", "DM", "2011-03-10", ["de-maiziere"]),
        ("ITA", "FM", "2013-04-10", []),  # Mario Monti acting: not counted here
        ("ESP", "FM", "2026-02-20", ["albares"]),
        ("ARG", "DM", "2013-07-01", ["rossi-agustin"]),  # from 2013-06-03
        ("LTU", "FM", "2000-06-01", ["saudargas"]),
        ("LTU", "DM", "2000-06-01", ["stankevicius"]),
        ("ALB", "DM", "2024-10-01", ["vengu"]),  # from 2024-07
        ("MLT", "FM", "2013-01-15", ["zammit-dimech"]),
        ("KOR", "FM", "2025-10-01", ["cho-hyun"]),
        ("KOR", "FM", "2002-06-01", ["choi-sung-hong"]),
        ("BRA", "DM", "2022-06-01", ["nogueira-paulo"]),
        ("ARG", "DM", "2005-06-01", ["pampuro"]),
        ("CYP", "FM", "2003-01-15", ["kasoulides"]),
        ("CYP", "FM", "2003-06-01", ["iacovou"]),
        ("AUT", "DM", "2000-01-15", ["fasslabend"]),
        ("AUT", "FM", "2000-01-15", ["schuessel"]),
        ("IRL", "FM", "2000-01-15", ["andrews-david"]),
        ("HRV", "FM", "2000-01-15", ["granic"]),
        ("HRV", "DM", "2000-01-15", ["miljavac"]),
        ("NOR", "DM", "2000-01-15", ["lower-eldbjorg"]),
        ("AUT", "HOS", "2016-10-01", []),  # vacant: the acting presidium is apart
        ("LVA", "DM", "2022-12-13", ["pabriks"]),
        ("LVA", "DM", "2022-12-14", ["murniece"]),
    ],
)
def test_people_office_holder_at(kb: ActorKB, code: str, role: str, when: str,
                                 keys: list[str]) -> None:
    assert _who(kb, code, role, date.fromisoformat(when)) == keys


@pytest.mark.parametrize(
    ("org", "when", "keys"),
    [
        ("UN", "2010-01-01", ["ban-ki-moon"]),
        ("NATO", "2005-01-01", ["de-hoop-scheffer"]),
        ("EC", "2010-01-01", ["barroso"]),
        ("EUCO", "2017-01-01", ["tusk"]),
        ("EU", "2016-01-01", ["mogherini"]),
        ("AU", "2020-01-01", ["faki"]),
        ("AU", "2005-01-01", ["konare"]),
        ("AU", "2025-09-01", ["youssouf-mahmoud"]),
        ("IAEA", "2015-01-01", ["amano"]),
        ("WHO", "2010-01-01", ["chan-margaret"]),
    ],
)
def test_people_organisation_heads_at(kb: ActorKB, org: str, when: str,
                                      keys: list[str]) -> None:
    assert _holders(kb, date.fromisoformat(when),
                    lambda t: t.org == org and t.role == "IOH") == keys


def test_people_austrian_presidium_acted_jointly_during_the_vacancy(kb: ActorKB) -> None:
    acting = _holders(kb, date(2016, 10, 1),
                      lambda t: t.code == "AUT" and t.role == "HOS" and t.acting)
    assert acting == ["bures", "hofer-norbert", "kopf-karlheinz"]
    assert _holders(kb, date(2017, 1, 26), lambda t: t.code == "AUT" and t.role == "HOS") \
        == ["van-der-bellen"]


def test_people_surname_prefers_the_holder_in_office(kb: ActorKB) -> None:
    assert kb.by_surname("Erdogan", date(2019, 1, 1)) is kb.people["erdogan"]
    assert kb.by_surname(norm("Clinton"), date(2010, 1, 1)) is None
    assert kb.by_surname("Blair", date(2005, 1, 1)) is kb.people["blair"]
    assert kb.by_surname("Blair", date(2024, 1, 1)) is None  # Bill Blair in office in Canada
    assert kb.by_surname("Orban", date(2015, 1, 1)) is kb.people["orban"]
    assert kb.by_surname("Orban", date(2020, 1, 1)) is None  # Ludovic Orban in Romania
    assert kb.by_surname("Sekerinska", date(2019, 1, 1)) is kb.people["sekerinska"]
    assert kb.by_surname("Grizold", date(2003, 1, 1)) is kb.people["grizold"]


def test_people_coverage_doc_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "people_coverage.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
