"""ABC-SMC with pyabc: one generation at a time, each from the database, so a run resumes.

:func:`run_calibration` drives pyabc's :class:`pyabc.ABCSMC` on the pieces of
:mod:`.abc_model` (priors, simulator, distance), with pyabc's median epsilon
schedule and its multivariate normal perturbation kernel.

Resume
    Every generation is run by a fresh :class:`pyabc.ABCSMC` loaded from the
    database (``abc.db`` in the output folder), with numpy's global generator
    reseeded from ``(seed, generation)``. pyabc re-derives epsilon and the
    perturbation kernel from the last stored generation. An uninterrupted run
    therefore takes exactly the path a resumed one takes: with the single-core
    sampler a run killed at any point and resumed ends with the same database
    content (particles, weights, distances, epsilons) as one that never
    stopped. A generation cut short by the kill is run again from its start.
    With several workers (pyabc's multicore or Dask sampler) the particles a
    generation accepts depend on which worker finishes first: the result is a
    valid posterior sample, but not bit for bit the same run to run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyabc
from lbp_headache.analysis.backends import probe_scheduler
from lbp_headache.calibration.abc_model import TargetSimulator, interval_middle, spec_priors
from lbp_headache.calibration.abc_spec import CalibrationSpec
from lbp_headache.calibration.posterior import Calibration, weighted_quantile
from lbp_headache.calibration.targets import TargetSet
from lbp_headache.population.distributions import Distribution

__all__ = ["Calibration", "read_posterior", "run_abc", "run_calibration",
           "weighted_quantile"]

DATABASE = "abc.db"
MIN_ACCEPTANCE_RATE = 0.005  # a generation that accepts fewer than 1 in 200 stops the run


class PriorVariable(pyabc.RVBase):
    """A parameter's prior (:class:`~lbp_headache.population.distributions.Distribution`)
    as a pyabc random variable (draws from numpy's global generator, as pyabc does)."""

    def __init__(self, distribution: Distribution):
        self.distribution = distribution

    def copy(self) -> PriorVariable:
        return PriorVariable(self.distribution)

    def rvs(self, *args, **kwargs) -> float:
        # pyabc draws from numpy's global generator, seeded per generation: so do we
        return float(self.distribution.draw(np.random.random(1))[0])  # noqa: NPY002

    def pdf(self, x, *args, **kwargs) -> float:
        return float(self.distribution.pdf(np.asarray([x], dtype=float))[0])

    def pmf(self, x, *args, **kwargs) -> float:
        return self.pdf(x)

    def cdf(self, x, *args, **kwargs) -> float:
        return float(self.distribution.cdf(np.asarray([x], dtype=float))[0])


@dataclass(frozen=True)
class Generation:
    """One finished generation, for the progress line."""

    t: int
    epsilon: float
    simulations: int
    total_simulations: int
    acceptance_rate: float
    seconds: float

    def line(self, generations: int) -> str:
        return (f"generation {self.t + 1}/{generations}: epsilon {self.epsilon:.4g}, "
                f"{self.simulations:,} simulations ({self.acceptance_rate:.0%} accepted), "
                f"{self.total_simulations:,} in all, {self.seconds:.1f} s")


def make_simulator(spec: CalibrationSpec, targets: TargetSet) -> TargetSimulator:
    """The simulator of the spec's targets (in the spec's order)."""
    by_id = {t.id: t for t in targets.targets}
    return TargetSimulator([by_id[i] for i in spec.statistics], spec.population_share,
                           constraints=spec.constraints)


def make_transition(name: str) -> pyabc.transition.Transition:
    """pyabc's proposal kernel for a spec's ``transition`` (:class:`.abc_spec.CalibrationSpec`)."""
    if name == "local":
        return pyabc.LocalTransition()
    return pyabc.MultivariateNormalTransition()


def make_priors(priors: Mapping[str, Distribution]) -> pyabc.Distribution:
    return pyabc.Distribution(**{name: PriorVariable(d) for name, d in priors.items()})


def make_sampler(workers: int | None, scheduler: str | None):
    """pyabc's single-core sampler (reproducible), multicore for ``workers`` > 1, or Dask."""
    if scheduler:
        from distributed import Client, LocalCluster  # lazy: Dask is an optional extra

        if scheduler == "local":
            client = Client(LocalCluster(n_workers=workers or 1, threads_per_worker=1,
                                         processes=True, dashboard_address=None))
        else:
            probe_scheduler(scheduler)
            client = Client(scheduler)
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    # check_max_eval: stop a generation once the budget left is spent (pyabc's default runs
    # it to its last particle whatever it costs; the Dask sampler has no such check).
    if workers is not None and workers > 1:
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers, check_max_eval=True)
    return pyabc.sampler.SingleCoreSampler(check_max_eval=True)


def run_calibration(spec: CalibrationSpec, targets: TargetSet, folder: str | Path, *,
                    resume: bool = False, workers: int | None = None,
                    scheduler: str | None = None,
                    progress: Callable[[str], None] | None = None) -> Calibration:
    """Calibrate the spec's parameters on its targets into ``folder/abc.db`` (:func:`run_abc`)."""
    simulator = make_simulator(spec, targets)
    observed = {t.id: interval_middle(t) for t in simulator.targets}
    sampler = make_sampler(workers, scheduler)
    try:
        calibration = run_abc(simulator, spec_priors(spec.parameters, spec.uniform_priors),
                              observed, spec, Path(folder) / DATABASE, resume=resume,
                              sampler=sampler, progress=progress)
    finally:
        client = getattr(sampler, "my_client", None) or getattr(sampler, "client", None)
        if client is not None:
            client.close()
    return replace(calibration, targets=simulator.targets)


def run_abc(simulator, priors: Mapping[str, Distribution], observed: Mapping[str, float],
            spec: CalibrationSpec, database: Path, *, resume: bool = False, sampler=None,
            progress: Callable[[str], None] | None = None) -> Calibration:
    """Run (or continue) ABC-SMC into the SQLite file ``database`` and return the posterior.

    ``simulator(parameters) -> {statistic: value}`` and ``simulator.distance(x, x0)``;
    ``priors`` maps each parameter to its prior; ``observed`` names the statistics
    (pyabc stores it; the distance may ignore it). Only the budget and the seed of
    ``spec`` are read. The run stops after ``spec.generations`` generations, or when
    ``spec.max_simulations`` are spent: a generation that would need more is stopped
    and dropped, so the finished generations never exceed the budget (with the
    samplers of :func:`make_sampler` other than Dask's, which may overrun by up to a
    generation), or when a generation accepts fewer than
    :data:`MIN_ACCEPTANCE_RATE` of its simulations.
    ``resume=False`` needs no database there (the caller checks).
    """
    report = progress or (lambda _line: None)
    logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc's per-generation INFO lines
    url = "sqlite:///" + str(database)
    sampler = sampler or pyabc.sampler.SingleCoreSampler(check_max_eval=True)

    def abc() -> pyabc.ABCSMC:
        return pyabc.ABCSMC(simulator, make_priors(priors), simulator.distance,
                            population_size=spec.particles, sampler=sampler,
                            transitions=make_transition(spec.transition),
                            eps=pyabc.MedianEpsilon())

    if not resume:
        np.random.seed([spec.seed, 0xABC])  # noqa: NPY002 (pyabc's generator)
        abc().new(url, dict(observed))
    history = pyabc.History(url)
    while history.max_t + 1 < spec.generations and \
            history.total_nr_simulations < spec.max_simulations:
        t = history.max_t + 1
        before = history.total_nr_simulations
        np.random.seed([spec.seed, t])  # noqa: NPY002 (pyabc's generator)
        generation = abc()
        generation.load(url, 1)
        tick = time.perf_counter()
        left = spec.max_simulations - before
        rate = max(MIN_ACCEPTANCE_RATE, spec.particles / max(left, 1) * 0.999)
        generation.run(max_nr_populations=1, min_acceptance_rate=rate)
        history = pyabc.History(url)
        if history.max_t < t:  # the generation stopped short (acceptance or budget)
            report(f"generation {t + 1}: stopped, fewer than {rate:.2%} of simulations "
                   "accepted or the budget spent")
            break
        done = history.total_nr_simulations - before
        report(Generation(t, float(history.get_all_populations()["epsilon"].iloc[-1]),
                          done, history.total_nr_simulations, spec.particles / max(done, 1),
                          time.perf_counter() - tick).line(spec.generations))
    return read_posterior(url, tuple(priors), tuple(observed))


def read_posterior(url: str, parameters: Sequence[str], statistics: Sequence[str]) -> Calibration:
    """The last generation of a pyabc database as a :class:`Calibration` (no targets); its
    ``seconds``: pyabc's wall time of every generation, summed over every session of a
    resumed run (the time a kill left the run idle is not counted)."""
    history = pyabc.History(url)
    if history.max_t < 0:
        raise ValueError("the database holds no finished generation")
    particles = history.get_population(t=history.max_t).particles
    samples = {name: np.array([float(p.parameter[name]) for p in particles])
               for name in parameters}
    weights = np.array([float(p.weight) for p in particles])
    values = {key: np.array([float(np.asarray(p.sum_stat[key])) for p in particles])
              for key in statistics}
    epsilons = tuple(float(e) for e in history.get_all_populations()["epsilon"]
                     if np.isfinite(e))
    return Calibration(tuple(parameters), (), samples, weights / weights.sum(), values,
                       epsilons, int(history.total_nr_simulations), int(history.max_t + 1),
                       float(history.get_all_populations()["wall_time"].sum()))
