"""Analytics over stored events that need more than a GROUP BY: the shift detector.

The store computes per-dyad, per-period figures (:meth:`detente.store.Store.dyads`);
this module says which periods a dyad moved beyond its recent range.

Method (deterministic; docs/analytics.md has a worked example). Per directed dyad
(actor code -> recipient code, two different known codes; negated and hypothetical events
left out, as in every aggregate) and period (day, week, month, quarter or year):

1. ``conflict_share`` = share of the dyad's events in quad classes 3-4 (verbal and
   material conflict); ``goldstein_mean`` = mean Goldstein score of its events.
2. The *baseline* of a period is the dyad's periods **with events** among the ``window``
   calendar periods just before it (a dyad silent for years is not compared with old
   news). A period is tested when it has at least ``min_events`` events and its baseline
   at least ``min_history`` periods.
3. For each measure, the baseline mean and population standard deviation are taken; the
   deviation is floored at ``share_floor`` (conflict share) or ``goldstein_floor``
   (Goldstein mean) so that a perfectly flat history does not flag tiny moves.
4. The period is flagged when ``|value - mean| > k * sd`` by more than :data:`TIE` (a
   move exactly at the limit, such as 1 against a mean of 2/3 with k * sd = 1/3, is not
   flagged, however the floating-point sums round); the alert says which measure
   moved, in which direction, from what baseline (mean, sd, number of periods) to what.

:func:`detect_shifts` is the reference implementation over the rows of
:meth:`~detente.store.Store.dyads`; :meth:`detente.store.Store.shifts` computes the same
alerts inside DuckDB with window functions (what ``detente alerts`` and
:func:`detente.api.alerts` use, so the detector stays fast on large stores); a test keeps
the two in agreement.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

TIE = 1e-9
"""How far beyond ``k * sd`` a move must be to be flagged (rounding, not a threshold)."""


@dataclass(frozen=True, slots=True)
class Alert:
    source: str
    target: str
    period: date
    measure: str
    """``conflict_share`` or ``goldstein_mean``."""
    value: float
    baseline_mean: float
    baseline_sd: float
    """The baseline's standard deviation, after the floor."""
    history: int
    """How many earlier periods formed the baseline."""
    events: int
    direction: str
    """``up`` or ``down``."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["period"] = self.period.isoformat()
        return d


def period_back(d: date, *, by: str, n: int) -> date:
    """The start of the period ``n`` periods before the one holding ``d``."""
    if by == "day":
        return d - timedelta(days=n)
    if by == "week":
        return d - timedelta(days=d.weekday() + 7 * n)
    months = {"month": 1, "quarter": 3, "year": 12}[by] * n
    if by == "quarter":
        d = d.replace(month=(d.month - 1) // 3 * 3 + 1)
    elif by == "year":
        d = d.replace(month=1)
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def detect_shifts(
    rows: Iterable[dict[str, Any]],
    *,
    by: str = "month",
    window: int = 6,
    k: float = 2.0,
    min_events: int = 3,
    min_history: int = 3,
    share_floor: float = 0.1,
    goldstein_floor: float = 1.0,
) -> list[Alert]:
    """Flag dyad-periods whose conflict share or Goldstein mean leaves the recent range.

    ``rows`` are dicts with ``source, target, period, events, conflict_share,
    goldstein_mean`` (periods as the first day of a ``by`` period), as
    :meth:`Store.dyads` returns them. Newest alerts first.
    """
    by_dyad: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by_dyad.setdefault((r["source"], r["target"]), []).append(r)
    alerts: list[Alert] = []
    for (src, tgt), series in by_dyad.items():
        series.sort(key=lambda r: r["period"])
        for i, row in enumerate(series):
            if row["events"] < min_events:
                continue
            start = period_back(row["period"], by=by, n=window)
            history = [h for h in series[:i] if h["period"] >= start]
            if len(history) < min_history:
                continue
            for measure, floor in (("conflict_share", share_floor),
                                   ("goldstein_mean", goldstein_floor)):
                past = [float(h[measure]) for h in history if h[measure] is not None]
                if len(past) < min_history or row[measure] is None:
                    continue
                mean = statistics.fmean(past)
                sd = max(statistics.pstdev(past), floor)
                value = float(row[measure])
                if abs(value - mean) > k * sd + TIE:
                    alerts.append(Alert(source=src, target=tgt, period=row["period"],
                                        measure=measure, value=value, baseline_mean=mean,
                                        baseline_sd=sd, history=len(past),
                                        events=int(row["events"]),
                                        direction="up" if value > mean else "down"))
    alerts.sort(key=lambda a: (a.period, a.source, a.target, a.measure), reverse=True)
    return alerts
