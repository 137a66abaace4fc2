"""Measure how much of the office-holder scope the packaged people knowledge covers.

Scope (issue 3): heads of state (HOS) and of government (HOG), foreign (FM) and defence
(DM) ministers of the G20, NATO, EU and permanent UN Security Council members, 2000 to the
review date, plus the heads of the major organisations. A day is *covered* for a country
and office when a term with that ``role`` (HSG counts as HOS and HOG) is certain on that
day (see ``detente.actorkb``: partial dates and ``checked`` leave uncertain days
uncovered; acting holders count). Run::

    python scripts/people_coverage.py            # print the summary
    python scripts/people_coverage.py --write    # update docs/people-coverage.md + README
    python scripts/people_coverage.py --check    # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from detente.actorkb import ActorKB, Term, load_actor_kb  # noqa: E402
from detente.knowledge import DATA_DIR  # noqa: E402

DOC = ROOT / "docs" / "people-coverage.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- people-coverage:begin -->", "<!-- people-coverage:end -->"

FIRST = date(2000, 1, 1)
LAST = date(2026, 11, 27)
"""Last day measured: the review date of the people files."""
HORIZON = date(2025, 6, 30)
"""The date most open terms are 'checked' to: coverage up to it is reported apart."""

G20 = ("ARG", "AUS", "BRA", "CAN", "CHN", "FRA", "DEU", "IND", "IDN", "ITA", "JPN", "KOR",
       "MEX", "RUS", "SAU", "ZAF", "TUR", "GBR", "USA")
NATO = ("ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "ISL", "ITA", "LVA", "LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT",
        "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA")
EU = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
      "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
      "SVN", "ESP", "SWE")
P5 = ("CHN", "FRA", "RUS", "GBR", "USA")
COUNTRIES = tuple(sorted(set(G20) | set(NATO) | set(EU) | set(P5)))
ROLES = ("HOS", "HOG", "FM", "DM")
ROLE_NAMES = {"HOS": "head of state", "HOG": "head of government", "FM": "foreign minister",
              "DM": "defence minister"}

NOT_APPLICABLE = {
    ("ISL", "DM"): "Iceland has no armed forces and no defence minister",
    ("MLT", "DM"): "Malta has no defence minister; its armed forces answer to the home affairs "
                   "minister",
}
"""Country and office pairs outside the measure, with the reason."""

NOT_BEFORE: dict[tuple[str, str], tuple[date, str]] = {
    ("MNE", "FM"): (date(2006, 6, 3), "Montenegro's foreign policy was the federal state's "
                    "until independence on 2006-06-03 (gov.me)"),
    ("MNE", "DM"): (date(2006, 6, 3), "Montenegro had no defence ministry of its own before "
                    "independence on 2006-06-03; defence was federal (gov.me)"),
}
"""Country and office pairs measured only from a date (the days before are not applicable),
with the reason."""

ORG_OFFICES: dict[str, tuple[str, date]] = {
    "UN": ("UN Secretary-General", FIRST),
    "NATO": ("NATO Secretary General", FIRST),
    "EC": ("President of the European Commission", FIRST),
    "EUCO": ("President of the European Council (office from 2009-12-01)", date(2009, 12, 1)),
    "EU": ("EU High Representative", FIRST),
    "AU": ("AU Commission chairperson (Commission from 2002-07-09)", date(2002, 7, 9)),
    "IAEA": ("IAEA Director General", FIRST),
    "WHO": ("WHO Director-General", FIRST),
}
"""Organisation key -> (office, first day measured)."""


@dataclass(frozen=True)
class Cover:
    """Covered days of one country (or organisation) and office."""

    days: int
    total: int
    days_h: int
    total_h: int
    """Covered days and all days up to :data:`HORIZON`."""
    years: str
    """One character per year: '#' every day covered, '+' some days, '.' none."""
    gaps: tuple[tuple[date, date], ...]
    """Uncovered stretches [first, last]."""


def _sure(t: Term) -> tuple[date, date]:
    lo = t.sure_from or t.start or date.min
    hi = t.sure_until or t.end or date.max
    return lo, hi


def _cover(terms: Iterable[Term], first: date) -> Cover:
    spans = sorted(_sure(t) for t in terms)
    merged: list[list[date]] = []
    for lo, hi in spans:
        lo, hi = max(lo, first), min(hi, LAST + timedelta(days=1))
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    days = sum((hi - lo).days for lo, hi in merged)
    h_end = HORIZON + timedelta(days=1)
    days_h = sum(max(0, (min(hi, h_end) - lo).days) for lo, hi in merged)
    gaps: list[tuple[date, date]] = []
    cur = first
    for lo, hi in merged:
        if lo > cur:
            gaps.append((cur, lo - timedelta(days=1)))
        cur = max(cur, hi)
    if cur <= LAST:
        gaps.append((cur, LAST))
    years = ""
    for y in range(FIRST.year, LAST.year + 1):
        y0, y1 = max(date(y, 1, 1), first), min(date(y, 12, 31), LAST)
        if y1 < y0:
            years += " "
            continue
        inside = sum(max(0, (min(hi - timedelta(days=1), y1) - max(lo, y0)).days + 1)
                     for lo, hi in merged)
        years += "#" if inside == (y1 - y0).days + 1 else "+" if inside else "."
    return Cover(days, (LAST - first).days + 1, days_h, (HORIZON - first).days + 1, years,
                 tuple(gaps))


def measure(kb: ActorKB) -> tuple[dict[tuple[str, str], Cover], dict[str, Cover]]:
    by_role: dict[tuple[str, str], list[Term]] = {}
    by_org: dict[str, list[Term]] = {}
    for p in kb.people.values():
        for t in p.terms:
            if t.role == "IOH" and t.org:
                by_org.setdefault(t.org, []).append(t)
            for r in (("HOS", "HOG") if t.role == "HSG" else (t.role,)):
                by_role.setdefault((t.code, r), []).append(t)
    countries = {(c, r): _cover(by_role.get((c, r), ()), NOT_BEFORE.get((c, r), (FIRST,))[0])
                 for c in COUNTRIES for r in ROLES if (c, r) not in NOT_APPLICABLE}
    orgs = {o: _cover(by_org.get(o, ()), first) for o, (_, first) in ORG_OFFICES.items()}
    return countries, orgs


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def summary(countries: dict[tuple[str, str], Cover], orgs: dict[str, Cover]) -> str:
    n_years = LAST.year - FIRST.year + 1
    lines = [
        f"Measured by `python scripts/people_coverage.py` over {len(COUNTRIES)} countries "
        f"(G20, NATO, EU, P5) x 4 offices x {n_years} years ({FIRST} to {LAST}); a day "
        "counts when someone is certainly in that office (partial dates leave their "
        "uncertain month or year uncovered; most terms still open are only checked to "
        f"{HORIZON}, so later days count as uncovered). Not applicable: "
        + "; ".join(f"{c} {r} ({why})" for (c, r), why in NOT_APPLICABLE.items())
        + "; "
        + "; ".join(f"{c} {r} before {d} ({why})" for (c, r), (d, why) in NOT_BEFORE.items())
        + ". Year by year matrix and every gap: [docs/people-coverage.md]"
        "(docs/people-coverage.md).",
        "",
        f"| office | country-days covered | to {HORIZON} | country-years fully / partly / not "
        "covered | countries complete |",
        "|---|---|---|---|---|",
    ]
    for r in ROLES:
        cs = [countries[(c, r)] for c in COUNTRIES if (c, r) in countries]
        full = sum(c.years.count("#") for c in cs)
        part = sum(c.years.count("+") for c in cs)
        none = sum(c.years.count(".") for c in cs)
        done = sum(1 for c in cs if not c.gaps)
        share = _pct(sum(c.days for c in cs), sum(c.total for c in cs))
        share_h = _pct(sum(c.days_h for c in cs), sum(c.total_h for c in cs))
        lines.append(f"| {ROLE_NAMES[r]} | {share} | {share_h} | {full} / {part} / {none} | "
                     f"{done} of {len(cs)} |")
    od = sum(c.days for c in orgs.values())
    ot = sum(c.total for c in orgs.values())
    complete = sum(1 for c in orgs.values() if not c.gaps)
    oh = _pct(sum(c.days_h for c in orgs.values()), sum(c.total_h for c in orgs.values()))
    lines.append(f"| heads of {len(orgs)} organisations | {_pct(od, ot)} | {oh} | "
                 f"{sum(c.years.count('#') for c in orgs.values())} / "
                 f"{sum(c.years.count('+') for c in orgs.values())} / "
                 f"{sum(c.years.count('.') for c in orgs.values())} | "
                 f"{complete} of {len(orgs)} |")
    return "\n".join(lines) + "\n"


def _gaps(c: Cover) -> str:
    if not c.gaps:
        return "none"
    parts = []
    for a, b in c.gaps:
        parts.append(str(a) if a == b else f"{a}..{b}")
    return ", ".join(parts)


def document(countries: dict[tuple[str, str], Cover], orgs: dict[str, Cover]) -> str:
    yrs = "".join(str(y % 10) for y in range(FIRST.year, LAST.year + 1))
    out = [
        "# Office-holder coverage",
        "",
        "Generated by `python scripts/people_coverage.py --write` from the packaged people",
        "knowledge (`src/detente/data/actors/people*.yaml`); do not edit by hand.",
        "",
        summary(countries, orgs),
        "## Year by year",
        "",
        f"One character per year from {FIRST.year} to {LAST.year} (`{yrs}`): `#` a holder "
        "is certain on every day, `+` on some days, `.` on none, blank not applicable. HOS "
        "head of state, HOG head of government (a head of state and government counts for "
        "both), FM foreign minister, DM defence minister.",
        "",
        "| country | HOS | HOG | FM | DM |",
        "|---|---|---|---|---|",
    ]
    for c in COUNTRIES:
        cells = [f"`{countries[(c, r)].years}`" if (c, r) in countries else "n/a"
                 for r in ROLES]
        out.append(f"| {c} | " + " | ".join(cells) + " |")
    out += ["", "| organisation | office | years |", "|---|---|---|"]
    for o, (office, _) in ORG_OFFICES.items():
        out.append(f"| {o} | {office} | `{orgs[o].years}` |")
    out += ["", "## Gaps (days with no certain holder)", ""]
    for c in COUNTRIES:
        for r in ROLES:
            cov = countries.get((c, r))
            if cov and cov.gaps:
                out.append(f"- {c} {r} ({_pct(cov.days, cov.total)} covered): {_gaps(cov)}")
    for o in ORG_OFFICES:
        if orgs[o].gaps:
            out.append(f"- {o} ({_pct(orgs[o].days, orgs[o].total)} covered): {_gaps(orgs[o])}")
    return "\n".join(out) + "\n"


def _readme_with(text: str, block: str) -> str:
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md lacks the {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{block}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="update the doc and README")
    ap.add_argument("--check", action="store_true", help="exit 1 when they are out of date")
    args = ap.parse_args(argv)
    kb = load_actor_kb([DATA_DIR])[0]
    countries, orgs = measure(kb)
    doc = document(countries, orgs)
    block = summary(countries, orgs)
    readme = README.read_text(encoding="utf-8")
    new_readme = _readme_with(readme, block)
    if args.check:
        stale = [p.name for p, new in ((DOC, doc), (README, new_readme))
                 if not p.exists() or p.read_text(encoding="utf-8") != new]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python scripts/people_coverage.py "
                  "--write", file=sys.stderr)
            return 1
        return 0
    if args.write:
        DOC.write_text(doc, encoding="utf-8")
        README.write_text(new_readme, encoding="utf-8")
    print(block, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
