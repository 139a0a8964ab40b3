"""What-if variants of a scenario: the same scenario with a few parameters changed.

``lbp-headache compare BASE --variant posture_chain_stiffness=2 --variant "tau_neck_tension=2
days"`` compares the base with each variant without a new file. One ``--variant``
holds one or more ``NAME=VALUE`` changes separated by commas (a quantity never
contains a comma: a decimal comma is refused, docs/inputs.md); each value is
read as ``--set`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.scenario.reader import parse_override
from lbp_headache.scenario.record import Scenario

OPTION = "--variant"


def parse_variant(text: str) -> dict[str, float]:
    """``"NAME=VALUE[, NAME=VALUE ...]"`` -> ``{name: value in the table unit}``.

    Raises
    ------
    ScenarioError
        With one problem (file ``--variant``) per change that cannot be read,
        and for a name given twice.
    """
    changes: dict[str, float] = {}
    problems: list[Problem] = []
    for part in text.split(","):
        try:
            name, value = parse_override(part.strip())
        except ScenarioError as error:
            problems += [replace(p, file=OPTION) for p in error.problems]
            continue
        if name in changes:
            problems.append(Problem(OPTION, None, name, "given twice in one variant"))
        changes[name] = value
    if problems:
        raise ScenarioError(problems)
    return changes


def variant_label(text: str) -> str:
    """The variant as written, tidied: ``posture_chain_stiffness=2, tau_neck_tension=2 days``."""
    return ", ".join(part.strip().replace(" =", "=").replace("= ", "=")
                     for part in text.split(","))


def make_variant(base: Scenario, changes: Mapping[str, float], label: str) -> Scenario:
    """``base`` with the parameter ``changes``, named ``"<base name> (<label>)"``.

    Raises
    ------
    ParameterError
        If a changed value, together with the base's own overrides, is out of range.
    """
    scenario = replace(base.with_parameters(changes), name=f"{base.name} ({label})")
    parameter_vector(scenario.parameters)
    return scenario
