"""The pieces ABC-SMC calibrates with: priors, the simulator and the distance.

Priors
    Each calibrated parameter's prior is its population distribution in the
    parameter table (:func:`~lbp_headache.population.distributions.from_table`:
    the spread centred on the table value before any adopted calibration,
    ``uncalibrated_value``, so that a calibration never uses its data twice;
    truncated to the plausible range), or uniform over the range for a
    parameter without a spread or named in the spec's ``uniform_priors``.
    What is calibrated is the *centre* (the median patient's value) of that
    parameter.

Simulator
    :class:`TargetSimulator` maps calibrated values to the model's value of
    every chosen target through the machinery of ``lbp-headache targets``
    (:class:`~.evaluate.Runs`): each population and trial is built once per
    evaluation, with the calibrated values as the scenario's values and as the
    centres of the population spreads, and with a share of each population's
    candidates and trial sizes (at least :data:`MIN_CANDIDATES` candidates),
    and :data:`SIZE_MARGIN` of that share of its size, so that the chance
    variation of a small draw still leaves enough eligible patients.
    Populations keep their seeds, so every evaluation draws the same
    patients' uniform numbers (common random numbers): the simulator is
    deterministic in the calibrated values.

Distance
    Each target's deviation is scaled by its published interval:
    ``d = (model - mid) / half_width`` for a two-sided interval, so ``|d| <= 1``
    exactly when the model value is inside it; for a one-sided interval ``d``
    is 0 inside and the shortfall divided by ``max(|bound|, 1)`` outside. The
    distance is the root mean square of the ``d`` of the chosen targets
    (<= 1 when every target is inside). A target the model gives no value for
    counts as :data:`MISSING_DEVIATION`. A spec's constraints bind one by one:
    the distance is the larger of that root mean square (over the emergent
    targets) and every constraint's ``|d|``, so a particle accepted at an
    epsilon below 1 has every constraint inside. (Averaged in with the
    targets, as first written, two constraints one interval out cost less than
    the targets they bought: the third calibration run moved the onset out.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from lbp_headache.calibration.evaluate import Runs, evaluate_target
from lbp_headache.calibration.targets import Target
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.population.distributions import Distribution, from_table

MISSING_DEVIATION = 10.0  # a target without a value: ten half-widths away
MIN_CANDIDATES = 50
SIZE_MARGIN = 0.8


def prior(name: str, uniform: bool = False) -> Distribution:
    """The prior of a calibrated parameter's centre (see the module docstring); uniform over
    the table's range when ``uniform`` (a spec's ``uniform_priors``)."""
    record = replace(BY_NAME[name], value=BY_NAME[name].uncalibrated_value)
    table = from_table(record)
    if uniform or table.is_point:
        return Distribution("uniform", record.value, 0.0, record.low, record.high)
    return table


def spec_priors(parameters: Sequence[str], uniform: Sequence[str] = ()) -> dict[str, Distribution]:
    """The prior of each of ``parameters`` (:func:`prior`; uniform for those in ``uniform``)."""
    return {name: prior(name, uniform=name in uniform) for name in parameters}


def deviation(target: Target, value: float | None) -> float:
    """A target's deviation in units of its interval (see the module docstring)."""
    if value is None or not math.isfinite(value):
        return MISSING_DEVIATION
    low, high = target.low, target.high
    if math.isfinite(low) and math.isfinite(high):
        half = 0.5 * (high - low)
        if half <= 0:
            return (value - low) / max(abs(low), 1.0)
        return (value - 0.5 * (low + high)) / half
    if value < low:
        return (value - low) / max(abs(low), 1.0)
    if value > high:
        return (value - high) / max(abs(high), 1.0)
    return 0.0


def distance(targets: Sequence[Target], values: Mapping[str, float],
             constraints: Sequence[str] = ()) -> float:
    """Root mean square of the deviations of the targets not in ``constraints`` (<= 1 when
    every target is inside), or the largest ``|deviation|`` of a constraint if that is
    larger (module docstring)."""
    bound = set(constraints)
    squares = [deviation(t, values.get(t.id)) ** 2 for t in targets if t.id not in bound]
    rms = math.sqrt(sum(squares) / len(squares)) if squares else 0.0
    worst = max((abs(deviation(t, values.get(t.id))) for t in targets if t.id in bound),
                default=0.0)
    return max(rms, worst)


def interval_middle(target: Target) -> float:
    """The 'observed' value shown to pyabc: the interval's middle (or its finite bound)."""
    low, high = target.low, target.high
    if math.isfinite(low) and math.isfinite(high):
        return 0.5 * (low + high)
    return low if math.isfinite(low) else high


class CalibratedRuns(Runs):
    """The bundled inputs with calibrated values and smaller populations."""

    def __init__(self, values: Mapping[str, float], share: float, settings: BatchSettings):
        super().__init__(1, None, settings, lambda _line: None)
        self.values = dict(values)
        self.share = share

    def load_scenario(self, name: str):
        return super().load_scenario(name).with_parameters(self.values)

    def load_population(self, name: str):
        return calibrated_population(super().load_population(name), self.values, self.share)

    def load_trial(self, name: str):
        spec = super().load_trial(name)
        population = calibrated_population(spec.population, self.values, self.share)
        return replace(spec, population=population,
                       size=max(2, math.floor(spec.size * self.share)))


def calibrated_population(spec, values: Mapping[str, float], share: float):
    """``spec`` with the calibrated values as centres and ``share`` of its candidates and size
    (at least :data:`MIN_CANDIDATES` candidates)."""
    varying = []
    for name, dist in spec.varying:
        if name not in values:
            varying.append((name, dist))
        elif dist.family in ("normal", "lognormal", "logitnormal"):
            varying.append((name, replace(dist, center=float(values[name]))))
        # a fixed or uniform spread has no centre: the calibrated value holds for everybody
    candidates = min(spec.candidates, max(MIN_CANDIDATES, math.ceil(spec.candidates * share)))
    size = max(1, math.floor(SIZE_MARGIN * spec.size * candidates / spec.candidates))
    return replace(spec, scenario=spec.scenario.with_parameters(values), varying=tuple(varying),
                   candidates=candidates, size=size)


class TargetSimulator:
    """Calibrated values -> the model's value of each chosen target (module docstring).

    Called by pyabc with a dict of parameter values; returns a dict of
    target id -> value (``nan`` where the model gives none or a population
    cannot be built). Picklable, so pyabc's samplers may send it to workers.
    """

    def __init__(self, targets: Sequence[Target], share: float,
                 settings: BatchSettings = BatchSettings(), constraints: Sequence[str] = ()):
        self.targets = tuple(targets)
        self.share = share
        self.settings = settings
        self.constraints = tuple(constraints)

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        values = {name: float(parameters[name]) for name in parameters}
        runs = CalibratedRuns(values, self.share, self.settings)
        try:
            results = [evaluate_target(target, runs) for target in self.targets]
        except ModelError:  # no eligible patients, a state out of range: no values
            return {t.id: math.nan for t in self.targets}
        finally:
            runs.close()
        return {r.target.id: math.nan if r.model_value is None else float(r.model_value)
                for r in results}

    def distance(self, simulated: Mapping[str, float], _observed=None) -> float:
        """The distance pyabc compares with epsilon (ignores ``_observed``: the intervals are
        the data)."""
        return distance(self.targets, {k: float(np.asarray(v)) for k, v in simulated.items()},
                        self.constraints)
