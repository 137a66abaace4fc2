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
(:mod:`detente.dictcoder`, coder ``petrarch-1``). Nothing here is PETRARCH's code; the
formats are public.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

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
