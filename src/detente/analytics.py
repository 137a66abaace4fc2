"""Analytics over stored events that need more than SQL: the shift detector.

The store computes per-dyad, per-period figures (:meth:`detente.store.Store.dyads`);
this module flags the periods where a dyad moves beyond its recent range.

Method (documented, deterministic): for each directed dyad, walk its periods in order.
For a period with at least ``min_events`` events and at least ``min_history`` earlier
periods within the last ``window`` periods that had events, compute the mean and
standard deviation of the earlier periods' *conflict share* (share of events in quad
classes 3-4) and *Goldstein mean*. The period is flagged when its value lies more than
``k`` standard deviations from that mean, with the deviation floored at ``share_floor``
(conflict share) or ``goldstein_floor`` (Goldstein) so that a perfectly flat history
does not flag tiny moves. The alert says which measure moved, from what range to what.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any


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
    history: int
    """How many earlier periods formed the baseline."""
    events: int
    direction: str
    """``up`` or ``down``."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["period"] = self.period.isoformat()
        return d


def detect_shifts(
    rows: Iterable[dict[str, Any]],
    *,
    window: int = 6,
    k: float = 2.0,
    min_events: int = 3,
    min_history: int = 3,
    share_floor: float = 0.1,
    goldstein_floor: float = 1.0,
) -> list[Alert]:
    """Flag dyad-periods whose conflict share or Goldstein mean leaves the recent range.

    ``rows`` are dicts with ``source, target, period, events, conflict_share,
    goldstein_mean``, ordered by dyad then period (as :meth:`Store.dyads` returns them).
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
            history = series[max(0, i - window):i]
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
                if abs(value - mean) > k * sd:
                    alerts.append(Alert(source=src, target=tgt, period=row["period"],
                                        measure=measure, value=value, baseline_mean=mean,
                                        baseline_sd=sd, history=len(past),
                                        events=int(row["events"]),
                                        direction="up" if value > mean else "down"))
    alerts.sort(key=lambda a: (a.period, a.source, a.target, a.measure), reverse=True)
    return alerts
