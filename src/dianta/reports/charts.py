"""Static charts for the reports, drawn with matplotlib as SVG (text kept as text, so the PDF's own fonts
render it and it can be searched). Charts carry only numbers; their titles and legends are in the page, in
the report's language."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
import numpy as np  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

THIS_YEAR, LAST_YEAR, ACCENT = "#2f6f9f", "#b8c7d6", "#1b7a3a"
TOU_COLOURS = ("#d9342b", "#f2c200", "#2f6f9f")
_STYLE: dict[RcKeyType, Any] = {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 8,
                                "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "dianta"}


def _svg(fig: plt.Figure) -> str:
    """The figure as an SVG ``data:`` URI for an ``<img>``: its styles stay inside the image, and the report
    page stays one self-contained file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _values(xs: Sequence[object]) -> np.ndarray:
    return np.array([math.nan if x is None else float(x) for x in xs], dtype=float)  # type: ignore[arg-type]


def monthly_bars(this_year_kwh: Sequence[object], last_year_kwh: Sequence[object]) -> str:
    """Grouped bars of the 12 months' grid electricity [MWh], this year against last year."""
    cur, prev = _values(this_year_kwh) / 1000, _values(last_year_kwh) / 1000
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 1.9))
        x = np.arange(1, 13)
        ax.bar(x - 0.2, np.nan_to_num(prev), width=0.4, color=LAST_YEAR)
        ax.bar(x + 0.2, np.nan_to_num(cur), width=0.4, color=THIS_YEAR)
        ax.set_xticks(x)
        ax.set_ylabel("MWh")
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        return _svg(fig)


def tou_split(shares: Sequence[float]) -> str:
    """One horizontal bar split into peak, flat and valley shares [fraction]."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.45))
        left = 0.0
        for share, colour in zip(shares, TOU_COLOURS, strict=True):
            ax.barh([0], [share], left=left, color=colour, height=0.8)
            if share >= 0.06:
                ax.text(left + share / 2, 0, f"{share * 100:.0f}%", ha="center", va="center", color="white")
            left += share
        ax.set_xlim(0, 1)
        ax.axis("off")
        return _svg(fig)


def matching_heatmap(shares: Sequence[Sequence[object]]) -> str:
    """Month (rows 1–12) × hour of day (columns 0–23) of the matched share Σmin(L,G)/ΣL [0–1]; grey where
    there was no load (METHODOLOGY.md §7)."""
    grid = np.array([_values(row) for row in shares])
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        cmap = matplotlib.colormaps["YlGn"].with_extremes(bad="#dddddd")
        mesh = ax.pcolormesh(np.arange(25), np.arange(1, 14), np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1,
                             edgecolors="white", linewidth=0.3)
        ax.set_xticks(np.arange(0.5, 24, 2), [str(h) for h in range(0, 24, 2)])
        ax.set_yticks(np.arange(1.5, 13), [str(m) for m in range(1, 13)])
        ax.invert_yaxis()
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(mesh, ax=ax, fraction=0.03, pad=0.02)
        bar.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        return _svg(fig)


def share_bars(labels: Sequence[str], values: Sequence[float], *, percent: bool = False) -> str:
    """Horizontal bars of a value per group (portfolio report); labels drawn by matplotlib, so keep them to
    codes (grades, industry sections, region codes)."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(3.1, 0.25 * max(len(labels), 2) + 0.4))
        y = np.arange(len(labels))
        ax.barh(y, values, color=ACCENT)
        ax.set_yticks(y, list(labels))
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0) if percent
                                     else matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        return _svg(fig)


def shortfall_heatmap(mwh: Sequence[Sequence[object]]) -> str:
    """Month (rows 1–12) × hour of day (columns 0–23) of a park's pooled shortfall Σ max(L_h − G_h, 0) [MWh]
    (GREEN-POWER.md §10); white where nothing fell short."""
    grid = np.array([_values(row) for row in mwh])
    top = float(np.nanmax(grid)) if np.isfinite(grid).any() and np.nanmax(grid) > 0 else 1.0
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        cmap = matplotlib.colormaps["OrRd"].with_extremes(bad="#dddddd")
        mesh = ax.pcolormesh(np.arange(25), np.arange(1, 14), np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=top,
                             edgecolors="white", linewidth=0.3)
        ax.set_xticks(np.arange(0.5, 24, 2), [str(h) for h in range(0, 24, 2)])
        ax.set_yticks(np.arange(1.5, 13), [str(m) for m in range(1, 13)])
        ax.invert_yaxis()
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(mesh, ax=ax, fraction=0.03, pad=0.02)
        bar.ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.1f}"))
        bar.set_label("MWh")
        return _svg(fig)


def peer_strip(distribution: Sequence[float], value: float | None, *, higher_is_better: bool,
               percent: bool = False) -> str:
    """A strip of a peer group's values (grey dots, anonymous) with this account's marked (a green diamond), the best
    end to the right (issue 17); numbers only, the figure's name and unit are in the page."""
    v = _values(distribution)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(3.0, 0.55))
        ax.scatter(v, np.zeros(v.size), s=22, color="#9aa5a2", alpha=0.7, linewidths=0)
        if value is not None:
            ax.scatter([value], [0], s=60, marker="D", color=ACCENT, zorder=3)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0) if percent
                                     else matplotlib.ticker.StrMethodFormatter("{x:,.2f}"))
        if not higher_is_better:
            ax.invert_xaxis()
        return _svg(fig)
