"""Event dates from temporal expressions, relative to the publication date.

:func:`resolve_expression` turns one expression ("on Friday", "earlier this week", "in
2017", "March 3, 2020", "two days ago") into a date and a precision;
:func:`resolve_event_date` picks the expression attached to an event trigger in the
dependency tree and falls back to the publication date (basis ``publication``).

Conventions: week precision dates are the Monday of the week, month precision the 1st,
year precision 1 January, decade precision 1 January of the decade's first year. A bare
weekday or month is the most recent one on or before publication, or the next one after
it when the event is future ("will meet on Friday", "next week").
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import NamedTuple

from .records import DatePrecision, Sentence, Token

HISTORICAL_DAYS = 60
"""An event is historical when its resolved period ended this many days or more before
publication ("in 2017" in a 2021 report)."""

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    _MONTHS[calendar.month_name[_i].lower()] = _i
    _MONTHS[calendar.month_abbr[_i].lower()] = _i
_MONTHS["sept"] = 9
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "several": 3, "few": 3, "a few": 3, "couple": 2, "a couple of": 2}
_LEAD = re.compile(r"^(?:on|in|at|during|since|from|by|as of|over|for|until|of)\s+")
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_PARTS = r"(?:\s+(?:morning|afternoon|evening|night))?"
_CLOCK = re.compile(r"^(?:(?:at|approximately|about|around|some)\s+)*"
                    r"(?:[01]\d|2[0-3])[0-5]\d(?:\s+(?:hours|hrs|gmt|local time))?"
                    r"\s+(?=(?:this|last|yesterday|today|tonight|on)\b)")
_PART_OF = re.compile(r"^(?:(?:early|late)\s+)?(?:(?:in|on|at|during)\s+)?(?:the\s+)?"
                      r"(?:morning|afternoon|evening|night|early hours|dawn)\s+of\s+")
_TIME_NOUNS = frozenset({"morning", "afternoon", "evening", "night", "dawn", "daybreak",
                         "midnight", "noon", "hours", "hour"})
"""Nouns of a time of day: a date attached to one ("the morning of 16 November", "at
2200 last night") dates what that phrase modifies."""


class Resolved(NamedTuple):
    """A resolved event date."""

    date: date
    precision: DatePrecision
    basis: str
    """``text`` or ``publication``."""
    text: str
    historical: bool = False


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _period_end(d: date, precision: str) -> date:
    if precision == "week":
        return d + timedelta(days=6)
    if precision == "month":
        return _add_months(d, 1) - timedelta(days=1)
    if precision == "year":
        return date(d.year, 12, 31)
    if precision == "decade":
        return date(d.year + 9, 12, 31)
    return d


def is_historical(d: date, precision: str, published: date) -> bool:
    """Whether a period ended :data:`HISTORICAL_DAYS` or more before publication."""
    try:
        return (published - _period_end(d, precision)).days >= HISTORICAL_DAYS
    except (OverflowError, ValueError):  # a period ending past 9999-12-31
        return False


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def resolve_expression(text: str, published: date, *, future: bool = False
                       ) -> tuple[date, DatePrecision] | None:
    """Resolve one temporal expression relative to ``published``; None when unknown, or
    when the date would leave the calendar (``yesterday`` published on 0001-01-01)."""
    try:
        return _resolve_expression(text, published, future=future)
    except (OverflowError, ValueError):
        return None


def _resolve_expression(text: str, published: date, *, future: bool
                        ) -> tuple[date, DatePrecision] | None:
    t = " ".join(text.lower().replace(",", " ").replace(".", " ").split())
    t = t.replace("’", "'")
    t = _LEAD.sub("", t)
    t = re.sub(r"^the\s+", "", t)
    # a clock time or a part of the day before the day itself: "0945 this morning",
    # "approximately 2200 last night", "early in the morning of 16 November"
    t = _LEAD.sub("", _PART_OF.sub("", _CLOCK.sub("", t)))
    if not t:
        return None
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return (d, "day") if d else None
    if re.fullmatch(r"(?:early |earlier |late |later )?(?:today|this (?:morning|afternoon|evening)|"
                    r"tonight|(?:earlier |later )?today)", t):
        return published, "day"
    if re.fullmatch(r"(?:late |early )?yesterday" + _DAY_PARTS, t) or t == "last night":
        return published - timedelta(days=1), "day"
    if re.fullmatch(r"tomorrow" + _DAY_PARTS, t):
        return published + timedelta(days=1), "day"
    if m := re.fullmatch(r"(?:(last|this|next|earlier|late|early|on|past)\s+)?("
                         + "|".join(_WEEKDAYS) + r")" + _DAY_PARTS, t):
        wd = _WEEKDAYS[m[2]]
        if m[1] == "next" or (future and m[1] != "last"):
            delta = (wd - published.weekday()) % 7 or 7
            return published + timedelta(days=delta), "day"
        delta = (published.weekday() - wd) % 7
        if m[1] == "last" and delta == 0:
            delta = 7
        return published - timedelta(days=delta), "day"
    if m := re.fullmatch(r"(?:(earlier|later|early|late)\s+)?(this|last|next|past|previous"
                         r"|coming)\s+(week|weekend|month|year)", t):
        rel, unit = m[2], m[3]
        step = {"this": 0, "coming": 1, "next": 1, "last": -1, "past": -1, "previous": -1}[rel]
        if unit in ("week", "weekend"):
            base = _monday(published) + timedelta(weeks=step)
            return base, "week"
        if unit == "month":
            return _add_months(date(published.year, published.month, 1), step), "month"
        return date(published.year + step, 1, 1), "year"
    if m := re.fullmatch(r"(?:over\s+)?(?:the\s+)?weekend", t):
        sat = published - timedelta(days=(published.weekday() - 5) % 7)
        return _monday(sat), "week"
    if m := re.fullmatch(r"(\d+|[a-z]+(?: [a-z]+)?(?: of)?)\s+(day|week|month|year)s?\s+ago", t):
        n = int(m[1]) if m[1].isdigit() else _NUMBERS.get(m[1])
        if n is None:
            return None
        unit = m[2]
        if unit == "day":
            return published - timedelta(days=n), "day"
        if unit == "week":
            return _monday(published - timedelta(weeks=n)), "week"
        if unit == "month":
            return _add_months(date(published.year, published.month, 1), -n), "month"
        return date(published.year - n, 1, 1), "year"
    if m := re.fullmatch(r"(?:the\s+)?(1[89]\d0|20\d0)s", t):
        return date(int(m[1]), 1, 1), "decade"
    if m := re.fullmatch(r"(?:the year\s+)?(1[89]\d\d|20\d\d)", t):
        return date(int(m[1]), 1, 1), "year"
    if m := re.fullmatch(rf"({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(\d{{4}}))?", t) or \
            re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})(?:\s+(\d{{4}}))?",
                         t):
        if m[1].isdigit():
            day, month = int(m[1]), _MONTHS[m[2]]
        else:
            month, day = _MONTHS[m[1]], int(m[2])
        if m[3]:
            d = _safe_date(int(m[3]), month, day)
            return (d, "day") if d else None
        d = _safe_date(published.year, month, day)
        if d is None:
            return None
        if future and d < published:
            d = _safe_date(published.year + 1, month, day) or d
        elif not future and d > published:
            d = _safe_date(published.year - 1, month, day) or d
        return d, "day"
    if m := re.fullmatch(rf"(?:(last|this|next|early|late|mid|earlier|later)(?:\s+|-))?"
                         rf"({_MONTH_RE})(?:\s+(\d{{4}}))?", t):
        month = _MONTHS[m[2]]
        if m[3]:
            return date(int(m[3]), month, 1), "month"
        d = date(published.year, month, 1)
        if m[1] == "next" or (future and m[1] != "last"):
            if d <= published.replace(day=1):
                d = date(published.year + 1, month, 1)
        elif d > published or (m[1] == "last" and d == published.replace(day=1)):
            d = date(published.year - 1, month, 1)
        return d, "month"
    return None


# -- choosing the expression of a trigger ------------------------------------------

_CLIMB_VERB = frozenset({"xcomp", "conj", "pcomp"})
_CLIMB_NOUN = frozenset({"dobj", "nsubj", "nsubjpass", "attr", "pobj", "conj", "appos",
                         "compound", "oprd"})
_BARE = frozenset({"yesterday", "today", "tomorrow", "tonight"})


def _day_number(tok: Token) -> bool:
    return re.fullmatch(r"\d{1,2}", tok.text) is not None


def _month(tok: Token) -> bool:
    """A month's name used as a noun (not the verb "may", "march")."""
    return tok.text.lower().rstrip(".") in _MONTHS and tok.pos in ("PROPN", "NOUN")


def _with_day(toks: tuple[Token, ...], start: int, end: int) -> tuple[int, int]:
    """A month that the entity recogniser took without its day ("16 [September]",
    "[March] 3"), with the day."""
    if end - start == 1 and _month(toks[start]):
        if start > 0 and _day_number(toks[start - 1]):
            return start - 1, end
        if end < len(toks) and _day_number(toks[end]):
            return start, end + 1
    return start, end


def _expressions(sentence: Sentence) -> list[tuple[int, int]]:
    """Token ranges of candidate temporal expressions (DATE/TIME entities, bare words,
    and a day of a month that the entity recogniser missed: "16 November", "March 3")."""
    toks = sentence.tokens
    spans = [_with_day(toks, e.start, e.end) for e in sentence.entities
             if e.label in ("DATE", "TIME")]
    covered = {i for s, e in spans for i in range(s, e)}
    for t in toks:
        if t.i in covered:
            continue
        if t.text.lower() in _BARE:
            spans.append((t.i, t.i + 1))
            continue
        nxt = toks[t.i + 1] if t.i + 1 < len(toks) else None
        if nxt is None or nxt.i in covered:
            continue
        if (_day_number(t) and _month(nxt)) or (_month(t) and _day_number(nxt)):
            spans.append((t.i, t.i + 2))
            covered |= {t.i, t.i + 1}
    return spans


def _attachment(tokens: tuple[Token, ...], start: int, end: int) -> tuple[int, int]:
    """(token the expression modifies, index of a leading preposition or -1)."""
    root = start
    for i in range(start, end):
        h = tokens[i].head
        if h < start or h >= end or h == i:
            root = i
            break
    head = tokens[root].head
    prep = -1
    if head != root and tokens[head].dep in ("prep", "agent") or (
            head != root and tokens[head].pos == "ADP"):
        prep = head
        head = tokens[head].head
    # "early in the morning of 16 November", "at 0945 this morning": the time of day
    # and the day date what the phrase modifies
    for _ in range(3):
        tok = tokens[head]
        up = tok.head
        if up == head or not (tok.lemma.lower() in _TIME_NOUNS or tok.pos == "NUM"):
            break
        if tok.dep not in ("pobj", "npadvmod", "nummod", "appos"):
            break
        if tokens[up].pos == "ADP" and tokens[up].head != up:
            up = tokens[up].head
        head = up
    return head, prep


def expression_text(sentence: Sentence, start: int, end: int, prep: int) -> str:
    toks = sentence.tokens
    first = prep if prep != -1 and prep == start - 1 else start
    a, b = toks[first].start, toks[end - 1].end
    off = sentence.start
    return sentence.text[a - off:b - off]


def resolve_event_date(sentence: Sentence, trigger: int, published: date, *,
                       future: bool = False, speech: frozenset[str] = frozenset()
                       ) -> Resolved:
    """The date of the event triggered by token ``trigger`` of ``sentence``.

    Looks for a temporal expression attached to the trigger, climbing from it through
    xcomp/conj chains (and, for event nouns, to the verb they are an argument of; for
    reported speech, to the speech verb named in ``speech``). Without one, the
    publication date with basis ``publication``.
    """
    toks = sentence.tokens
    exprs = _expressions(sentence)
    if exprs:
        attached: dict[int, list[tuple[int, int, int]]] = {}
        for s, e in exprs:
            if s <= trigger < e:
                continue
            head, prep = _attachment(toks, s, e)
            attached.setdefault(head, []).append((s, e, prep))
        cur = trigger
        came_from = ""
        for _ in range(6):
            for s, e, prep in attached.get(cur, ()):
                text = expression_text(sentence, s, e, prep)
                res = resolve_expression(text, published, future=future)
                if res is not None:
                    d, precision = res
                    return Resolved(d, precision, "text", text,
                                    is_historical(d, precision, published))
            tok = toks[cur]
            if tok.head == cur:
                break
            dep = tok.dep
            if tok.pos in ("NOUN", "PROPN"):
                ok = dep in _CLIMB_NOUN
            elif tok.pos == "ADP":
                # a noun's prepositional phrase: climb to a noun ("the purchase of X in
                # 2017"), never into the clause around it ("following X's purchase, ...")
                ok = dep == "prep" and (toks[tok.head].pos in ("NOUN", "PROPN")
                                        or came_from == "pcomp")
            else:
                ok = dep in _CLIMB_VERB or (
                    dep == "ccomp" and toks[tok.head].lemma.lower() in speech)
            if not ok:
                break
            came_from = dep
            cur = tok.head
    return Resolved(published, "day", "publication", "", False)
