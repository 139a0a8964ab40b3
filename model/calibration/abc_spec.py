"""What an ABC-SMC calibration fits: the record read from a calibration spec.

The spec (``calibration/abc_smc.yaml``, read by :mod:`.abc_spec_reader`) names
the parameters to calibrate, the emergent targets whose model values are the
summary statistics, the virtual-population size of one evaluation, and the
sampler's budget. Priors and units come from the parameter table at run time
(:mod:`.abc_model`), never from the spec.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec.

    Attributes
    ----------
    name, source, source_hash
        A title, the file as given and the SHA-256 of its bytes.
    parameters
        Names of the calibrated parameters (table order is not required).
    targets
        Ids of the emergent, computable targets used as summary statistics.
    population_share
        The share of each population's candidates (and, in proportion, of its
        size and its trials' sizes) drawn per evaluation: small for speed.
    particles
        Accepted particles per generation.
    generations
        ABC-SMC generations (populations of particles).
    max_simulations
        The budget: model evaluations over the whole run; a generation that
        would overrun it is stopped and dropped (not with the Dask scheduler).
    seed
        Seed of the sampler (numpy's global generator, reseeded per generation).
    constraints
        By-construction targets added to the distance beside ``targets``: a
        figure a parameter or input was set from must stay inside while other
        parameters move (a calibration may not trade it away); never counted
        as reproduced. Each binds on its own: the distance is at least its
        deviation (:func:`~lbp_headache.calibration.abc_model.distance`).
    uniform_priors
        Calibrated parameters whose prior is uniform over the table's range
        instead of their population spread: for an assumption the table's value
        does not know within its spread.
    transition
        How a generation proposes new particles from the last: ``"global"``,
        one Gaussian kernel with the particles' covariance (pyabc's
        ``MultivariateNormalTransition``), or ``"local"``, a Gaussian per
        particle with the covariance of its nearest neighbours (pyabc's
        ``LocalTransition``), which follows ridges and keeps a particle set
        apart from taking the whole weight.
    """

    name: str
    source: str
    source_hash: str
    parameters: tuple[str, ...]
    targets: tuple[str, ...]
    population_share: float
    particles: int
    generations: int
    max_simulations: int
    seed: int
    uniform_priors: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    transition: str = "global"

    @property
    def statistics(self) -> tuple[str, ...]:
        """Every target in the distance: the emergent targets, then the constraints."""
        return self.targets + self.constraints

    def settings(self) -> dict:
        """The settings as plain data (for provenance)."""
        return {"parameters": list(self.parameters), "targets": list(self.targets),
                "population_share": self.population_share, "particles": self.particles,
                "generations": self.generations, "max_simulations": self.max_simulations,
                "seed": self.seed, "uniform_priors": list(self.uniform_priors),
                "constraints": list(self.constraints), "transition": self.transition}
