"""The house style of every figure, and turning a figure into PNG bytes.

Figures are made for a projector: font size at least 12, lines at least 2 px,
and colour-blind-safe colours (Okabe-Ito / Paul Tol), with one fixed colour
per pathway used everywhere: mechanical parts in blues, migraine-like /
inflammatory in orange-red, sensitization in purple. matplotlib is imported
inside the functions (a lazy import of a heavy dependency), so importing
lbp_headache does not need it; nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS
from lbp_headache.engine.result import Result
from lbp_headache.files.atomic import atomic_write_bytes

FONT_SIZE = 13
LINE_WIDTH = 2.5
DPI = 150

COLORS = {
    "headache_tension_type": "#0072B2",    # blue
    "headache_cervicogenic": "#56B4E9",    # sky blue
    "headache_migraine": "#D55E00",        # vermillion
    "headache_sensitization": "#882E72",   # purple
    "lumbar_pain": "#000000",
    "il6": "#E69F00",                      # orange (inflammatory)
    "tnf_alpha": "#D55E00",
    "treatment": "#009E73",                # bluish green
}
COMPONENT_LABELS = {
    "headache_tension_type": "tension-type",
    "headache_cervicogenic": "cervicogenic",
    "headache_migraine": "migraine-like",
    "headache_sensitization": "sensitization",
}
# Qualitative colour-blind-safe cycle for comparisons (Okabe-Ito without yellow).
CYCLE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
         "#882E72")
DASHES = ("-", "--", "-.", ":")
HEADACHE_LABEL = "headache load (0–10)"


def figure_style() -> dict:
    """matplotlib settings of the house style (applied with ``rc_context``, never globally)."""
    return {
        "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": FONT_SIZE - 1, "ytick.labelsize": FONT_SIZE - 1,
        "legend.fontsize": FONT_SIZE - 1, "lines.linewidth": LINE_WIDTH,
        "axes.spines.top": False, "axes.spines.right": False,
        # Titles and legends quote names from scenario files: '$' is a dollar sign, never
        # mathtext (a name such as "$^^$" would otherwise fail to draw).
        "text.parse_math": False,
    }


def time_axis(duration: float) -> tuple[float, str]:
    """Divisor and axis label for a run of ``duration`` days (days up to 180, else months)."""
    if duration <= 180.0:
        return 1.0, "time (days)"
    return CALENDAR_MONTH_DAYS, "time (months)"


def new_axes(ax, figsize=(11, 6)):
    """``ax``, or the axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    return Figure(figsize=figsize, layout="constrained").subplots()


def treatment_windows(result: Result) -> list[tuple[float, float]]:
    """Union of the treatment windows (days, clipped to the run), so overlaps shade once."""
    end = result.scenario.duration
    spans = sorted((t.start, min(t.stop, end)) for t in result.scenario.treatments
                   if t.type != "parameter_change" and t.start < end)
    merged: list[tuple[float, float]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def figure_png(fig, *, dpi: int = DPI) -> bytes:
    """``fig`` (or an Axes' figure) as PNG bytes (Agg renderer, no creation-time metadata,
    so the same figure gives the same bytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is heavy

    fig = getattr(fig, "figure", fig)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig, path: str | os.PathLike, *, dpi: int = DPI) -> Path:
    """Save ``fig`` as PNG to ``path`` atomically (Agg renderer, ``dpi`` 150 by default).

    Parameters
    ----------
    fig
        A matplotlib Figure (an Axes is accepted and its figure saved).
    path
        Destination file.
    dpi
        Resolution.

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OSError
        If the file cannot be written (no partial file is left).
    """
    return atomic_write_bytes(path, figure_png(fig, dpi=dpi))
