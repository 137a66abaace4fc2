"""Knowledge: reviewed data files with a schema, loaded and validated at start-up.

Every knowledge file is YAML (or CSV for flat tables) laid out as::

    kind: countries          # names the schema the entries must follow
    version: "2026.11.0"     # bumped when the file's content changes
    source: "where the file as a whole comes from"
    entries:
      - key: TUR             # unique within the file
        source: "note naming where this entry's facts come from"
        ...                  # fields of the kind

A CSV knowledge file has a header row with at least ``key`` and ``source`` columns and a
sidecar ``NAME.meta.yaml`` with ``kind``, ``version`` and ``source``; list-valued columns
are ``;``-separated.

Validation errors name ``file -> key: problem`` (:class:`~detente.errors.KnowledgeError`),
and a file is either loaded whole or not at all. :func:`load_knowledge` composes the
packaged files with any user directories (``--kb DIR``): user entries with the same key
override packaged ones.
"""

from __future__ import annotations

import builtins
import csv
import gc
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, KnowledgeError

DATA_DIR = Path(str(resources.files("detente") / "data"))
_YAML_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (several times faster), else the pure one."""

_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(_TAG + t for t in ("int", "float", "bool", "null", "timestamp"))
_SAFE = yaml.constructor.SafeConstructor.yaml_constructors


class _Unusual(Exception):
    """A YAML document with more than plain mappings, lists and scalars (an alias, a
    merge key, an explicit tag, an unhashable key): built by PyYAML's own constructor."""


def _fast_loader(base: type[Any]) -> type[Any]:
    """``base`` whose resolver remembers, per document, the tag of each plain scalar:
    knowledge files repeat the same values (sectors, roles, dates) thousands of times,
    and the resolver tries a list of regular expressions on each."""
    resolve = base.resolve

    def init(self: Any, stream: str) -> None:
        base.__init__(self, stream)
        self.tags = {}

    def fast_resolve(self: Any, kind: type, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode or not implicit[0]:
            return resolve(self, kind, value, implicit)  # type: ignore[no-any-return]
        tag = self.tags.get(value)
        if tag is None:
            tag = self.tags[value] = resolve(self, kind, value, implicit)
        return tag  # type: ignore[no-any-return]

    return type(f"Fast{base.__name__}", (base,), {"__init__": init, "resolve": fast_resolve})


def _build(loader: Any, node: yaml.Node, memo: dict[tuple[str, str], Any],
           seen: set[int]) -> Any:
    """The Python value of a composed node: what PyYAML's safe constructor gives for
    mappings, lists and str/int/float/bool/null/timestamp scalars, without its
    per-node bookkeeping; anything else raises :class:`_Unusual`."""
    cls = node.__class__
    if cls is yaml.ScalarNode:
        tag = node.tag
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag not in _PLAIN_TAGS:
            raise _Unusual(tag)
        key = (tag, node.value)
        value = memo.get(key, memo)
        if value is memo:  # immutable values, so one object per distinct scalar
            try:
                value = memo[key] = _SAFE[tag](loader, node)
            except ValueError as exc:  # 2020-02-30 matches the timestamp pattern
                raise ValueError(f"{node.value!r} on line {node.start_mark.line + 1}: {exc}"
                                 ) from None
        return value
    if id(node) in seen:  # an alias: PyYAML shares the object (and allows cycles)
        raise _Unusual("alias")
    seen.add(id(node))
    if cls is yaml.MappingNode and node.tag == "tag:yaml.org,2002:map":
        out: dict[Any, Any] = {}
        for k, v in node.value:
            try:
                out[_build(loader, k, memo, seen)] = _build(loader, v, memo, seen)
            except TypeError as exc:  # an unhashable key
                raise _Unusual("key") from exc
        return out
    if cls is yaml.SequenceNode and node.tag == "tag:yaml.org,2002:seq":
        return [_build(loader, n, memo, seen) for n in node.value]
    raise _Unusual(node.tag)


def load_yaml(text: str, *, loader: type[Any] | None = None) -> Any:
    """``yaml.load(text, Loader=loader)`` for a one-document knowledge file in about
    two-thirds of the time: the parser composes nodes (resolving each distinct scalar once) and
    :func:`_build` turns them into values; a document with aliases, merge keys or
    explicit tags goes through PyYAML's constructor, so the result is always the same.
    ``loader`` defaults to libyaml's safe loader, else the pure-Python one."""
    ld = (_FAST_LOADERS.get(loader) or _fast_loader(loader)) if loader else _FAST_LOADER
    instance = ld(text)
    try:
        node = instance.get_single_node()
        if node is None:
            return None
        try:
            return _build(instance, node, {}, set())
        except _Unusual:
            return instance.construct_document(node)
    finally:
        instance.dispose()


_FAST_LOADERS: dict[type[Any], type[Any]] = {
    base: _fast_loader(base) for base in (yaml.SafeLoader, _YAML_LOADER)}
_FAST_LOADER = _FAST_LOADERS[_YAML_LOADER]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a knowledge schema."""

    type: builtins.type | tuple[builtins.type, ...]
    required: bool = False
    choices: frozenset[str] | None = None
    """For str fields (or each item of list fields): the allowed values."""
    item: builtins.type | None = None
    """For list fields: the type of each item."""


Schema = Mapping[str, FieldSpec]


@dataclass(frozen=True, slots=True)
class DataFile:
    """A validated knowledge file."""

    path: str
    kind: str
    version: str
    source: str
    entries: tuple[dict[str, Any], ...]


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR))
    except ValueError:
        return str(path)


def _read_raw(path: Path) -> dict[str, Any]:
    label = _label(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(label, "(file)", f"cannot read: {exc}") from exc
    if path.suffix == ".csv":
        meta_path = path.with_suffix(".meta.yaml")
        if not meta_path.exists():
            raise KnowledgeError(label, "(file)", f"CSV knowledge needs a sidecar {meta_path.name}"
                                 " with kind, version and source")
        meta = _read_raw(meta_path)
        rows = list(csv.DictReader(text.splitlines()))
        meta["entries"] = rows
        return meta
    try:
        raw = load_yaml(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date like 2020-02-30
        raise KnowledgeError(label, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise KnowledgeError(label, "(file)", "must be a mapping with kind, version, source, "
                             "entries")
    return raw


def read_meta(path: Path | str) -> DataFile:
    """A knowledge file's ``kind``, ``version`` and ``source`` (for a CSV, from its
    ``.meta.yaml`` sidecar), validated; ``entries`` is left empty."""
    path = Path(path)
    label = _label(path)
    meta_path = path.with_suffix(".meta.yaml") if path.suffix == ".csv" else path
    if not meta_path.exists():
        raise KnowledgeError(label, "(file)", f"CSV knowledge needs a sidecar {meta_path.name}"
                             " with kind, version and source")
    raw = _read_raw(meta_path)
    for meta in ("kind", "version", "source"):
        if not isinstance(raw.get(meta), str) or not raw[meta].strip():
            raise KnowledgeError(label, "(file)", f"missing or empty top-level '{meta}'")
    return DataFile(path=label, kind=raw["kind"], version=str(raw["version"]),
                    source=str(raw["source"]), entries=())


def _coerce_csv(value: str, spec: FieldSpec) -> Any:
    if spec.type is list or (isinstance(spec.type, tuple) and list in spec.type):
        return [v.strip() for v in value.split(";") if v.strip()]
    if spec.type is bool:
        return value.strip().lower() in {"1", "true", "yes"}
    if spec.type is float or (isinstance(spec.type, tuple) and float in spec.type):
        return float(value) if value.strip() else None
    if spec.type is int:
        return int(value) if value.strip() else None
    return value


_PACKAGED_LAYER: dict[tuple[str, str], DataFile] = {}
"""While user directories are compiled on top of the packaged knowledge: the packaged
files, validated, from the packaged snapshot (by label and kind), so that a ``--kb`` layer
does not parse and validate the packaged files again (see :func:`_packaged_layer`)."""
_PACKAGED_PLACES: list[Any] = []
"""Likewise the packaged gazetteer (one :class:`~detente.places.Gazetteer`), used while no
user directory adds gazetteer rows."""


@contextmanager
def _packaged_layer(snap: Knowledge | None) -> Iterator[None]:
    """The packaged layer taken from a current snapshot ``snap`` (None: nothing) for the
    duration of a compile."""
    if snap is None:
        yield
        return
    _PACKAGED_LAYER.update(((f.path, f.kind), f) for f in snap.files if f.kind != "gazetteer")
    _PACKAGED_PLACES.append((snap.places, [f for f in snap.files if f.kind == "gazetteer"]))
    try:
        yield
    finally:
        _PACKAGED_LAYER.clear()
        _PACKAGED_PLACES.clear()


def packaged_places(paths: Sequence[Path]) -> tuple[Any, list[DataFile]] | None:
    """The packaged gazetteer and its files when the gazetteer files to load (``paths``)
    are exactly the packaged ones and a snapshot provides them; else None."""
    if not _PACKAGED_PLACES:
        return None
    gaz, files = _PACKAGED_PLACES[0]
    return (gaz, list(files)) if [_label(p) for p in paths] == [f.path for f in files] \
        else None


def read_data_file(path: Path | str, *, kind: str, schema: Schema) -> DataFile:
    """Read and validate one knowledge file against ``schema``.

    ``key`` and ``source`` are required in every entry and need not be in ``schema``.
    Raises :class:`KnowledgeError` naming the first problem found.
    """
    path = Path(path)
    label = _label(path)
    if _PACKAGED_LAYER:  # a packaged file, validated when the (current) snapshot was built
        done = _PACKAGED_LAYER.get((label, kind))
        if done is not None:
            return done
    raw = _read_raw(path)
    for meta in ("kind", "version", "source"):
        if not isinstance(raw.get(meta), str) or not raw[meta].strip():
            raise KnowledgeError(label, "(file)", f"missing or empty top-level '{meta}'")
    if raw["kind"] != kind:
        raise KnowledgeError(label, "(file)", f"kind is {raw['kind']!r}, expected {kind!r}")
    entries = raw.get("entries")
    if not isinstance(entries, list):
        raise KnowledgeError(label, "(file)", "'entries' must be a list")
    is_csv = path.suffix == ".csv"
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    allowed = set(schema) | {"key", "source"}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise KnowledgeError(label, f"entry #{n + 1}", "must be a mapping")
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            raise KnowledgeError(label, f"entry #{n + 1}", "missing 'key'")
        if key in seen:
            raise KnowledgeError(label, key, "duplicate key")
        seen.add(key)
        src = entry.get("source")
        if not isinstance(src, str) or not src.strip():
            raise KnowledgeError(label, key, "missing 'source' note (every entry says where "
                                 "its facts come from)")
        unknown = set(entry) - allowed
        if unknown:
            raise KnowledgeError(label, key, f"unknown field(s) {sorted(unknown)}; allowed: "
                                 f"{sorted(allowed)}")
        clean: dict[str, Any] = {"key": key, "source": src}
        for name, spec in schema.items():
            value = entry.get(name)
            if is_csv and isinstance(value, str):
                try:
                    value = _coerce_csv(value, spec)
                except ValueError as exc:
                    raise KnowledgeError(label, key, f"field '{name}': {exc}") from exc
                if value == "" and not spec.required:
                    value = None
            if value is None:
                if spec.required:
                    raise KnowledgeError(label, key, f"missing required field '{name}'")
                clean[name] = None
                continue
            if isinstance(value, bool) and spec.type in (int, float):
                raise KnowledgeError(label, key, f"field '{name}' must be a number")
            if spec.type is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, spec.type):
                tname = getattr(spec.type, "__name__", str(spec.type))
                raise KnowledgeError(label, key, f"field '{name}' must be {tname}, "
                                     f"got {type(value).__name__}")
            if isinstance(value, list) and spec.item is not None:
                for item in value:
                    if not isinstance(item, spec.item):
                        raise KnowledgeError(label, key, f"items of '{name}' must be "
                                             f"{spec.item.__name__}, got {item!r}")
            if spec.choices is not None:
                items = value if isinstance(value, list) else [value]
                bad = [v for v in items if v not in spec.choices]
                if bad:
                    raise KnowledgeError(label, key, f"field '{name}' has {bad}, allowed: "
                                         f"{sorted(spec.choices)}")
            clean[name] = value
        out.append(clean)
    return DataFile(path=label, kind=kind, version=str(raw["version"]),
                    source=str(raw["source"]), entries=tuple(out))


def find_files(dirs: Iterable[Path], kind: str) -> list[Path]:
    """Knowledge files of ``kind`` in ``dirs`` (by their ``kind:`` line), sorted by name.

    Files are matched by name ``*.yaml``/``*.yml``/``*.csv`` and then by the kind they
    declare, so users may name their files as they like.
    """
    found: list[Path] = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        for p in sorted(d.rglob("*")):
            if p.suffix not in {".yaml", ".yml", ".csv"} or p.name.endswith(".meta.yaml"):
                continue
            if _declared_kind(p) == kind:
                found.append(p)
    return found


def _declared_kind(path: Path) -> str | None:
    head_path = path.with_suffix(".meta.yaml") if path.suffix == ".csv" else path
    try:
        with head_path.open(encoding="utf-8") as fh:
            for _ in range(20):
                line = fh.readline()
                if not line:
                    break
                if line.startswith("kind:"):
                    return line.split(":", 1)[1].strip().strip("'\"")
    except (OSError, UnicodeDecodeError):
        return None
    return None


def known_kinds() -> frozenset[str]:
    """The kinds detente reads: those of the packaged files and of imported PETRARCH
    dictionaries."""
    kinds = {k for p in DATA_DIR.rglob("*") if p.suffix in {".yaml", ".yml", ".csv"}
             and not p.name.endswith(".meta.yaml") and (k := _declared_kind(p))}
    try:
        from .petrarch import KINDS
    except ImportError:  # pragma: no cover - petrarch is part of the package
        KINDS = ()
    return frozenset(kinds | set(KINDS))


def check_user_dir(directory: Path) -> None:
    """Every ``*.yaml``/``*.yml``/``*.csv`` file in a user knowledge directory must declare a
    kind detente reads; a file that would otherwise be skipped in silence (a typo in
    ``kind:``, no ``kind:`` line, not UTF-8) raises :class:`KnowledgeError` naming it."""
    kinds: frozenset[str] | None = None
    for p in sorted(Path(directory).rglob("*")):
        if p.suffix not in {".yaml", ".yml", ".csv"} or p.name.endswith(".meta.yaml"):
            continue
        head = p.with_suffix(".meta.yaml") if p.suffix == ".csv" else p
        label = _label(p)
        try:
            with head.open(encoding="utf-8") as fh:
                fh.read(4096)
        except FileNotFoundError:
            raise KnowledgeError(label, "(file)", f"CSV knowledge needs a sidecar {head.name} "
                                 "with kind, version and source") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError(label, "(file)", f"cannot be read as UTF-8 text: {exc}"
                                 ) from None
        kind = _declared_kind(p)
        if not kind:
            raise KnowledgeError(label, "(file)", "no 'kind:' line at the start of the file, so "
                                 "detente cannot tell what it holds")
        kinds = kinds if kinds is not None else known_kinds()
        if kind not in kinds:
            raise KnowledgeError(label, "(file)", f"declares kind {kind!r}, which detente does "
                                 f"not read; known kinds: {', '.join(sorted(kinds))}")


def fingerprint(files: Sequence[DataFile]) -> str:
    """A short version string over the files' names and versions."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{f.path}={f.version};".encode())
    return h.hexdigest()[:8]


@dataclass(frozen=True)
class Knowledge:
    """Everything the coder knows, loaded once and shared read-only by all stages.

    Picklable: it holds plain data only, so it can be shipped to worker processes.
    """

    version: str
    actors: Any
    """:class:`detente.actorkb.ActorKB`: countries, organisations, groups, sectors, people."""
    ontology: Any
    """:class:`detente.ontology.Ontology`: PLOVER types/modes/contexts, CAMEO codes."""
    lexicon: Any
    """:class:`detente.lexicon.Lexicon`: event triggers, objects (weapon systems)."""
    files: tuple[DataFile, ...] = ()
    dirs: tuple[str, ...] = ()
    coded: Any = None
    """:class:`detente.petrarch.CodedKB`: imported PETRARCH-style dictionaries (actors,
    agents, verb patterns, discards) for the ``petrarch-1`` coder; empty when none."""
    places: Any = None
    """:class:`detente.places.Gazetteer`: cities, admin areas and countries with
    coordinates and GeoNames ids (event locations)."""
    imported: Any = None
    """:class:`detente.petrarch.ImportedActors`: how many imported dictionary names and
    role words the actors stage reads (None when no dictionary was imported)."""
    """The user directories loaded after the packaged data (config, then ``--kb``)."""

    def explain(self, kb_key: str) -> dict[str, Any] | None:
        """The knowledge entry behind an entity's ``kb_key`` (``file-stem:key``): its file,
        kind, version, key, source note and fields; the last file defining it wins, as at
        load. None when no loaded file has it."""
        stem, _, key = kb_key.partition(":")
        found: tuple[DataFile, dict[str, Any]] | None = None
        for f in self.files:
            if Path(f.path).stem != stem:
                continue
            for e in f.entries:
                if e["key"] == key:
                    found = (f, e)
        if found is None:
            return None
        f, e = found
        fields = {k: v for k, v in e.items() if v is not None and k not in ("key", "source")}
        return {"file": f.path, "kind": f.kind, "version": f.version, "key": key,
                "source": e["source"], "fields": fields}


CONFIG_ENV = "DETENTE_CONFIG"
"""Environment variable naming a config file (else ``./detente.toml`` when present)."""
KB_ENV = "DETENTE_KB"
"""Environment variable listing knowledge directories, separated by ``os.pathsep``."""
CONFIG_FILE = "detente.toml"


def _config_error(path: Path, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {problem}", path=str(path),
                       hint="the config file holds [knowledge] dirs = [\"DIR\", ...]")


def configured_dirs(*, env: Mapping[str, str] | None = None,
                    cwd: Path | None = None) -> list[Path]:
    """User knowledge directories named by configuration, in load order.

    First the config file: ``$DETENTE_CONFIG`` if set, else ``detente.toml`` in ``cwd``
    when it exists, with a ``[knowledge]`` table whose ``dirs`` lists directories
    (relative ones are relative to the config file). Then ``$DETENTE_KB``, directories
    separated by ``os.pathsep``. ``--kb`` directories come after both, so the command
    line wins. Raises :class:`~detente.errors.ConfigError` for a missing or malformed
    config file.
    """
    import os
    import tomllib

    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    dirs: list[Path] = []
    named = env.get(CONFIG_ENV, "").strip()
    path = Path(named).expanduser() if named else cwd / CONFIG_FILE
    if named and not path.is_absolute():
        path = cwd / path
    if named and not path.is_file():
        raise _config_error(path, f"${CONFIG_ENV} names a file that does not exist")
    if path.is_file():
        try:
            conf = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise _config_error(path, f"not a valid TOML file: {exc}") from exc
        section = conf.get("knowledge", {})
        if not isinstance(section, dict):
            raise _config_error(path, "[knowledge] must be a table")
        listed = section.get("dirs", [])
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list) or not all(isinstance(d, str) for d in listed):
            raise _config_error(path, "[knowledge] dirs must be a list of directory names")
        for d in listed:
            p = Path(d).expanduser()
            dirs.append(p if p.is_absolute() else path.parent / p)
    for d in env.get(KB_ENV, "").split(os.pathsep):
        if d.strip():
            p = Path(d.strip()).expanduser()
            dirs.append(p if p.is_absolute() else cwd / p)
    return dirs


def load_knowledge(extra_dirs: Sequence[Path | str] = (), *, config: bool = True) -> Knowledge:
    """Load the packaged knowledge plus user directories, validated.

    With ``config`` (the default) the directories named by :func:`configured_dirs`
    come before ``extra_dirs``. Cached per set of directories: loading twice in one
    process costs nothing.
    """
    dirs = [*(configured_dirs() if config else ()), *extra_dirs]
    return _load_cached(tuple(dict.fromkeys(str(Path(d).resolve()) for d in dirs)))


CACHE_ENV = "DETENTE_CACHE_DIR"
"""Directory for the compiled-knowledge cache (default ``$XDG_CACHE_HOME/detente`` or
``~/.cache/detente``); ``off`` disables it."""
CACHE_FORMAT = "1"
CACHE_KEEP = 8
"""How many compiled knowledge bases the cache keeps (the most recent)."""


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled knowledge is cached, or None when caching is off."""
    import os

    env = os.environ if env is None else env
    named = env.get(CACHE_ENV, "").strip()
    if named.lower() in ("off", "0", "no", "none"):
        return None
    if named:
        return Path(named).expanduser()
    base = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "detente"


def source_digest(dirs: Sequence[Path], *, python: bool = True) -> str:
    """A digest of every knowledge file's path and bytes under ``dirs``, of detente's
    own modules and (with ``python``) of the Python version: the compiled-knowledge cache
    key. The packaged snapshot's key leaves the Python version out (a wheel is built on
    one version and installed on others; its pickle is plain data)."""
    import sys

    from . import __version__

    pyver = sys.version_info[:2] if python else "any"
    h = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|{pyver}".encode())
    for p in sorted(Path(__file__).parent.glob("*.py")):  # the code that compiles it
        h.update(hashlib.sha256(p.read_bytes()).digest())
    for d in dirs:  # the packaged directory by name: an installed copy has the same key
        h.update(f"#dir {'(packaged)' if Path(d) == DATA_DIR else d}\n".encode())
        for p in sorted(Path(d).rglob("*")):
            if p.suffix in {".yaml", ".yml", ".csv"} and p.is_file():
                h.update(f"{p.relative_to(d)}\n".encode())
                h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:24]


def _cache_read(path: Path) -> Knowledge | None:
    import pickle

    try:
        with path.open("rb") as fh:
            kb = pickle.load(fh)  # noqa: S301 - our own cache, keyed by content digest
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            TypeError, ValueError):
        return None
    return kb if isinstance(kb, Knowledge) else None


def _cache_write(path: Path, kb: Knowledge) -> None:
    import os
    import pickle

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        old = sorted(path.parent.glob("knowledge-*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-CACHE_KEEP]:
            stale.unlink(missing_ok=True)
    except OSError:
        return  # a read-only home or a full disk only costs speed


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: compiling or unpickling knowledge allocates
    some million objects, none of them garbage, and the collector's passes over them
    took about a third of a cold load's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


SNAPSHOT = DATA_DIR / "compiled" / "knowledge.pickle"
"""The packaged snapshot: the packaged knowledge compiled (read, validated, indexed) ahead
of time, so that a fresh install loads it without compiling. Built by
:func:`build_snapshot` (``make snapshot``, ``make setup``, and the wheel build); never
committed, and used only while its digest matches the packaged files and code."""
SNAPSHOT_ENV = "DETENTE_SNAPSHOT"
"""``off`` ignores the packaged snapshot (to measure or test a compile from source)."""
_SNAPSHOT_MAGIC = b"detente-knowledge-snapshot "


def snapshot_digest() -> str:
    """The key a packaged snapshot must carry to be used: the packaged knowledge files,
    detente's modules and version (see :func:`source_digest`)."""
    return source_digest([DATA_DIR], python=False)


def _snapshot_on(env: Mapping[str, str] | None = None) -> bool:
    import os

    env = os.environ if env is None else env
    return env.get(SNAPSHOT_ENV, "").strip().lower() not in ("off", "0", "no", "none")


def read_snapshot(path: Path | None = None, *, digest: str | None = None) -> Knowledge | None:
    """The knowledge in a snapshot file when its header carries ``digest`` (default: the
    current :func:`snapshot_digest`); None when it is missing, stale or unreadable (the
    caller then compiles from the source files)."""
    import pickle

    path = SNAPSHOT if path is None else path
    try:
        with path.open("rb") as fh:
            head = fh.readline(len(_SNAPSHOT_MAGIC) + 80)
            if not head.startswith(_SNAPSHOT_MAGIC):
                return None
            want = snapshot_digest() if digest is None else digest
            if head[len(_SNAPSHOT_MAGIC):].strip().decode("ascii", "replace") != want:
                return None
            kb = pickle.load(fh)  # noqa: S301 - written by build_snapshot, keyed by digest
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            TypeError, ValueError, IndexError):
        return None
    return kb if isinstance(kb, Knowledge) and not kb.dirs else None


def build_snapshot(path: Path | str | None = None) -> tuple[Path, bool]:
    """Compile the packaged knowledge (every file read and validated: a broken file raises
    :class:`KnowledgeError` as at start-up) and write it as the snapshot at ``path``
    (default :data:`SNAPSHOT`). Returns the path and whether it was written (False: an
    up-to-date snapshot was already there)."""
    import os
    import pickle

    path = Path(SNAPSHOT if path is None else path)
    digest = snapshot_digest()
    if read_snapshot(path, digest=digest) is not None:
        return path, False
    with _gc_paused():
        kb = _compile(())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(_SNAPSHOT_MAGIC + digest.encode("ascii") + b"\n")
        pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path, True


@cache
def _load_cached(extra_dirs: tuple[str, ...]) -> Knowledge:
    """Load and validate, or take the compiled knowledge from the packaged snapshot (no
    user directories) or the on-disk cache when no knowledge file changed since it was
    written (see :func:`source_digest`)."""
    dirs = [DATA_DIR, *(Path(d) for d in extra_dirs)]
    for d in dirs[1:]:
        if not d.is_dir():
            raise KnowledgeError(str(d), "(directory)", "not a directory",
                                 hint="--kb takes a directory of YAML/CSV knowledge files")
    for d in dirs[1:]:
        check_user_dir(d)
    where = cache_dir()
    with _gc_paused():
        if not extra_dirs and _snapshot_on():
            snap = read_snapshot()
            if snap is not None:
                return snap
        if where is None:
            return _compile_layered(extra_dirs)
        path = where / f"knowledge-{source_digest(dirs)}.pickle"
        kb = _cache_read(path)
        if kb is None:
            kb = _compile_layered(extra_dirs)
            _cache_write(path, kb)
        return kb


def _compile_layered(extra_dirs: tuple[str, ...]) -> Knowledge:
    """:func:`_compile`, with the packaged layer taken from the packaged snapshot when
    there are user directories and the snapshot is current: only the user files are read
    and validated, and everything is indexed together (same result, tested)."""
    snap = read_snapshot() if extra_dirs and _snapshot_on() else None
    with _packaged_layer(snap):
        return _compile(extra_dirs)


def _compile(extra_dirs: tuple[str, ...]) -> Knowledge:
    """Read, validate and index every knowledge file (packaged, then ``extra_dirs``)."""
    from .actorkb import load_actor_kb
    from .lexicon import load_lexicon
    from .ontology import load_ontology

    dirs = [DATA_DIR, *(Path(d) for d in extra_dirs)]
    ontology, f1 = load_ontology(dirs)
    actors, f2 = load_actor_kb(dirs)
    lexicon, f3 = load_lexicon(dirs, ontology=ontology)
    from .petrarch import load_coded, with_imported

    coded, f4 = load_coded(dirs)
    actors, imported = with_imported(actors, f4)  # imported actors/agents: actors stage
    from .places import load_gazetteer

    places, f5 = load_gazetteer(dirs)
    files = (*f1, *f2, *f3, *f4, *f5)
    from . import __version__

    return Knowledge(version=f"{__version__}+kb.{fingerprint(files)}", actors=actors,
                     ontology=ontology, lexicon=lexicon, files=files, dirs=extra_dirs,
                     coded=coded, places=places, imported=imported if f4 else None)
