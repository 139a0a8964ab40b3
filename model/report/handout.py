"""The handout: one self-contained HTML page for students (``lbp-headache report``).

What it holds, in order: the disclaimer and the red flags; the mechanism in
plain words with the pathway diagram; the treatment comparison when there is
more than one scenario (the comparison figure and a ranked table); then each
scenario with its description, key metrics, its changes from the default
parameters, how its inputs and treatments were read, and its two figures.
The red flags are repeated at the end, so a printed copy carries them on its
last page too.

Self-contained: every figure is inline SVG (its text drawn as outlines, so it
looks the same in any browser and printer), the style sheet is inline, and
nothing links outside the file: opening it makes no request (tested in a
browser). Print rules put each scenario on a new page and never split a
figure or a table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lbp_headache.analysis.attribution import days_by_pathway
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.states import PATHWAYS
from lbp_headache.core.units import pretty
from lbp_headache.core.version import __version__
from lbp_headache.engine.result import Result
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.files.provenance import now
from lbp_headache.report.comparison_figure import plot_comparison
from lbp_headache.report.figure_style import figure_svg
from lbp_headache.report.pathway_diagram import plot_pathway_diagram
from lbp_headache.report.run_figures import plot_headache_by_pathway, plot_states
from lbp_headache.scenario.explain import explain_lines

SECTION_IDS = ("disclaimer", "mechanism", "comparison", "scenarios", "red-flags")

MECHANISM = (
    ("Three pathways lead from lower back pain to headache.", ""),
    ("Mechanical.", "Back pain makes us shift our posture without noticing: the pelvis, the "
     "upper back and, at the end of the chain, the head, which moves forward. To keep the "
     "eyes level the neck muscles work all day. How much of the lower back's compensation "
     "reaches the neck depends on how stiff the deep muscle chain along the spine is. Tense "
     "neck muscles cause tension-type headache, and strain on the upper neck joints causes "
     "cervicogenic headache, which starts at the back of the head."),
    ("Neurological.", "Pain that goes on for weeks and months makes the nervous system more "
     "sensitive: the pain threshold falls, everywhere, not only in the back. A lower "
     "threshold amplifies every headache trigger. After a long or intense episode the "
     "system can stay sensitized even when the back is better: the headache then no longer "
     "follows the back pain."),
    ("Inflammatory.", "A degenerating or herniated disc releases inflammatory messengers "
     "(IL-6 and TNF-α) into the blood. They clear within hours, so only lasting "
     "production keeps them up; over weeks they drive inflammation in the nervous system "
     "and a migraine-like headache."),
    ("Treatments act on their own pathway.", "Physical therapy corrects posture, relaxes the "
     "neck and, by strengthening the core, eases the back pain itself; its gains fade over "
     "months once it stops. Ergonomic changes lower the neck load from desk work quickly but "
     "partly. Anti-inflammatory drugs (NSAIDs) lower the inflammatory messengers. Neuropathic "
     "pain medication such as duloxetine helps a sensitized nervous system recover over "
     "weeks. Combined (multi-modal) care acts on all three pathways."),
    ("Reading the figures.", "The headache load is on a 0–10 scale, always on the same "
     "axis; its coloured bands show which pathway it comes from. Green shading and brackets "
     "mark when a treatment runs. Headache days per month are expected days in the last "
     "28 days: a day's load sets its chance of being a headache day (15 or more days a "
     "month is chronic headache)."),
)

STYLE = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #d0d0d0; --warn: #8a1c00;
        --warn-bg: #fff3ee; --green: #00583F; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 0 auto; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.45rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.15rem; margin: 1.2rem 0 .4rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
.warning { border: 2px solid var(--warn); background: var(--warn-bg); padding: .8rem 1rem;
           break-inside: avoid; page-break-inside: avoid;
           border-radius: 6px; }
.warning strong { color: var(--warn); }
.warning ul { margin: .3rem 0 0; columns: 2; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .95rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; break-inside: avoid;
        page-break-inside: avoid; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
ul.read { font-size: .95rem; }
footer { margin-top: 2rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  section.scenario, #comparison { break-before: page; page-break-before: always; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .warning { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


@dataclass
class Handout:
    """What :func:`write_handout` did: the conflict lines, or the file written."""

    path: Path | None = None
    conflicts: list[str] = field(default_factory=list)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def slug(name: str, taken: set[str]) -> str:
    """An HTML id for a scenario name, unique among ``taken`` (which it joins)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"
    candidate, n = f"scenario-{base}", 2
    while candidate in taken:
        candidate, n = f"scenario-{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


_ID_OR_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def inline_svg(fig, prefix: str) -> str:
    """``fig`` as an ``<svg>`` element to inline in HTML (no XML prolog, no DOCTYPE).

    Every element id, and every reference to one, gets ``prefix``: matplotlib
    numbers ids per figure (``axes_1``, glyphs such as ``DejaVuSans-30``), so two
    inlined figures would otherwise share ids.
    """
    text = figure_svg(fig, salt=prefix)
    text = text[text.index("<svg"):]
    return _ID_OR_REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)


def _warning() -> str:
    flags = "".join(f"<li>{_e(flag)}</li>" for flag in RED_FLAGS)
    return (f"<p><strong>{_e(DISCLAIMER)}</strong> It shows group averages and stated "
            "assumptions, never a diagnosis for one person.</p>"
            "<p><strong>See a doctor the same day</strong> for any of these warning signs, "
            f"which this model cannot explain:</p><ul>{flags}</ul>")


def _mechanism() -> str:
    paragraphs = "".join(f"<p><strong>{_e(head)}</strong> {_e(body)}</p>" if body else
                         f"<p>{_e(head)}</p>" for head, body in MECHANISM)
    diagram = inline_svg(plot_pathway_diagram(), "diagram")
    return (f"{paragraphs}<figure>{diagram}<figcaption>The three pathways and where each "
            "treatment acts (green bars). Purple dashes: sensitization amplifies every "
            "headache trigger.</figcaption></figure>")


def _days(value: float) -> str:
    return f"{value:.1f}"


def _metrics_table(result: Result, observed: Mapping) -> str:
    metrics = observed["metrics"]
    parts = days_by_pathway(result)
    share = metrics["pathway_share"]
    responder = metrics["responder"]
    rows = [
        ("headache days per month (last 28 days)", _days(metrics["headache_days_per_month"])),
        *[(f"&nbsp;&nbsp;of which {_e(name)}", _days(parts[name])) for name in PATHWAYS],
        ("mean headache load, last 28 days (0–10)", f"{metrics['mean_headache']:.2f}"),
        ("peak headache load (0–10)", f"{metrics['peak_headache']:.2f}"),
        *[(f"share of the whole run's headache: {_e(name)}",
           "n/a" if share[name] is None else f"{100 * share[name]:.0f}%") for name in PATHWAYS],
        ("lowest pain threshold (1 = healthy)", f"{metrics['min_pain_threshold']:.2f}"),
    ]
    if responder["reduction"] is not None:
        rows.append(("fewer headache days than before treatment",
                     f"{100 * responder['reduction']:.0f}% "
                     f"({'a responder' if responder['is_responder'] else 'not a responder'})"))
    body = "".join(f"<tr><td>{label}</td><td class='number'>{value}</td></tr>"
                   for label, value in rows)
    return f"<table class='metrics'><tbody>{body}</tbody></table>"


def _changes_table(result: Result, overrides: Mapping[str, float]) -> str:
    changed = {**result.scenario.parameters, **overrides}
    if not changed:
        return "<p>All parameters at their default values.</p>"
    head = ("<tr><th>parameter</th><th class='number'>default</th>"
            "<th class='number'>here</th><th>unit</th><th>meaning</th></tr>")
    body = ""
    for name, value in changed.items():
        record = BY_NAME[name]
        unit = pretty(record.unit)
        body += (f"<tr><td><code>{_e(name)}</code></td><td class='number'>{record.value:g}</td>"
                 f"<td class='number'>{value:g}</td><td>{_e('' if unit == '1' else unit)}</td>"
                 f"<td>{_e(record.meaning)}</td></tr>")
    return f"<table class='changes'><thead>{head}</thead><tbody>{body}</tbody></table>"


def _read_as(result: Result) -> str:
    lines = [line.strip() for line in explain_lines(result.scenario)[5:]
             if not line.strip().startswith(("parameters.", "initial_state."))]
    return "<ul class='read'>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"


def _scenario_section(result: Result, observed: Mapping, overrides: Mapping[str, float],
                      anchor: str) -> str:
    scenario = result.scenario
    description = f"<p>{_e(scenario.description)}</p>" if scenario.description else ""
    headache = inline_svg(plot_headache_by_pathway(result), f"{anchor}-headache")
    states = inline_svg(plot_states(result), f"{anchor}-states")
    return (
        f"<section class='scenario' id='{anchor}'><h2>{_e(scenario.name)}</h2>{description}"
        f"<h3>Key metrics</h3>{_metrics_table(result, observed)}"
        f"<h3>Changes from the default parameters</h3>{_changes_table(result, overrides)}"
        f"<h3>Inputs and treatments, as the model reads them</h3>{_read_as(result)}"
        f"<figure>{headache}<figcaption>Headache load by pathway (0–10), lumbar pain on the "
        "right axis, treatments in green.</figcaption></figure>"
        f"<figure>{states}<figcaption>Every state of the model over time.</figcaption>"
        "</figure></section>")


def _comparison_section(results: Sequence[Result], observed: Sequence[Mapping]) -> str:
    order = sorted(range(len(results)),
                   key=lambda i: observed[i]["metrics"]["headache_days_per_month"])
    figure = inline_svg(plot_comparison([results[i] for i in order]), "comparison")
    head = ("<tr><th>rank</th><th>scenario</th><th class='number'>headache days per month</th>"
            + "".join(f"<th class='number'>{_e(name)}</th>" for name in PATHWAYS)
            + "<th class='number'>lowest threshold</th><th>responder</th></tr>")
    body = ""
    for rank, i in enumerate(order, start=1):
        metrics = observed[i]["metrics"]
        parts = days_by_pathway(results[i])
        responder = metrics["responder"]
        verdict = ("n/a" if responder["is_responder"] is None else
                   f"{'yes' if responder['is_responder'] else 'no'} "
                   f"({100 * responder['reduction']:.0f}% fewer days)")
        body += (f"<tr><td class='number'>{rank}</td><td>{_e(results[i].scenario.name)}</td>"
                 f"<td class='number'>{_days(metrics['headache_days_per_month'])}</td>"
                 + "".join(f"<td class='number'>{_days(parts[name])}</td>" for name in PATHWAYS)
                 + f"<td class='number'>{metrics['min_pain_threshold']:.2f}</td>"
                 f"<td>{verdict}</td></tr>")
    return (
        "<section id='comparison'><h2>Treatment comparison</h2>"
        f"<figure>{figure}<figcaption>Left: the headache load of every scenario (triangle: "
        "treatment starts; square: it stops). Right: headache days per month in the last 28 "
        "days, split by pathway.</figcaption></figure>"
        "<p>Ranked by headache days per month in the last 28 days (fewest first); the pathway "
        "columns split those days by each pathway's share of each day's load.</p>"
        f"<table><thead>{head}</thead><tbody>{body}</tbody></table></section>")


def render_handout(results: Sequence[Result], observed: Sequence[Mapping] | None = None,
                   overrides: Mapping[str, float] | None = None, *,
                   title: str = "How lower back pain can lead to headache") -> str:
    """The handout of ``results`` as one HTML document (see the module docstring).

    Parameters
    ----------
    results
        Simulation results, in the order the page shows them.
    observed
        Each result's :func:`~lbp_headache.analysis.observation.summarize`, if computed.
    overrides
        Command-line parameter overrides applied to every run (shown as changes).
    title
        The page's heading.

    Raises
    ------
    ValueError
        If ``results`` is empty.
    """
    if not results:
        raise ValueError("a handout needs at least one scenario")
    observed = list(observed) if observed is not None else [summarize(r) for r in results]
    overrides = dict(overrides or {})
    taken: set[str] = set(SECTION_IDS)
    anchors = [slug(r.scenario.name, taken) for r in results]
    names = ", ".join(r.scenario.name for r in results)
    toc = "".join(f"<li><a href='#{a}'>{_e(r.scenario.name)}</a></li>"
                  for a, r in zip(anchors, results))
    comparison = _comparison_section(results, observed) if len(results) > 1 else ""
    scenarios = "".join(_scenario_section(r, o, overrides, a)
                        for r, o, a in zip(results, observed, anchors))
    stamp = now().strftime("%Y-%m-%d")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}: {_e(names)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p class='subtitle'>A handout made by lbp-headache "
        f"{_e(__version__)} on {stamp} for: {_e(names)}.</p></header>"
        f"<section id='disclaimer' class='warning'>{_warning()}</section>"
        f"<section id='mechanism'><h2>The mechanism in plain words</h2>{_mechanism()}"
        f"<p>In this handout:</p><ul>{toc}</ul></section>"
        f"{comparison}<div id='scenarios'>{scenarios}</div>"
        f"<footer id='red-flags' class='warning'>{_warning()}</footer>"
        "</body></html>\n")


def write_handout(results: Sequence[Result], target: str | Path,
                  observed: Sequence[Mapping] | None = None,
                  overrides: Mapping[str, float] | None = None) -> Handout:
    """Render the handout of ``results`` and write it atomically to ``target``.

    The file goes through its folder's manifest, like every output: a file
    of that name that the tool did not write is never replaced (the conflict
    is returned and nothing is written).

    Raises
    ------
    OSError
        If the file cannot be written.
    """
    target = Path(target)
    with OutputFolder(target.parent) as folder:
        conflicts = folder.conflicts([target.name])
        if conflicts:
            return Handout(conflicts=conflicts)
        folder.write_text(target.name, render_handout(results, observed, overrides))
    return Handout(path=target)
