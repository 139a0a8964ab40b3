"""Calibration targets as data: the :class:`Target` record, its metrics and statuses.

A target is one published figure (science.md §3 and §3b): its value and
interval, its unit and citation, and what in the model produces it: a bundled
scenario, population or trial, or a parameter of the table, read by a named
*metric* (:data:`METRICS`). Its status says what a match would mean:

``emergent``
    the figure should come out of the dynamics; inside its interval, it
    counts as reproduced;
``by_construction``
    a parameter or input was set from the figure (its value is the figure,
    or was computed or tuned from it); computed as a check, never counted
    as reproduced;
``not_computable``
    the model has no output for it yet (nothing is computed).

Files are read by :mod:`.target_reader`; values computed by :mod:`.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

STATUSES = ("emergent", "by_construction", "not_computable")
INTERVAL_KINDS = ("95% CI", "range", "one-sided", "approximate", "exact", "qualitative")
PRODUCERS = ("scenario", "population", "trial", "parameter")


@dataclass(frozen=True)
class Metric:
    """A way of reading a value from what produces a target.

    ``producer``: the kind of input it reads; ``options``: required option keys,
    ``optional``: optional ones; ``unit``: the unit of its value (``None``: the
    unit of the state or parameter it reads).
    """

    producer: str
    meaning: str
    unit: str | None
    options: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


METRICS: dict[str, Metric] = {
    "parameter_value": Metric("parameter", "the parameter's value in the table", None),
    "state_at": Metric("scenario", "a state's value at time 'at'", None, ("state", "at")),
    "back_pain_at": Metric("scenario", "back pain (after treatment effects) at time 'at', "
                           "on 0-100", "points (0-100)", ("at",)),
    "threshold_fall_time": Metric("scenario", "when the pain threshold first falls halfway "
                                  "from its start to its lowest", "day"),
    "threshold_recovery_time": Metric("scenario", "time from 'after' until the pain threshold "
                                      "has recovered 95 % of its fall (None: never)", "day",
                                      ("after",)),
    "mean_measure": Metric("population", "mean of a baseline measure over the population "
                           "(optionally among patients with 'among.measure' >= 'among.min')",
                           None, ("measure",), ("among",)),
    "share_at_least": Metric("population", "share of the population whose baseline measure "
                             "is at least 'min'", "1", ("measure", "min")),
    "mean_threshold_drop": Metric("population", "mean of 1 - pain threshold at the end of the "
                                  "baseline", "1"),
    "flare_within_a_year": Metric("population", "share with at least one back-pain flare in "
                                  "a year: 1 - exp(-flare rate x 1 year)", "1"),
    "endpoint": Metric("trial", "a trial endpoint at time 'at' over all virtual patients, in "
                       "an arm or as 'arm - control'", None, ("endpoint", "arm", "at")),
    "early_response_relative_risk": Metric(
        "trial", "relative risk of a >= 50 % back-pain response at 'at' for patients improved "
        "by at least 'improvement' at 'early', against the others", "1",
        ("arm", "early", "at", "improvement")),
    "improvement_share": Metric("trial", "share of an arm's mean back-pain change at 'at' "
                                "made of the decomposition's 'parts'", "1",
                                ("arm", "at", "parts")),
    "placebo_smd": Metric("trial", "standardized mean difference of an endpoint, placebo "
                          "(expectation) minus no treatment, change scores, pooled SD", "1",
                          ("endpoint", "at")),
    "trial_size": Metric("trial", "patients randomized in one trial", "patients"),
}


@dataclass(frozen=True)
class ProducedBy:
    """What produces a target: a bundled input (or parameter) and the metric read from it."""

    kind: str                  # one of PRODUCERS
    name: str                  # bundled name, or parameter name
    metric: str                # a key of METRICS
    options: Mapping[str, object] = field(default_factory=dict)
    compared_with: str | None = None  # a scenario whose value is subtracted
    line: int | None = None           # where 'produced_by' was written

    def describe(self) -> str:
        """``trial: manual_therapy_ctth (endpoint)``."""
        versus = f" - {self.compared_with}" if self.compared_with else ""
        return f"{self.kind}: {self.name}{versus} ({self.metric})"


@dataclass(frozen=True)
class Target:
    """One published figure to reproduce (see the module docstring).

    ``low`` and ``high`` bound the interval the model's value must lie in
    (for ``approximate`` figures: value ± the file's tolerance; for ``exact``
    ones, a count such as a trial's size, the value itself); both are
    ``None`` for a ``qualitative`` figure.
    """

    id: str
    quantity: str
    figure: str
    value: float | None
    low: float | None
    high: float | None
    interval_kind: str
    unit: str
    sources: tuple[str, ...]
    produced_by: ProducedBy | None
    status: str
    reason: str
    line: int | None = None

    @property
    def computable(self) -> bool:
        return self.produced_by is not None

    @property
    def counts(self) -> bool:
        """Whether a match counts as reproduced (emergent targets only)."""
        return self.status == "emergent"

    def inside(self, model_value: float | None) -> bool | None:
        """Whether ``model_value`` lies in ``[low, high]`` (``None`` without an interval)."""
        if self.low is None or self.high is None:
            return None
        if model_value is None or not math.isfinite(model_value):
            return False
        return self.low <= model_value <= self.high


@dataclass(frozen=True)
class TargetSet:
    """The targets of one file, with the file's identity and its tolerance for "≈ x"."""

    name: str
    source: str
    source_hash: str
    approximate_tolerance: float
    targets: tuple[Target, ...]
