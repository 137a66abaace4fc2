"""PETRARCH/TABARI dictionaries as detente knowledge: import, schema, loading.

``detente kb import-petrarch DICT... -o DIR`` reads dictionaries in the PETRARCH formats
(actors, agents, verbs, discards; the formats are described in the PETRARCH
documentation, ``docs/source/dictionaries.rst`` of openeventdata/petrarch2, and in the
TABARI manual) and writes them as ordinary detente knowledge files, one per input, with a
``kind``, a ``version`` and a ``source`` note per entry naming the input file and line:

``coded-actors``
    Named actors with CAMEO-style codes of any form (``ARN``, ``IGOCOPITP``): ``name``,
    ``phrases`` (every spelling; words are consecutive), ``codes`` (the default codes; a
    ``FRO/BIL/SAM`` actor stands for three) and ``periods`` (``{codes, start, end}``,
    inclusive dates: the code an actor has at a date, as in ``[HOBGOV 19950601-19990815]``).
``coded-agents``
    Role words: ``phrases`` (plurals and ``!SUBST!`` expansions written out), ``code``
    and ``position``: ``suffix`` (``~GOV``, added after the actor code) or ``prefix``
    (``NGO~``, added before it).
``verb-patterns``
    Synsets (``synset`` and its ``phrases``) and verb blocks: ``code`` (the block's
    default), ``verbs`` (``{verb, forms, before, after, code}``: the surface forms that
    trigger, with words required right before or after, as in ``WIRE_+TAP`` or
    ``BREAK_DOWN``) and ``patterns`` (``{pattern, code}`` in PETRARCH's pattern syntax:
    ``*`` the verb, ``$`` source, ``+`` target, ``%`` compound actor, ``^`` skip a noun
    phrase, ``&SYNSET``, ``_`` joins words that must be consecutive). Codes are kept as
    written, ``[032:033]`` pairs included; ``---`` means no event.
``discards``
    ``phrase`` and ``scope``: ``sentence`` (do not code the sentence) or ``story`` (the
    whole article).

:func:`load_coded` indexes these kinds for the dictionary coder
(:mod:`detente.dictcoder`, coder ``petrarch-1``), and :func:`with_imported` adds the
imported actors and agents to the actor knowledge, so that the actors stage of every coder
reads them (mapped to country + sector, dated; detente's own knowledge wins on names it
already reads). Nothing here is PETRARCH's code; the formats are public.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from .actorkb import MAX_PHRASE_TOKENS, NONSTATE_CODES, ActorEntry, ActorKB, Hit, fold, norm
from .errors import DictionaryError, KnowledgeError
from .knowledge import DataFile, FieldSpec, find_files, read_data_file

IMPORT_VERSION = "1"
"""Version written into imported files (bumped when the importer's output changes)."""

_LIST = FieldSpec(list, item=str)
_DICTS = FieldSpec(list, item=dict)

SCHEMAS: dict[str, dict[str, FieldSpec]] = {
    "coded-actors": {"name": FieldSpec(str, required=True), "phrases": _LIST,
                     "codes": _LIST, "periods": _DICTS},
    "coded-agents": {"phrases": _LIST, "code": FieldSpec(str, required=True),
                     "position": FieldSpec(str, choices=frozenset({"prefix", "suffix"}))},
    "verb-patterns": {"synset": FieldSpec(str), "phrases": _LIST, "code": FieldSpec(str),
                      "verbs": _DICTS, "patterns": _DICTS},
    "discards": {"phrase": FieldSpec(str, required=True),
                 "scope": FieldSpec(str, choices=frozenset({"sentence", "story"}))},
}
"""Schemas of the imported kinds (``key`` and ``source`` are always required)."""

KINDS = tuple(SCHEMAS)


# -- reading the PETRARCH formats ------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) with XML-style and ``#``/``;`` comments and blank lines removed.

    Leading tabs are kept (they mark date restrictions in actor files)."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DictionaryError(f"{path}: cannot read: {exc}", file=str(path)) from exc
    in_comment = False
    for n, line in enumerate(raw.splitlines(), start=1):
        out = ""
        rest = line
        while rest:
            if in_comment:
                end = rest.find("-->")
                if end < 0:
                    rest = ""
                    break
                rest = rest[end + 3:]
                in_comment = False
                continue
            start = rest.find("<!")
            if start < 0:
                out += rest
                break
            out += rest[:start]
            rest = rest[start + 2:]
            in_comment = True
        for mark in ("#", ";"):
            cut = out.find(mark)
            if cut >= 0:
                out = out[:cut]
        if out.strip():
            yield n, out.rstrip()


def _words(phrase: str) -> str:
    """A PETRARCH phrase string as space-separated words (``_`` and blanks are both word
    separators; a trailing ``_`` is dropped)."""
    return " ".join(w for w in re.split(r"[_\s]+", phrase.strip()) if w)


_CODE_RE = re.compile(r"\[([^\]]*)\]")


def _ymd(text: str, where: str) -> str:
    t = text.strip()
    try:
        if len(t) == 6:  # YYMMDD: TABARI's two-digit years (>= 30 means 19xx)
            yy = int(t[:2])
            d = date(1900 + yy if yy >= 30 else 2000 + yy, int(t[2:4]), int(t[4:]))
        elif len(t) == 8:
            d = date(int(t[:4]), int(t[4:6]), int(t[6:]))
        else:
            raise ValueError(t)
    except ValueError:
        raise DictionaryError(f"{where}: bad date {text!r} (YYYYMMDD or YYMMDD)") from None
    return d.isoformat()


def _restriction(body: str, where: str) -> dict[str, Any]:
    """``HOBGOV 19950601 - 19990815``, ``HOB < 950601``, ``HOBREB > 990816``, ``DOL``."""
    body = body.strip()
    m = re.fullmatch(r"(\S+)\s*(?:([<>])\s*(\d{6,8})|(\d{6,8})\s*-\s*(\d{6,8}))?", body)
    if m is None:
        raise DictionaryError(f"{where}: cannot read code restriction [{body}]")
    code, op, one, d1, d2 = m.groups()
    out: dict[str, Any] = {"codes": [c for c in code.split("/") if c]}
    if op == "<":
        out["end"] = _ymd(one, where)
    elif op == ">":
        out["start"] = _ymd(one, where)
    elif d1:
        out["start"], out["end"] = _ymd(d1, where), _ymd(d2, where)
    return out


def _slug(text: str, seen: dict[str, int]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "entry"
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n + 1}"


def read_actors(path: Path) -> list[dict[str, Any]]:
    """Entries of kind ``coded-actors`` from a PETRARCH actor dictionary."""
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    cur: dict[str, Any] | None = None
    for n, line in _lines(path):
        where = f"{path.name} line {n}"
        text = line.strip()
        if line[:1].isspace() and text.startswith("["):
            if cur is None:
                continue
            for body in _CODE_RE.findall(text):
                r = _restriction(body, where)
                if "start" in r or "end" in r:
                    cur["periods"].append(r)
                else:
                    cur["codes"] = r["codes"]
            continue
        if text.startswith("+"):
            if cur is not None:
                phrase = _words(_CODE_RE.sub("", text[1:]))
                if phrase:
                    cur["phrases"].append(phrase)
            continue
        codes = _CODE_RE.findall(text)
        phrase = _words(_CODE_RE.sub("", text))
        if not phrase:
            continue
        cur = {"key": _slug(phrase, seen), "source": f"imported from {path.name} line {n}",
               "name": phrase, "phrases": [phrase], "codes": [], "periods": []}
        for body in codes:
            r = _restriction(body, where)
            if "start" in r or "end" in r:
                cur["periods"].append(r)
            else:
                cur["codes"] = r["codes"]
        entries.append(cur)
    return entries


def _plural(phrase: str) -> str:
    """The regular plural of a phrase's last word (PETRARCH's rule)."""
    words = phrase.split(" ")
    w = words[-1]
    if w.endswith("S") and not w.endswith("SS"):
        return phrase  # already plural (or a word that takes none)
    if w.endswith("Y") and len(w) > 1 and w[-2] not in "AEIOU":
        w = w[:-1] + "IES"
    elif w.endswith("SS"):
        w += "ES"
    else:
        w += "S"
    return " ".join([*words[:-1], w])


def read_agents(path: Path) -> list[dict[str, Any]]:
    """Entries of kind ``coded-agents`` from a PETRARCH agent dictionary."""
    subst: dict[str, list[str]] = {}
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, line in _lines(path):
        text = line.strip()
        m = re.fullmatch(r"(![A-Z]+!)\s*=\s*(.+)", text)
        if m:
            subst[m.group(1)] = [w.strip() for w in m.group(2).split(",") if w.strip()]
            continue
        codes = _CODE_RE.findall(text)
        if not codes:
            continue
        code = codes[0].strip()
        head = _CODE_RE.sub("", text)
        plurals: list[str] | None = None
        pm = re.search(r"\{([^}]*)\}", head)
        if pm:
            plurals = [_words(p) for p in pm.group(1).split() if p.strip()]
            head = head[:pm.start()] + head[pm.end():]
        phrase = head.strip()
        if not phrase or "~" not in code:
            continue
        position = "prefix" if code.endswith("~") else "suffix"
        code = code.strip("~ ")
        forms = [phrase]
        for mark, subs in subst.items():
            if mark in phrase:
                forms = [f.replace(mark, s) for f in forms for s in subs]
        substituted = "!" in phrase  # substituted forms get no plural of their own
        phrases: list[str] = []
        for f in forms:
            p = _words(f)
            phrases.append(p)
            if plurals is None and not substituted:
                phrases.append(_plural(p))
        if plurals:
            phrases.extend(plurals)
        entries.append({"key": _slug(_words(forms[0]), seen),
                        "source": f"imported from {path.name} line {n}",
                        "phrases": list(dict.fromkeys(phrases)), "code": code,
                        "position": position})
    return entries


_VERB_HEAD = re.compile(r"^---\s*(.*?)\s*---\s*$")


def _forms(base: str) -> list[str]:
    """Regular surface forms of a verb: base, 3rd person, past, -ing."""
    b = base
    third = (b + "ES" if b.endswith(("S", "X", "Z", "CH", "SH", "O")) else
             b[:-1] + "IES" if b.endswith("Y") and len(b) > 1 and b[-2] not in "AEIOU" else
             b + "S")
    past = (b + "D" if b.endswith("E") else
            b[:-1] + "IED" if b.endswith("Y") and len(b) > 1 and b[-2] not in "AEIOU" else
            b + "ED")
    ing = (b[:-2] + "YING" if b.endswith("IE") else
           b[:-1] + "ING" if b.endswith("E") and not b.endswith("EE") and len(b) > 2 else
           b + "ING")
    return [b, third, past, ing]


def _verb(text: str, code: str | None) -> dict[str, Any] | None:
    """One verb line (``BREAK {BROKE BROKEN}``, ``+BREAK_DOWN {...}``, ``WIRE_+TAP``)."""
    irregular: list[str] = []
    m = re.search(r"\{([^}]*)\}", text)
    if m:
        irregular = m.group(1).split()
        text = text[:m.start()] + text[m.end():]
    phrase = text.strip().lstrip("+").strip()
    if not phrase:
        return None
    parts = [p for p in re.split(r"[_\s]+", phrase) if p]
    head = next((i for i, p in enumerate(parts) if p.startswith("+")), 0)
    words = [p.lstrip("+") for p in parts]
    if not words or not all(re.fullmatch(r"[A-Z'.-]+", w) for w in words):
        return None
    before, verb, after = words[:head], words[head], words[head + 1:]
    forms = _forms(verb)
    for f in irregular:
        fparts = [p for p in re.split(r"[_\s]+", f.lstrip("+")) if p]
        fhead = next((i for i, p in enumerate(fparts) if p.startswith("+")), len(before))
        if fhead < len(fparts):
            forms.append(fparts[fhead].lstrip("+"))
    out: dict[str, Any] = {"verb": verb.lower(),
                           "forms": list(dict.fromkeys(f.lower() for f in forms))}
    if before:
        out["before"] = [w.lower() for w in before]
    if after:
        out["after"] = [w.lower() for w in after]
    if code:
        out["code"] = code
    return out


def read_verbs(path: Path) -> list[dict[str, Any]]:
    """Entries of kind ``verb-patterns`` (synsets and verb blocks) from a PETRARCH verb
    dictionary. Lines the format does not allow (disjunctive sets, junk) are skipped."""
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    block: dict[str, Any] | None = None
    synset: dict[str, Any] | None = None
    for n, line in _lines(path):
        text = line.strip()
        src = f"imported from {path.name} line {n}"
        hm = _VERB_HEAD.match(text)
        if hm:
            codes = _CODE_RE.findall(hm.group(1))
            name = _words(_CODE_RE.sub("", hm.group(1))) or "block"
            block = {"key": _slug("verb-" + name, seen), "source": src,
                     "code": codes[0].strip() if codes else "---", "verbs": [],
                     "patterns": []}
            entries.append(block)
            synset = None
            continue
        if text.startswith("&") and not text.startswith("&&"):
            label = text.split()[0]
            synset = {"key": _slug("synset-" + label.strip("&_"), seen), "source": src,
                      "synset": label.rstrip("_").upper(), "phrases": [],
                      "plurals": not label.endswith("_")}
            entries.append(synset)
            continue
        if text.startswith("+") and synset is not None:
            phrase = text[1:].strip()
            if phrase.startswith("&"):
                synset["phrases"].append(phrase.rstrip("_").upper())
                continue
            words = _words(phrase)
            if not words:
                continue
            synset["phrases"].append(words)
            if synset["plurals"] and not phrase.endswith("_"):
                synset["phrases"].append(_plural(words))
            continue
        if text.startswith("-") and block is not None:
            synset = None
            codes = _CODE_RE.findall(text)
            if not codes:
                continue
            pat = _CODE_RE.sub("", text)[1:].strip()
            if "{" in pat or "|" in pat or "*" not in pat:
                continue  # disjunctive sets are not supported (as in PETRARCH)
            block["patterns"].append({"pattern": " ".join(pat.split()),
                                      "code": codes[0].strip()})
            continue
        if block is not None:
            synset = None
            codes = _CODE_RE.findall(text)
            v = _verb(_CODE_RE.sub("", text), codes[0].strip() if codes else None)
            if v is not None:
                block["verbs"].append(v)
    for e in entries:
        if "synset" in e:
            e.pop("plurals", None)
            e["phrases"] = list(dict.fromkeys(e["phrases"]))
    return [e for e in entries if e.get("verbs") or e.get("synset")]


def read_discards(path: Path) -> list[dict[str, Any]]:
    """Entries of kind ``discards`` from a PETRARCH discard list."""
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, line in _lines(path):
        text = line.strip()
        story = text.startswith("+")
        phrase = _words(text.lstrip("+"))
        if phrase:
            entries.append({"key": _slug(phrase, seen),
                            "source": f"imported from {path.name} line {n}",
                            "phrase": phrase, "scope": "story" if story else "sentence"})
    return entries


READERS = {"actors": ("coded-actors", read_actors), "agents": ("coded-agents", read_agents),
           "verbs": ("verb-patterns", read_verbs), "discards": ("discards", read_discards)}
"""Dictionary type (from the file name: ``*.actors.txt``...) -> (kind, reader)."""


def dictionary_type(path: Path) -> str:
    """``actors``, ``agents``, ``verbs`` or ``discards``, from the file name."""
    low = path.name.lower()
    for t in READERS:
        if t in low:
            return t
    raise DictionaryError(f"{path}: cannot tell which PETRARCH dictionary this is",
                          file=str(path),
                          hint="name it like the PETRARCH files: *.actors.txt, *.agents.txt, "
                          "*.verbs.txt or *.discards.txt")


@dataclass
class ImportSummary:
    """What ``detente kb import-petrarch`` wrote."""

    files: list[dict[str, Any]] = field(default_factory=list)
    """One ``{input, output, kind, entries}`` per dictionary."""


def import_petrarch(sources: Sequence[Path | str], out_dir: Path | str) -> ImportSummary:
    """Convert PETRARCH dictionaries (files, or directories holding them) into detente
    knowledge files in ``out_dir`` (created if needed), one YAML file per input."""
    paths: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            paths.extend(q for q in sorted(p.iterdir()) if q.is_file()
                         and any(t in q.name.lower() for t in READERS))
        elif p.is_file():
            paths.append(p)
        else:
            raise DictionaryError(f"{p}: no such file or directory", file=str(p),
                                  hint="pass PETRARCH dictionary files or a directory of them")
    if not paths:
        raise DictionaryError("no PETRARCH dictionaries found", files=[str(s) for s in sources],
                              hint="pass *.actors.txt, *.agents.txt, *.verbs.txt, *.discards.txt")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ImportSummary()
    for p in paths:
        kind, reader = READERS[dictionary_type(p)]
        entries = reader(p)
        doc = {"kind": kind, "version": f"import-{IMPORT_VERSION}",
               "source": f"imported by detente kb import-petrarch from {p.name} "
                         "(PETRARCH dictionary format)",
               "entries": entries}
        target = out / (re.sub(r"[^A-Za-z0-9]+", "-", p.stem).strip("-").lower() + ".yaml")
        target.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                         width=100), encoding="utf-8")
        read_data_file(target, kind=kind, schema=SCHEMAS[kind])  # what we wrote validates
        summary.files.append({"input": str(p), "output": str(target), "kind": kind,
                              "entries": len(entries)})
    return summary


# -- loading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodedActor:
    """An imported actor: its default codes and dated codes (inclusive dates)."""

    kb_key: str
    name: str
    codes: tuple[str, ...]
    periods: tuple[tuple[tuple[str, ...], date | None, date | None], ...] = ()

    def codes_at(self, when: date) -> tuple[str, ...]:
        for codes, start, end in self.periods:
            if (start is None or start <= when) and (end is None or when <= end):
                return codes
        return self.codes


@dataclass(frozen=True, slots=True)
class Agent:
    kb_key: str
    code: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class VerbForm:
    block: str
    """Key of the verb block."""
    before: tuple[str, ...]
    after: tuple[str, ...]
    code: str


@dataclass(frozen=True, slots=True)
class VerbBlock:
    key: str
    code: str
    patterns: tuple[tuple[str, str], ...]
    """(pattern text, code) in file order."""


@dataclass(frozen=True)
class CodedKB:
    """Imported dictionaries, indexed for the dictionary coder (plain data, picklable)."""

    actors: dict[str, tuple[CodedActor, ...]] = field(default_factory=dict)
    """Upper-cased phrase -> actors."""
    agents: dict[str, tuple[Agent, ...]] = field(default_factory=dict)
    verbs: dict[str, tuple[VerbForm, ...]] = field(default_factory=dict)
    """Lower-cased surface form -> the verb lines it triggers."""
    blocks: dict[str, VerbBlock] = field(default_factory=dict)
    synsets: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    """Synset label (``&TIETYPES``) -> phrases as word tuples (upper case)."""
    discards: tuple[tuple[str, str], ...] = ()
    """(upper-cased phrase, scope)."""
    max_words: int = 1

    def __bool__(self) -> bool:
        return bool(self.blocks or self.actors)


def _opt_date(value: Any, label: str, key: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise KnowledgeError(label, key, f"bad date {value!r} (YYYY-MM-DD)") from None


def load_coded(dirs: Sequence[Path]) -> tuple[CodedKB, list[DataFile]]:
    """Load every file of the imported kinds in ``dirs`` (later entries with the same key
    replace earlier ones)."""
    files: dict[str, list[DataFile]] = {k: [] for k in KINDS}
    for kind in KINDS:
        for path in find_files(dirs, kind):
            files[kind].append(read_data_file(path, kind=kind, schema=SCHEMAS[kind]))
    if not any(files.values()):
        return CodedKB(), []
    actors: dict[str, list[CodedActor]] = {}
    max_words = 1

    def tag(df: DataFile, key: str) -> str:
        return f"{Path(df.path).stem}:{key}"

    for df in files["coded-actors"]:
        for e in df.entries:
            periods = []
            for p in e.get("periods") or []:
                codes = p.get("codes")
                if not isinstance(codes, list) or not codes:
                    raise KnowledgeError(df.path, e["key"], "each period needs 'codes'")
                periods.append((tuple(str(c) for c in codes),
                                _opt_date(p.get("start"), df.path, e["key"]),
                                _opt_date(p.get("end"), df.path, e["key"])))
            a = CodedActor(tag(df, e["key"]), e["name"], tuple(e.get("codes") or ()),
                           tuple(periods))
            for ph in e.get("phrases") or [e["name"]]:
                k = " ".join(ph.upper().split())
                actors.setdefault(k, []).append(a)
                max_words = max(max_words, len(k.split()))
    agents: dict[str, list[Agent]] = {}
    for df in files["coded-agents"]:
        for e in df.entries:
            ag = Agent(tag(df, e["key"]), e["code"], e.get("position") == "prefix")
            for ph in e.get("phrases") or []:
                k = " ".join(ph.upper().split())
                agents.setdefault(k, []).append(ag)
                max_words = max(max_words, len(k.split()))
    verbs: dict[str, list[VerbForm]] = {}
    blocks: dict[str, VerbBlock] = {}
    synsets: dict[str, list[str]] = {}
    for df in files["verb-patterns"]:
        for e in df.entries:
            if e.get("synset"):
                synsets["&" + e["synset"].lstrip("&").upper()] = list(e.get("phrases") or [])
                continue
            key = tag(df, e["key"])
            pats = []
            for p in e.get("patterns") or []:
                if not isinstance(p.get("pattern"), str) or not isinstance(p.get("code"), str):
                    raise KnowledgeError(df.path, e["key"], "each pattern needs 'pattern' and "
                                         "'code' strings")
                pats.append((p["pattern"], p["code"]))
            blocks[key] = VerbBlock(key, str(e.get("code") or "---"), tuple(pats))
            for v in e.get("verbs") or []:
                forms = v.get("forms") or [v.get("verb")]
                if not all(isinstance(f, str) for f in forms):
                    raise KnowledgeError(df.path, e["key"], "verb forms must be strings")
                vf = VerbForm(key, tuple(v.get("before") or ()), tuple(v.get("after") or ()),
                              str(v.get("code") or ""))
                for f in forms:
                    verbs.setdefault(f.lower(), []).append(vf)
    discards = tuple((" ".join(e["phrase"].upper().split()), e.get("scope") or "sentence")
                     for df in files["discards"] for e in df.entries)
    expanded = {k: tuple(tuple(p.split()) for p in _expand(k, synsets, set()))
                for k in synsets}
    kb = CodedKB(actors={k: tuple(v) for k, v in actors.items()},
                 agents={k: tuple(v) for k, v in agents.items()},
                 verbs={k: tuple(v) for k, v in verbs.items()}, blocks=blocks,
                 synsets=expanded, discards=discards, max_words=max_words)
    return kb, [f for fs in files.values() for f in fs]


def _expand(label: str, synsets: dict[str, list[str]], stack: set[str]) -> list[str]:
    """A synset's phrases with embedded synsets (``+&TIETYPES``) expanded."""
    out: list[str] = []
    for p in synsets.get(label, []):
        if p.startswith("&"):
            inner = "&" + p.lstrip("&").upper()
            if inner not in stack:
                out.extend(_expand(inner, synsets, stack | {label}))
        else:
            out.append(" ".join(p.upper().split()))
    return out


# -- imported actors and agents for the actors stage ------------------------------------

_PARTICLES = frozenset({"al", "el", "bin", "ibn", "de", "del", "der", "la", "le", "van", "von",
                        "da", "di", "du", "of", "the", "and"})
_FILLER = frozenset({"the", "a", "an", "of", "and", "'s"})


def _name_forms(phrase: str) -> tuple[str, ...]:
    """Accepted spellings of an imported name (PETRARCH writes names in capitals, so the
    case is unknown): each word capitalised ("Minas Tirith", "Al-Qaeda"), the same with
    particles in lower case ("al-Qaeda", "the Dark Tower"; :func:`~detente.actorkb.case_ok`
    accepts it capitalised at a sentence's start), only the first word capitalised ("Hamas
    military command") and all capitals ("IMF")."""
    words = phrase.lower().split()
    title = " ".join(w.title() for w in words)
    particles = " ".join(w.title() if w.split("-")[0] not in _PARTICLES else
                         ("-".join([w.split("-")[0], *(x.title() for x in w.split("-")[1:])]))
                         for w in words)
    first = " ".join([words[0].title(), *words[1:]])
    return tuple(dict.fromkeys((fold(title), fold(particles), fold(first),
                                fold(phrase.upper()))))


def _known(key: str, phrases: dict[str, tuple[Hit, ...]], max_tokens: int) -> bool:
    """Whether detente's own knowledge already reads the normalised phrase ``key``: as a
    whole, or word by word as names, titles and role words it knows ("Israeli troops",
    "President George W. Bush"), ignoring articles and "of"."""
    words = key.split()
    i, found = 0, False
    while i < len(words):
        for k in range(min(max_tokens, len(words) - i), 0, -1):
            if " ".join(words[i:i + k]) in phrases:
                i += k
                found = True
                break
        else:
            if words[i] not in _FILLER:
                return False
            i += 1
    return found


def _sector_codes(kb: ActorKB) -> dict[str, str]:
    """CAMEO role code -> PLOVER sector, from the ``cameo`` and ``cameo_also`` fields of
    the sectors (CAMEO MED, media, is PLOVER JRN; CAMEO HLH, health, is PLOVER MED)."""
    out: dict[str, str] = {}
    for code, info in kb.sectors.items():
        for c in (info.cameo, *info.cameo_also):
            if c:
                out.setdefault(c.upper(), code)
    return out


RELIGION_CODES = frozenset({"BAH", "BUD", "CHR", "HIN", "JEW", "MOS", "SIK", "REL"})
"""CAMEO's first-level religion codes (Baha'i, Buddhism, Christianity, Hinduism, Judaism,
Islam, Sikhism) and the generic ``REL`` of PETRARCH's dictionaries (``CLERIC [~REL]``): in
a code with no role of another sector they give PLOVER's REL sector (``~CHRCPT`` Coptic
Christians, ``IRNMOS``); their second-level codes (``CPT``, ``SHI``) need no entry."""


def _sector_in(code: str, roles: dict[str, str], first: int) -> str:
    """The PLOVER sector of the three-letter codes of ``code`` from ``first`` on: the first
    that is a sector's CAMEO role, else REL when one is a religion code, else empty."""
    parts = [code[i:i + 3] for i in range(first, len(code) - 2, 3)]
    return next((roles[p] for p in parts if p in roles),
                "REL" if any(p in RELIGION_CODES for p in parts) else "")


def _map_code(code: str, roles: dict[str, str], orgs: dict[str, str]
              ) -> tuple[str, str, str, str] | None:
    """A PETRARCH actor code as ``(code, sector, cameo, kind)``: the first three letters
    are the country (or PLOVER non-state code: IGO, NGO, IMG...), the first later
    three-letter role that is a CAMEO role of a PLOVER sector gives the sector
    (``PSEREBHMS`` -> PSE, REB), else a religion code gives REL (``IRNMOS``, see
    :data:`RELIGION_CODES`); an organisation whose CAMEO code it is gives its code
    (``IGOUNO`` -> UNO). ``---`` is no actor: ``("", "", "", "none")``. None when the code
    cannot be read, or names a religion and no country (``MOSSHI``)."""
    c = code.strip().upper()
    if c == "---":
        return "", "", "", "none"
    if len(c) < 3 or not c.isalpha():
        return None
    head = c[:3]
    if head in RELIGION_CODES:
        return None
    sector = _sector_in(c, roles, 3)
    if head in NONSTATE_CODES:
        return orgs.get(c, head), sector, c, "igo"
    return head, sector, c, "group"


@dataclass
class ImportedActors:
    """What :func:`with_imported` did with the imported dictionaries."""

    names: int = 0
    """Imported actor names added to the actors stage."""
    known: int = 0
    """Names left out because detente's own knowledge already reads them."""
    unmapped: int = 0
    """Names left out because a code of theirs could not be mapped (not letters, as in
    ``[+++]``; a religion and no country, as in ``[MOSSHI]``; several codes in a dated
    period, or several of which one cannot be read)."""
    agents: int = 0
    """Role words added (agents whose code maps to a PLOVER sector)."""
    agents_known: int = 0
    agents_unmapped: int = 0


def with_imported(kb: ActorKB, files: Sequence[DataFile]) -> tuple[ActorKB, ImportedActors]:
    """``kb`` plus the ``coded-actors`` and ``coded-agents`` entries of ``files`` (imported
    PETRARCH/TABARI dictionaries), so that the actors stage of every coder reads them.

    detente's own knowledge wins: a name or role word is added only when detente does not
    already read it (see :func:`_known`), so an imported ``ISRAEL [ISR]`` or
    ``ISRAELI_TROOPS [ISRMIL]`` changes nothing. An actor's codes, dated ones included
    (``[USAGOV 20090120-20170120]``), become an :class:`ActorEntry` with the country (or
    non-state code), the PLOVER sector of its first mappable role and the code itself as
    its CAMEO code, resolved at the event's date; its phrases are ``imported`` hits whose
    rule is ``imported-name``. A name of several actors (``THE_SHIRE [FRO/BIL/SAM]``)
    becomes an entry whose ``members`` are one entry per code: the name gives an actor
    each. An agent whose code maps to a sector (``~GOV``, ``~MILNAV``)
    becomes a title (singular) or role word (plural) of that sector; prefix agents
    (``NGO~``) and codes with no PLOVER sector (``~WGO``) are left out; religion codes give
    REL (``~CHRCPT``, ``~REL``). When several
    imported actors share a name, the one loaded last (a later directory) wins."""
    report = ImportedActors()
    actor_files = [f for f in files if f.kind == "coded-actors"]
    agent_files = [f for f in files if f.kind == "coded-agents"]
    if not actor_files and not agent_files:
        return kb, report
    roles = _sector_codes(kb)
    orgs: dict[str, str] = {}
    for entry in kb.entries.values():
        if entry.kind == "igo" and entry.cameo:
            orgs.setdefault(entry.cameo.upper(), entry.code)
    own = kb.phrases
    added: dict[str, Hit] = {}
    entries = dict(kb.entries)
    max_tokens = kb.max_tokens
    for df in actor_files:
        stem = Path(df.path).stem
        for e in df.entries:
            defaults = e.get("codes") or []
            periods = e.get("periods") or []
            members = [_map_code(c, roles, orgs) for c in defaults]
            several = len(defaults) > 1 and not periods and all(
                m is not None and m[3] != "none" for m in members)
            mapped: list[tuple[str, str, str, str] | None] = (
                members[:1] if len(defaults) == 1 or several else [None] if defaults else [])
            dated = []
            for p in periods:
                codes = p.get("codes") or []
                m = _map_code(codes[0], roles, orgs) if len(codes) == 1 else None
                mapped.append(m)
                if m is not None:
                    start = _opt_date(p.get("start"), df.path, e["key"])
                    end = _opt_date(p.get("end"), df.path, e["key"])
                    dated.append((m[0], m[1], m[2], start,
                                  None if end is None else end + timedelta(days=1)))
            names = list(dict.fromkeys(norm(_words(ph)) for ph in e.get("phrases")
                                       or [e["name"]]))
            ok = [m for m in mapped if m is not None]
            if not mapped or len(ok) < len(mapped):
                report.unmapped += len(names)
                continue
            base = ok[0] if defaults else ("", "", "", "none")
            kinds = [m[3] for m in ok if m[3] != "none"]
            kb_key = f"{stem}:{e['key']}"
            keys: tuple[str, ...] = ()
            if several:  # [FRO/BIL/SAM]: the name stands for each of these actors
                keys = tuple(f"{kb_key}#{m[2]}" for m in members if m is not None)
                for key, m in zip(keys, [m for m in members if m is not None], strict=True):
                    entries[key] = ActorEntry(key, m[0], e["name"].title(), cameo=m[2],
                                              sector=m[1], kind=m[3])
            entries[kb_key] = ActorEntry(
                kb_key, base[0], e["name"].title(), cameo=base[2], sector=base[1],
                kind=kinds[0] if kinds else "group", dated=tuple(dated), members=keys)
            # with "the" too: detente's own "the X" aliases ("the Hamas") would otherwise
            # take the first words of "the Hamas military command"
            for name in names:
                if not name:
                    continue
                if _known(name, own, max_tokens):
                    report.known += 1
                    continue
                if name not in added:
                    report.names += 1
                for key in (name, *(() if name.startswith("the ") else (f"the {name}",))):
                    if key == name or not _known(key, own, max_tokens):
                        added[key] = Hit("imported", kb_key, base[1], _name_forms(key))
    words: dict[str, Hit] = {}
    for df in agent_files:
        for e in df.entries:
            code = str(e.get("code") or "").strip().upper()
            sector = _sector_in(code, roles, 0)
            forms = [norm(_words(ph)) for ph in e.get("phrases") or []]
            if e.get("position") == "prefix" or not sector:
                report.agents_unmapped += len(forms)
                continue
            for key in forms:
                if not key:
                    continue
                if _known(key, own, max_tokens) or key in added:
                    report.agents_known += 1
                    continue
                plural = key.endswith("s") and not key.endswith("ss")
                if key not in words:
                    report.agents += 1
                words[key] = Hit("word" if plural else "title", sector, sector, (),
                                 plural=plural)
    phrases = dict(own)
    for key, hit in [*added.items(), *words.items()]:
        phrases[key] = (hit,)
        max_tokens = max(max_tokens, min(len(key.split()), MAX_PHRASE_TOKENS))
    return replace(kb, phrases=phrases, entries=entries, max_tokens=max_tokens), report
