"""detente: political event data from dated news text.

>>> import detente
>>> events = detente.code("Russia and China signed a trade deal.", date="2024-05-16")
>>> store = detente.open("detente.duckdb")

Ingesting files into a store is :func:`detente.api.ingest` (``detente ingest`` on the
command line); :mod:`detente.ingest` is the stage that reads inputs.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import code, code_batch, open  # noqa: E402,A004
from .errors import DetenteError  # noqa: E402

__all__ = ["DetenteError", "__version__", "code", "code_batch", "open"]
