"""Plots analysts would rather look at than read: a dyad timeline and an actor network.

Uses matplotlib (the ``plot`` extra: ``pip install 'detente[plot]'``) with its file-only
Agg backend; the output format follows the file name (``.png`` or ``.svg``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import UsageError

SUFFIXES = (".png", ".svg", ".pdf")
COOP = "#2b8cbe"
CONFLICT = "#d7301f"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UsageError("plotting needs matplotlib",
                         hint="pip install 'detente[plot]' (or pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"cannot tell the image format from {path.name!r}",
                         hint=f"end the file name with one of {', '.join(SUFFIXES)}")


def plot_dyad(rows: Sequence[dict[str, Any]], path: Path | str, *, actor: str, recipient: str,
              by: str = "month") -> Path:
    """Stacked bars of cooperation vs conflict per period (conflict below zero) and the
    Goldstein mean as a line on a second axis."""
    path = Path(path)
    _check(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=110)
    periods = [r["period"] for r in rows]
    x = list(range(len(periods)))
    vc = [r["verbal_coop"] for r in rows]
    mc = [r["material_coop"] for r in rows]
    vf = [-r["verbal_conflict"] for r in rows]
    mf = [-r["material_conflict"] for r in rows]
    ax.bar(x, vc, color=COOP, alpha=0.55, label="verbal cooperation")
    ax.bar(x, mc, bottom=vc, color=COOP, label="material cooperation")
    ax.bar(x, vf, color=CONFLICT, alpha=0.55, label="verbal conflict")
    ax.bar(x, mf, bottom=vf, color=CONFLICT, label="material conflict")
    ax.axhline(0, color="#444", linewidth=0.8)
    ax.set_ylabel("events (conflict below zero)")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], [str(p) for p in periods][::step], rotation=30, ha="right")
    ax2 = ax.twinx()
    ax2.plot(x, [r["goldstein_mean"] for r in rows], color="#222", marker="o", linewidth=1.5,
             label="Goldstein mean")
    ax2.set_ylim(-10.5, 10.5)
    ax2.set_ylabel("Goldstein mean")
    handles = ax.get_legend_handles_labels()
    h2 = ax2.get_legend_handles_labels()
    ax.legend(handles[0] + h2[0], handles[1] + h2[1], loc="upper left", fontsize=8,
              frameon=False)
    ax.set_title(f"{actor} → {recipient} by {by}" + ("" if rows else " (no events)"))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_network(net: dict[str, list[dict[str, Any]]], path: Path | str, *,
                 max_nodes: int = 40) -> Path:
    """Actors on a circle; edges coloured from cooperation (blue) to conflict (red),
    width by event count; node size by events."""
    path = Path(path)
    _check(path)
    plt = _pyplot()
    nodes = net["nodes"][:max_nodes]
    keep = {n["id"] for n in nodes}
    edges = [e for e in net["edges"] if e["source"] in keep and e["target"] in keep]
    fig, ax = plt.subplots(figsize=(8, 8), dpi=110)
    n = max(len(nodes), 1)
    pos = {node["id"]: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
           for i, node in enumerate(nodes)}
    top = max((e["events"] for e in edges), default=1)
    for e in edges:
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        total = e["cooperation"] + e["conflict"]
        share = e["conflict"] / total if total else 0.5
        colour = (0.17 + 0.67 * share, 0.55 - 0.36 * share, 0.75 - 0.63 * share)
        ax.annotate("", xy=(x2, y2), xytext=(x1, y1),
                    arrowprops={"arrowstyle": "-|>", "color": colour, "alpha": 0.8,
                                "linewidth": 0.6 + 4 * e["events"] / top,
                                "shrinkA": 12, "shrinkB": 12,
                                "connectionstyle": "arc3,rad=0.12"})
    big = max((nd["events"] for nd in nodes), default=1)
    for nd in nodes:
        x, y = pos[nd["id"]]
        ax.scatter([x], [y], s=200 + 1200 * nd["events"] / big, color="#f0f0f0",
                   edgecolors="#333", zorder=3)
        ax.text(x, y, nd["id"], ha="center", va="center", fontsize=9, zorder=4)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_axis_off()
    ax.set_title(f"actor network: {len(nodes)} actors, {len(edges)} directed dyads "
                 "(blue cooperation → red conflict)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
