"""Run the explorer's settings on the compiled engine and pack what the page draws.

One run of 18 months takes about 1 ms on the batch engine
(:func:`lbp_headache.engine.batch.simulate_batch`, one set, within 1e-5 of the
reference solver); the text is read in about 5 ms. The batch result (states
on whole days) becomes a :class:`~lbp_headache.engine.result.Result` on the
daily grid, with the derived columns computed as
:func:`lbp_headache.engine.simulate.simulate` computes them, so the metrics
come from the same observation model as ``lbp-headache run``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock

import numpy as np
from lbp_headache.analysis.attribution import days_by_pathway, difference_by_pathway
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.equations import effective_lumbar_pain
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.core.states import HEADACHE_COMPONENTS
from lbp_headache.engine.batch import simulate_batch
from lbp_headache.engine.result import COLUMNS, Result
from lbp_headache.engine.solver import SolverSettings
from lbp_headache.engine.status import STATUS_TEXT
from lbp_headache.explorer.settings import settings_to_yaml
from lbp_headache.scenario.reader import load_scenario_text
from lbp_headache.scenario.record import Scenario

# Columns the page draws (daily), rounded in the JSON to DECIMALS decimal places.
SENT_COLUMNS = ("lumbar_pain", "disc_degeneration", "ergonomic_load", "posture_deviation",
                "neck_tension", "pain_threshold", "il6", "tnf_alpha", "neuroinflammation",
                "headache", *HEADACHE_COMPONENTS, "physical_therapy_effect",
                "ergonomics_effect", "nsaid_effect", "neuropathic_effect")
DECIMALS = 4  # 1e-4 of a 0-10 load; IL-6 in pg/mL to 1e-4
CACHE_SIZE = 32


def batch_result(scenario: Scenario) -> Result:
    """``scenario`` run on the batch engine, as a :class:`Result` on whole days.

    Raises
    ------
    ParameterError
        For a parameter out of range.
    ModelError
        If the engine reports a failure (a state out of range, too many steps).
    """
    p = parameter_vector(scenario.parameters)
    batch = simulate_batch(scenario, p[None, :])
    if batch.status[0] != 0:
        raise ModelError(f"the run failed: {STATUS_TEXT.get(int(batch.status[0]), 'error')}")
    days = batch.days
    table = {name: batch.states[0, :, i] for i, name in enumerate(batch.names)}
    raw = scenario.lumbar_pain(days)
    starts = batch.segment_starts
    which = np.clip(np.searchsorted(starts, days, side="right") - 1, 0, starts.size - 1)
    lumbar = np.empty_like(days)
    for k in np.unique(which):
        rows = which == k
        lumbar[rows] = effective_lumbar_pain(raw[rows], table["physical_therapy_effect"][rows],
                                             table["nsaid_effect"][rows],
                                             table["neuropathic_effect"][rows],
                                             batch.segment_parameters[0, k])
    table["lumbar_pain"] = lumbar
    table["disc_degeneration"] = scenario.disc_degeneration(days)
    table["ergonomic_load"] = scenario.ergonomic_load(days)
    table["headache"] = sum(table[name] for name in HEADACHE_COMPONENTS)
    columns = {name: table[name] for name in COLUMNS}
    return Result(scenario=scenario, parameters=p, settings=SolverSettings(), time=days,
                  columns=columns, daily=columns)


def _rounded(values: np.ndarray) -> list[float]:
    return np.round(np.asarray(values, dtype=float), DECIMALS).tolist()


def pack(result: Result) -> dict:
    """What the page draws of one run: daily columns, monthly days, metrics, days by pathway."""
    observed = summarize(result)
    metrics = observed["metrics"]
    return {
        "name": result.scenario.name,
        "days": _rounded(result.time),
        "columns": {name: _rounded(result.columns[name]) for name in SENT_COLUMNS},
        "monthly": [{"start_day": w["start_day"], "end_day": w["end_day"],
                     "headache_days": w["headache_days_per_month"]}
                    for w in observed["monthly"]],
        "metrics": {
            "headache_days_per_month": metrics["headache_days_per_month"],
            "mean_headache": metrics["mean_headache"],
            "peak_headache": metrics["peak_headache"],
            "min_pain_threshold": metrics["min_pain_threshold"],
            "pathway_share": metrics["pathway_share"],
            "days_by_pathway": days_by_pathway(result),
        },
        "treatments": [{"name": t.display_name, "type": t.type, "start": t.start,
                        "stop": min(t.stop, result.scenario.duration)}
                       for t in result.scenario.treatments if t.type != "parameter_change"],
        "il6_healthy": float(result.parameter_values()["il6_healthy"]),
    }


class Runner:
    """Runs settings and remembers the last few runs (the pinned A is rarely re-run)."""

    def __init__(self, size: int = CACHE_SIZE):
        self._cache: OrderedDict[str, dict] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def run_text(self, text: str) -> dict:
        """The packed run of scenario YAML ``text`` (cached by the text)."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        packed = pack(batch_result(load_scenario_text(text, name="explorer scenario")))
        with self._lock:
            self._cache[text] = packed
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return packed

    def run(self, settings: Mapping, baseline: Mapping | None = None) -> dict:
        """The packed run of ``settings``, its YAML, and with a ``baseline`` (A) its run and
        the difference in headache days per month by pathway (B - A)."""
        text = settings_to_yaml(settings)
        answer = {"yaml": text, "run": self.run_text(text)}
        if baseline is not None:
            base = self.run_text(settings_to_yaml(baseline))
            answer["baseline"] = base
            answer["difference"] = difference_by_pathway(
                base["metrics"]["days_by_pathway"], answer["run"]["metrics"]["days_by_pathway"])
        return answer
