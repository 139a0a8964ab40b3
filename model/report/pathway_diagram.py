"""The pathway diagram: the three pathways from lumbar pain to headache, and the treatments."""

from __future__ import annotations

from lbp_headache.report.figure_style import COLORS, SLIDE_SIZE, new_axes, slide_style

# Sized for a 16:9 slide: every label at least 16 pt.
FONT_SIZE = 16
LINE_WIDTH = 3.0


def _box(ax, xy, text, colour, width=2.3, height=0.9):
    from matplotlib.patches import FancyBboxPatch  # lazy: matplotlib is heavy

    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.08", fc=colour, ec="#222222",
                                lw=1.5, alpha=0.95, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, zorder=3,
            color="white" if colour in DARK_FILLS else "black")


DARK_FILLS = {"#0072B2", "#882E72", "#D55E00"}


def _arrow(ax, start, end, colour="#222222", style="-|>", ls="-", label=None, rad=0.0,
           label_offset=(0.0, 0.15), zorder=1, shrink=4):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": style, "color": colour, "lw": LINE_WIDTH, "ls": ls,
                            "shrinkA": 4, "shrinkB": shrink, "mutation_scale": 20,
                            "connectionstyle": f"arc3,rad={rad}"}, zorder=zorder)
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="bottom", fontsize=FONT_SIZE - 1,
                color=colour, zorder=3)


def plot_pathway_diagram(ax=None):
    """Schematic of the three pathways and where each treatment acts.

    Mechanical: lumbar pain -> posture -> neck tension -> tension-type and
    cervicogenic headache. Neurological: lumbar pain -> central sensitization
    (lower threshold) -> amplifies all headache. Inflammatory: disc
    degeneration -> IL-6 / TNF-α -> neuroinflammation -> migraine-like headache.
    Treatments (green) point to the states they act on.

    Parameters
    ----------
    ax
        matplotlib Axes to draw on (a new figure if ``None``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden).
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy

    with mpl.rc_context(slide_style(FONT_SIZE)):
        ax = new_axes(ax, figsize=SLIDE_SIZE)
        ax.set_xlim(0, 15)
        ax.set_ylim(0, 9.6)
        ax.set_axis_off()
        mech, neuro, infl = "#BFE3F7", "#882E72", "#F8C9A8"
        treat = COLORS["treatment"]
        boxes = {
            "lumbar": ((1.5, 6.6), "lumbar pain", "#FFFFFF"),
            "ergo_load": ((5.0, 8.7), "ergonomic load\n(desk, sitting)", "#E0E0E0"),
            "disc": ((1.5, 1.6), "disc degeneration\n(herniation)", "#FFFFFF"),
            "posture": ((5.0, 6.6), "posture shift\n(forward head)", mech),
            "neck": ((8.6, 6.6), "neck muscle\ntension", mech),
            "sens": ((6.8, 3.6), "central sensitization\n(pain threshold ↓)", neuro),
            "cyto": ((5.0, 1.6), "IL-6 / TNF-α", infl),
            "neuroinfl": ((8.6, 1.6), "neuro-\ninflammation", infl),
            "tth": ((12.8, 7.4), "tension-type\nheadache", "#0072B2"),
            "cgh": ((12.8, 5.8), "cervicogenic\nheadache", "#56B4E9"),
            "mig": ((12.8, 1.6), "migraine-like\nheadache", "#D55E00"),
        }
        for key, (xy, text, colour) in boxes.items():
            _box(ax, xy, text, colour, width=2.9 if key == "sens" else 2.45)
        at = {key: value[0] for key, value in boxes.items()}

        def edge(key, dx=0.0, dy=0.0):
            x, y = at[key]
            return (x + dx, y + dy)

        w, h = 1.25, 0.55
        _arrow(ax, edge("lumbar", w), edge("posture", -w))
        _arrow(ax, edge("ergo_load", 0, -h), edge("posture", 0, h))
        _arrow(ax, edge("posture", w), edge("neck", -w), label="head-levelling\nreflex",
               label_offset=(0, 0.55))
        _arrow(ax, edge("neck", w, 0.25), edge("tth", -w))
        _arrow(ax, edge("neck", w, -0.25), edge("cgh", -w))
        _arrow(ax, edge("lumbar", 0.5, -h), edge("sens", -1.55, 0.2),
               label="nociceptive\ndrive", label_offset=(-0.9, -0.35))
        _arrow(ax, edge("disc", w), edge("cyto", -w))
        _arrow(ax, edge("cyto", w), edge("neuroinfl", -w))
        _arrow(ax, edge("neuroinfl", w), edge("mig", -w))
        amp = {"colour": neuro, "ls": "--"}
        _arrow(ax, edge("sens", 1.55, 0.2), edge("cgh", -w, -0.3), **amp)
        _arrow(ax, edge("sens", 1.55, 0.35), edge("tth", -w, -0.3), rad=0.1, **amp)
        _arrow(ax, edge("sens", 1.55, -0.2), edge("mig", -w, 0.3), **amp)
        ax.text(11.0, 3.3, "amplifies\nall headache", color=neuro, ha="center",
                va="center", fontsize=FONT_SIZE, style="italic")

        def treatment(xy, text, targets):
            ax.text(*xy, text, ha="center", va="center", fontsize=FONT_SIZE, color="white",
                    fontweight="bold", zorder=5,
                    bbox={"boxstyle": "round,pad=0.35", "fc": treat, "ec": treat})
            for target in targets:
                _arrow(ax, xy, target, colour=treat, style="-[,widthB=0.7,lengthB=0.25",
                       zorder=4, shrink=1)

        treatment((6.8, 5.0), "physical therapy",
                  [edge("lumbar", 0.6, -h - 0.05), edge("posture", 0.4, -h - 0.05),
                   edge("neck", -0.4, -h - 0.05)])
        treatment((8.9, 8.7), "ergonomics", [edge("ergo_load", w + 0.1, 0)])
        treatment((3.0, 3.2), "neuropathic\nmedication", [edge("sens", -1.6, -0.15)])
        treatment((5.0, 0.2), "NSAIDs", [edge("cyto", 0, -h - 0.05)])
        ax.text(14.9, 0.2, "green bar = where a treatment acts (it inhibits)\n"
                "purple dashes = sensitization amplifies",
                ha="right", va="bottom", fontsize=FONT_SIZE - 1, color="#333333")
        ax.set_title("How lower back pain can lead to headache: pathways and treatments",
                     fontsize=FONT_SIZE + 4)
    return ax


