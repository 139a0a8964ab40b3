"""The house style of every figure, and turning a figure into PNG or SVG.

Two sizes of one style. The teaching figures (``run``, ``compare``, ``demo``,
the handout) are made for a lecture hall (:func:`slide_style`): a 16:9 slide
(13.3 x 7.5 inches, 1920 x 1080 pixels at :data:`DPI`), text at 18 pt or more
(at least 15 pt in the ten-panel states figure), lines 3.5 pt, and one fixed
0-10 axis for every headache load (:data:`HEADACHE_LIMITS`) so slides compare.
Research figures (sweeps, sensitivity) keep the smaller :func:`figure_style`.
Colours are colour-blind safe (Okabe-Ito / Paul Tol), with one fixed colour
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
DPI = 144
# Teaching figures: a 16:9 slide, text legible from the back of a lecture hall.
SLIDE_SIZE = (40 / 3, 7.5)
SLIDE_FONT_SIZE = 18
SLIDE_LINE_WIDTH = 3.5
HEADACHE_LIMITS = (0.0, 10.0)

COLORS = {
    "headache_tension_type": "#0072B2",    # blue
    "headache_cervicogenic": "#56B4E9",    # sky blue
    "headache_migraine": "#D55E00",        # vermillion
    "headache_sensitization": "#882E72",   # purple
    "lumbar_pain": "#000000",
    "il6": "#E69F00",                      # orange (inflammatory)
    "tnf_alpha": "#D55E00",
    "treatment": "#009E73",                # bluish green
    "treatment_edge": "#00583F",           # dark green: start and end of a treatment
}
# The three pathways (core.states.PATHWAYS) in the colour of their main component.
PATHWAY_COLORS = {"mechanical": "#0072B2", "neurological": "#882E72",
                  "inflammatory": "#D55E00"}
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


def slide_style(font_size: int = SLIDE_FONT_SIZE) -> dict:
    """:func:`figure_style` at lecture-hall size (``font_size`` for text, ticks and legends)."""
    return {
        **figure_style(),
        "font.size": font_size, "axes.titlesize": font_size + 2, "axes.labelsize": font_size,
        "xtick.labelsize": font_size, "ytick.labelsize": font_size,
        "legend.fontsize": font_size - 1, "legend.title_fontsize": font_size,
        "figure.titlesize": font_size + 4, "lines.linewidth": SLIDE_LINE_WIDTH,
        "axes.linewidth": 1.5, "xtick.major.width": 1.5, "ytick.major.width": 1.5,
        "xtick.major.size": 6, "ytick.major.size": 6,
    }


def time_axis(duration: float) -> tuple[float, str]:
    """Divisor and axis label for a run of ``duration`` days (days up to 180, else months)."""
    if duration <= 180.0:
        return 1.0, "time (days)"
    return CALENDAR_MONTH_DAYS, "time (months)"


def month_ticks(ax, scale: float, *, most: int = 8) -> None:
    """Ticks every 1, 3, 6 or 12 months on a time axis in months, at most ``most`` of them
    (days are left to matplotlib)."""
    if scale == 1.0:
        return
    from matplotlib.ticker import MultipleLocator  # lazy: matplotlib is heavy

    low, high = ax.get_xlim()
    step = next((m for m in (1.0, 3.0, 6.0, 12.0) if (high - low) / m < most), 24.0)
    ax.xaxis.set_major_locator(MultipleLocator(step))


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


def figure_svg(fig, *, salt: str = "lbp-headache") -> str:
    """``fig`` (or an Axes' figure) as SVG text with the text kept as glyph outlines, so it
    looks the same in any browser and printer; no date, element ids derived from ``salt``
    and the content (the same figure and salt give the same text; figures with different
    salts never share an id, so several can be inlined in one page)."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # lazy: matplotlib is heavy

    fig = getattr(fig, "figure", fig)
    FigureCanvasSVG(fig)
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


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
