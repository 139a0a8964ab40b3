"""Export a scenario as an SBML Level 3 Version 2 model (needs python-libsbml).

The exported file reproduces :func:`lbp_headache.engine.simulate.simulate` in any SBML tool
(libRoadRunner/tellurium, COPASI, ...). Encoding, element by element:

States
    The 14 states of :data:`lbp_headache.core.states.STATES` are global ``<parameter
    constant="false">`` with a ``rateRule`` (there are no species and no
    reactions), named as in the state table (``neck_tension``,
    ``pain_threshold``, ...).
Parameters
    Every row of :data:`lbp_headache.core.parameters.PARAMETERS` is a constant global
    parameter of the same name with its value in canonical units (time in
    days; the model's ``timeUnits`` is the unit definition ``day``), after the
    scenario's and the caller's overrides.
Derived quantities
    Assignment rules, one per intermediate of :mod:`lbp_headache.core.equations`: the raw
    inputs, effective ``lumbar_pain``, every target, the stimuli and the
    headache split; ``headache`` is the sum of its four components.
Schedule
    The segments of :func:`lbp_headache.engine.schedule.build_segments` become events: at
    every segment start after the first, an event (trigger ``time >= start``)
    sets the numbers that change there. Those numbers are non-constant
    parameters holding segment 0's values: ``segment_start``, the value and
    slope of each input profile at the segment start (the inputs of
    :data:`lbp_headache.core.states.SEGMENT_INPUTS`) and one 0/1 switch per treatment
    (``physical_therapy_1_active``, ``nsaid_1_active``, ...). Between events the
    inputs are ``max(start + slope (time - segment_start), 0)`` and the four
    targets are assignment rules of the switches and the parameters
    (``ergonomics_target = ergonomics_1_active * ergonomics_efficacy * 1.0 *
    1.0``; overlapping courses combine as ``1 - prod(1 - ...)``), exactly as in
    :mod:`lbp_headache.scenario.treatments`. Events make the integrator stop and restart at
    each discontinuity, as the project's solver does; since every event sets
    plain numbers, a parameter changed before a run is followed everywhere.
Parameter changes
    A parameter ``X`` changed by a ``parameter_change`` treatment keeps its
    scenario value in the constant ``X``; the equations then read the
    assignment rule ``X_current = X (1 - on) + on value`` (``value`` a number
    or ``X * scale``), which is exactly ``X`` or exactly the changed value.
Initial values
    :func:`lbp_headache.engine.simulate.initial_state`. States that the scenario does not
    override get an ``initialAssignment`` with the healthy steady state as a
    formula of the parameters (for no input the fixed point is explicit:
    ``neck_tension = neck_resting_tone``, ``il6 = il6_healthy``, ...), so a
    parameter changed before a reset moves the initial state with it.

The module imports without libsbml; the functions import it when called.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from lbp_headache.core.disclaimer import DISCLAIMER
from lbp_headache.core.equations import POSTURE_LIMIT
from lbp_headache.core.parameters import INDEX, PARAMETERS, parameter_vector
from lbp_headache.core.states import (
    HEADACHE_COMPONENTS,
    HEADACHE_MAX,
    SEGMENT_INPUTS,
    STATES,
    U_PT_TARGET,
)
from lbp_headache.core.version import __version__
from lbp_headache.engine.schedule import Segment, build_segments
from lbp_headache.engine.simulate import initial_state
from lbp_headache.files.atomic import atomic_write_text
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import TARGET_SLOT, Treatment, overlapping_parameter_changes

SBML_LEVEL = 3
SBML_VERSION = 2
INSTALL_HINT = "SBML export needs python-libsbml: pip install 'lbp-headache[sbml]'"
ANNOTATION_NAMESPACE = "urn:lbp-headache:provenance"

# The four target inputs, in the order of TARGET_SLOT.
TARGET_INPUTS: tuple[str, ...] = SEGMENT_INPUTS[U_PT_TARGET:U_PT_TARGET + 4]

# Unit definitions: pint unit of the tables -> (SBML id, [(kind, exponent, scale, multiplier)]).
UNIT_DEFINITIONS: Mapping[str, tuple[str, tuple[tuple[str, int, int, float], ...]]] = {
    "day": ("day", (("second", 1, 0, 86400.0),)),
    "1/day": ("per_day", (("second", -1, 0, 86400.0),)),
    "degree": ("degree", (("radian", 1, 0, math.pi / 180.0),)),
    "pg/mL": ("pg_per_mL", (("gram", 1, -12, 1.0), ("litre", -1, -3, 1.0))),
    "mg/day": ("mg_per_day", (("gram", 1, -3, 1.0), ("second", -1, 0, 86400.0))),
}

# --- the equations of model/core/equations.py as SBML math ----------------------------

_INPUT_RULES: tuple[tuple[str, str], ...] = (
    ("lumbar_pain_raw", "max(lumbar_pain_start + lumbar_pain_slope * (time - segment_start), 0)"),
    ("disc_degeneration",
     "max(disc_degeneration_start + disc_degeneration_slope * (time - segment_start), 0)"),
    ("ergonomic_load",
     "max(ergonomic_load_start + ergonomic_load_slope * (time - segment_start), 0)"),
)


def _hill(x: str, half: str, n: str) -> str:
    """SBML math of :func:`lbp_headache.core.equations.hill` (``x^n / (x^n + half^n)``)."""
    return f"{x}^{n} / ({x}^{n} + {half}^{n})"


def _relax(target: str, value: str, tau_up: str, tau_down: str) -> str:
    """SBML math of :func:`lbp_headache.core.equations.relax_rate` (``tau_up`` while rising)."""
    return f"({target} - {value}) / piecewise({tau_up}, {target} > {value}, {tau_down})"


def _equation_rules() -> tuple[tuple[str, str], ...]:
    """Assignment rules after the inputs, in the order of :func:`.equations.rhs_into`."""
    h_max = f"{HEADACHE_MAX:g}"
    n_headache = "headache_hill"
    return (
        ("lumbar_pain", "lumbar_pain_raw * (1 - physical_therapy_lumbar_relief"
                        " * physical_therapy_effect) * (1 - nsaid_lumbar_relief * nsaid_effect)"
                        " * max(1 - neuropathic_lumbar_relief * neuropathic_effect, 0)"),
        # Mechanical pathway.
        ("posture_compensation", "gain_posture_lumbar * posture_chain_stiffness * lumbar_pain"
                                 " + gain_posture_ergonomic * ergonomic_load"
                                 " * (1 - ergonomics_effect)"),
        # Saturated below the physiological limit (equations.posture_target).
        ("posture_target", f"posture_compensation / (1 + (posture_compensation"
                           f" / {POSTURE_LIMIT:g})^4)^0.25"
                           " * (1 - physical_therapy_posture_correction"
                           " * physical_therapy_effect)"),
        ("neck_load", "posture_deviation / posture_deviation_half"),
        ("neck_tension_target", "neck_resting_tone + (1 - neck_resting_tone) * neck_load"
                                " / (1 + neck_load) * (1 - physical_therapy_neck_relief"
                                " * physical_therapy_effect)"),
        # Neurological pathway.
        ("sensitization", "min(max((1 - pain_threshold) / sensitization_depth, 0), 1)"),
        ("central_drive", "max((0.1 * lumbar_pain + sensitization_feedback * sensitization)"
                          " * (1 - neuropathic_effect), 0)"),
        ("pain_threshold_target", "1 - sensitization_depth * "
         + _hill("central_drive", "sensitization_half_drive", "sensitization_hill")),
        # Inflammatory pathway.
        ("cytokine_production", "disc_degeneration * (1 - nsaid_cytokine_inhibition"
                                " * nsaid_effect)"),
        ("il6_target", "il6_healthy * (1 + gain_il6_disc * cytokine_production)"),
        ("tnf_alpha_target", "1 + gain_tnf_disc * cytokine_production"),
        ("cytokine_excess", "max(weight_il6 * (il6 / il6_healthy - 1)"
                            " + weight_tnf * (tnf_alpha - 1), 0)"),
        ("neuroinflammation_target",
         "cytokine_excess / (cytokine_excess + neuroinflammation_half_drive)"),
        # Headache: stimuli, healthy-threshold load, amplified load and the split.
        ("stimulus_tension_type", "gain_tension_type * neck_tension"),
        ("stimulus_cervicogenic", "gain_cervicogenic * neck_tension * posture_deviation"
                                  " / reference_posture_deviation"),
        ("stimulus_migraine", "gain_migraine * neuroinflammation"),
        ("stimulus", "stimulus_tension_type + stimulus_cervicogenic + stimulus_migraine"),
        ("central_stimulus", "gain_central * sensitization"),
        ("healthy_stimulus_ratio", "stimulus / headache_stimulus_half"),
        ("headache_healthy", f"{h_max} * " + _hill("healthy_stimulus_ratio", "1", n_headache)),
        ("perceived_stimulus", "(stimulus + central_stimulus) / (headache_stimulus_half"
                               " * max(pain_threshold, 1e-6)^sensitization_amplification)"),
        ("headache_total_target", f"{h_max} * " + _hill("perceived_stimulus", "1", n_headache)),
        ("headache_share", "headache_healthy / max(stimulus, 1e-300)"),
        ("headache_tension_type_target", "headache_share * stimulus_tension_type"),
        ("headache_cervicogenic_target", "headache_share * stimulus_cervicogenic"),
        ("headache_migraine_target", "headache_share * stimulus_migraine"),
        ("headache_sensitization_target", "max(headache_total_target - headache_healthy, 0)"),
        ("headache", " + ".join(HEADACHE_COMPONENTS)),
    )


def _rate_rules() -> dict[str, str]:
    """Rate rule of every state (SBML math of :func:`.equations.rhs_into`)."""
    headache = {name: f"({name}_target - {name}) / tau_headache" for name in HEADACHE_COMPONENTS}
    return {
        "posture_deviation": "(posture_target - posture_deviation) / tau_posture",
        "neck_tension": "(neck_tension_target - neck_tension) / tau_neck_tension",
        "pain_threshold": _relax("pain_threshold_target", "pain_threshold",
                                 "tau_desensitization", "tau_sensitization")
        + " + neuropathic_restoration_rate * neuropathic_effect * (1 - pain_threshold)",
        "il6": "ln(2) / il6_half_life * (il6_target - il6)",
        "tnf_alpha": "ln(2) / tnf_half_life * (tnf_alpha_target - tnf_alpha)",
        "neuroinflammation":
            "(neuroinflammation_target - neuroinflammation) / tau_neuroinflammation",
        **headache,
        "physical_therapy_effect": _relax("physical_therapy_target", "physical_therapy_effect",
                                          "tau_physical_therapy_onset",
                                          "tau_physical_therapy_fade"),
        "ergonomics_effect": _relax("ergonomics_target", "ergonomics_effect",
                                    "tau_ergonomics_onset", "tau_ergonomics_fade"),
        "nsaid_effect": "(nsaid_target - nsaid_effect) / tau_nsaid",
        "neuropathic_effect": _relax("neuropathic_target", "neuropathic_effect",
                                     "tau_neuropathic_onset", "tau_neuropathic_offset"),
    }


def _healthy_initial() -> dict[str, str]:
    """Healthy steady state (:func:`.equations.steady_state` with no input) as formulas.

    With no input the posture target is 0, so the neck sits at its resting
    tone, the threshold stays at 1 (the lowest fixed point), the cytokines at
    their healthy values and only the tension-type stimulus is non-zero. The
    states not listed here are plain numbers (0 or 1).
    """
    ratio = "(gain_tension_type * neck_resting_tone / headache_stimulus_half)"
    return {
        "neck_tension": "neck_resting_tone",
        "il6": "il6_healthy",
        "headache_tension_type": f"{HEADACHE_MAX:g} * " + _hill(ratio, "1", "headache_hill"),
    }


# --- the schedule ------------------------------------------------------------------


def _number(value: float) -> str:
    """A float as SBML infix text (``repr``: all digits; libsbml writes 15 significant)."""
    return repr(float(value))


def changed_parameters(scenario: Scenario) -> tuple[str, ...]:
    """Names of the parameters that a ``parameter_change`` treatment of ``scenario`` sets."""
    names = {t.parameter for t in scenario.treatments if t.type == "parameter_change"}
    return tuple(sorted(names))


def treatment_switches(scenario: Scenario) -> list[tuple[str, Treatment]]:
    """Id of the on/off switch of every treatment (``nsaid_1_active``, ...), in file order.

    Treatments of one type are numbered from 1 in the order of the scenario.
    """
    counts: dict[str, int] = {}
    switches = []
    for treatment in scenario.treatments:
        counts[treatment.type] = counts.get(treatment.type, 0) + 1
        switches.append((f"{treatment.type}_{counts[treatment.type]}_active", treatment))
    return switches


def _treatment_target(treatment: Treatment) -> str:
    """SBML math of :func:`.treatments.treatment_target` (the equations' parameters)."""
    kind = treatment.type
    adherence = _number(treatment.adherence)
    if kind == "physical_therapy":
        return f"{_number(treatment.intensity)} * {adherence}"
    if kind == "ergonomics":
        return f"ergonomics_efficacy * {_number(treatment.intensity)} * {adherence}"
    if kind == "nsaid":
        return f"{adherence} * {_dose_fraction(treatment.dose, 'nsaid_standard_dose')}"
    if kind == "neuropathic_medication":
        drug = treatment.drug
        fraction = _dose_fraction(treatment.dose, f"{drug}_standard_dose")
        return f"{drug}_efficacy * {adherence} * {fraction}"
    raise ValueError(f"treatment type {kind!r} has no effect target")


def _dose_fraction(dose: float | None, standard: str) -> str:
    """``min(dose / standard, 1)``, or 1 for the standard dose (``dose`` None)."""
    return "1" if dose is None else f"min({_number(dose)} / {standard}, 1)"


def _target_rules(switches: Sequence[tuple[str, Treatment]]) -> list[tuple[str, str]]:
    """The four targets (:func:`.treatments.combined_targets`) as assignment rules.

    Overlapping treatments of one type combine by independent action,
    ``1 - prod(1 - on_i target_i)``; a switched-off treatment contributes
    exactly nothing.
    """
    terms: list[list[str]] = [[] for _ in TARGET_SLOT]
    for switch, treatment in switches:
        if treatment.type in TARGET_SLOT:
            terms[TARGET_SLOT[treatment.type]].append(
                f"{switch} * {_treatment_target(treatment)}")
    rules = []
    for name, parts in zip(TARGET_INPUTS, terms):
        if not parts:
            rules.append((name, "0"))
        elif len(parts) == 1:
            rules.append((name, parts[0]))
        else:
            rules.append((name, "1 - " + " * ".join(f"(1 - {part})" for part in parts)))
    return rules


def _current_rules(switches: Sequence[tuple[str, Treatment]],
                   changed: Sequence[str]) -> list[tuple[str, str]]:
    """``X_current`` of each changed parameter (:func:`.treatments.parameters_at`).

    ``X (1 - sum on_i) + sum on_i v_i`` with ``v_i`` the set value or ``X`` times
    the scale: exactly ``X`` while no change is on, exactly ``v_i`` while one is.
    """
    rules = []
    for name in changed:
        own = [(switch, t) for switch, t in switches
               if t.type == "parameter_change" and t.parameter == name]
        off = " - ".join(switch for switch, _ in own)
        parts = [f"{name} * (1 - {off})"]
        for switch, treatment in own:
            value = (_number(treatment.value) if treatment.value is not None
                     else f"{name} * {_number(treatment.scale)}")
            parts.append(f"{switch} * {value}")
        rules.append((f"{name}_current", " + ".join(parts)))
    return rules


def _segment_values(segment: Segment,
                    switches: Sequence[tuple[str, Treatment]]) -> dict[str, float]:
    """Every event-driven number in ``segment``: profile values and slopes, switches."""
    values = {name: float(segment.inputs[i]) for i, name in enumerate(SEGMENT_INPUTS)
              if name not in TARGET_INPUTS}
    values.update({switch: 1.0 if treatment.active(segment.start) else 0.0
                   for switch, treatment in switches})
    return values


# --- libsbml plumbing --------------------------------------------------------------


def _libsbml():
    """Import python-libsbml, or raise :class:`ImportError` with the install hint."""
    try:
        import libsbml  # lazy: the optional python-libsbml
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return libsbml


class _ModelWriter:
    """Thin wrapper over a libsbml ``Model`` that checks every call."""

    def __init__(self, libsbml, model, renames: Mapping[str, str]):
        self.libsbml = libsbml
        self.model = model
        self.renames = dict(renames)
        self.units: dict[str, str] = {}

    def check(self, code: int, what: str) -> None:
        """Raise :class:`RuntimeError` if a libsbml call did not succeed."""
        if code != self.libsbml.LIBSBML_OPERATION_SUCCESS:
            message = self.libsbml.OperationReturnValue_toString(code)
            raise RuntimeError(f"libsbml failed to {what}: {message}")

    def math(self, formula: str, rename: bool = False):
        """Parse infix ``formula``; with ``rename`` the equations read ``X_current``."""
        ast = self.libsbml.parseL3Formula(formula)
        if ast is None:
            raise ValueError(f"cannot parse SBML formula {formula!r}: "
                             f"{self.libsbml.getLastParseL3Error()}")
        if rename:
            for old, new in self.renames.items():
                ast.renameSIdRefs(old, new)
        return ast

    def parameter(self, pid: str, value: float, *, constant: bool, units: str | None = None,
                  notes: str | None = None) -> None:
        """Add a global parameter (a state or rule variable when not ``constant``)."""
        if pid in self.units:
            raise ValueError(f"duplicate SBML id {pid!r}")
        self.units[pid] = units or ""
        parameter = self.model.createParameter()
        self.check(parameter.setId(pid), f"set id {pid!r}")
        self.check(parameter.setName(pid), f"name {pid!r}")
        self.check(parameter.setConstant(constant), f"set constant on {pid!r}")
        if value is not None and math.isfinite(value):
            self.check(parameter.setValue(float(value)), f"set value of {pid!r}")
        if units:
            self.check(parameter.setUnits(units), f"set units of {pid!r}")
        if notes:
            self.check(parameter.setNotes(_xhtml([notes])), f"add notes to {pid!r}")

    def number(self, value: float, units: str):
        """A literal number carrying ``units`` (so unit checks can follow it)."""
        ast = self.libsbml.ASTNode(self.libsbml.AST_REAL)
        self.check(ast.setValue(float(value)), f"write the number {value!r}")
        if units:
            self.check(ast.setUnits(units), f"give {value!r} the units {units!r}")
        return ast

    def assignment_rule(self, variable: str, formula: str, rename: bool = True) -> None:
        rule = self.model.createAssignmentRule()
        self.check(rule.setVariable(variable), f"add the rule of {variable!r}")
        self.check(rule.setMath(self.math(formula, rename=rename)),
                   f"set the rule of {variable!r}")

    def rate_rule(self, variable: str, formula: str) -> None:
        rule = self.model.createRateRule()
        self.check(rule.setVariable(variable), f"add the rate rule of {variable!r}")
        self.check(rule.setMath(self.math(formula, rename=True)),
                   f"set the rate rule of {variable!r}")

    def initial_assignment(self, symbol: str, formula: str) -> None:
        assignment = self.model.createInitialAssignment()
        self.check(assignment.setSymbol(symbol), f"add the initial assignment of {symbol!r}")
        self.check(assignment.setMath(self.math(formula)),
                   f"set the initial assignment of {symbol!r}")

    def event(self, eid: str, name: str, time: float, assignments: Mapping[str, float]) -> None:
        """Add an event firing once at ``time`` that sets ``assignments`` (variable -> value)."""
        event = self.model.createEvent()
        self.check(event.setId(eid), f"set id {eid!r}")
        self.check(event.setName(name), f"name {eid!r}")
        self.check(event.setUseValuesFromTriggerTime(True), f"configure {eid!r}")
        trigger = event.createTrigger()
        self.check(trigger.setInitialValue(False), f"configure the trigger of {eid!r}")
        self.check(trigger.setPersistent(True), f"configure the trigger of {eid!r}")
        condition = self.math(f"time >= {_number(time)}")
        condition.replaceChild(1, self.number(time, "day"), True)
        self.check(trigger.setMath(condition), f"set the trigger of {eid!r}")
        for variable, value in assignments.items():
            assignment = event.createEventAssignment()
            self.check(assignment.setVariable(variable), f"assign {variable!r} in {eid!r}")
            self.check(assignment.setMath(self.number(value, self.units[variable])),
                       f"set the assignment of {variable!r} in {eid!r}")


def _xhtml(paragraphs: Iterable[str]) -> str:
    """XHTML ``<body>`` for SBML notes, one ``<p>`` per paragraph (text escaped)."""
    body = "".join(f"<p>{html.escape(text, quote=False)}</p>" for text in paragraphs)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def _model_id(scenario: Scenario) -> str:
    """A valid SBML id from the scenario's file stem or name."""
    stem = os.path.splitext(os.path.basename(scenario.source))[0] if scenario.source else ""
    text = re.sub(r"[^0-9A-Za-z_]+", "_", (stem or scenario.name).strip().lower()).strip("_")
    return text if re.match(r"[A-Za-z_]", text or "0") else f"scenario_{text}"


# --- building the document ---------------------------------------------------------


def _add_units(writer: _ModelWriter) -> None:
    """Unit definitions of :data:`UNIT_DEFINITIONS`; the model's time unit is ``day``."""
    for sid, parts in UNIT_DEFINITIONS.values():
        definition = writer.model.createUnitDefinition()
        writer.check(definition.setId(sid), f"add unit {sid!r}")
        for kind, exponent, scale, multiplier in parts:
            unit = definition.createUnit()
            writer.check(unit.setKind(writer.libsbml.UnitKind_forName(kind)), f"unit {sid!r}")
            writer.check(unit.setExponent(exponent), f"unit {sid!r}")
            writer.check(unit.setScale(scale), f"unit {sid!r}")
            writer.check(unit.setMultiplier(multiplier), f"unit {sid!r}")
    writer.check(writer.model.setTimeUnits("day"), "set the time units")


def _units_of(unit: str) -> str:
    """SBML units id of a table unit (``""`` for one without a definition)."""
    if unit == "dimensionless":
        return "dimensionless"
    return UNIT_DEFINITIONS[unit][0] if unit in UNIT_DEFINITIONS else ""


def _add_parameters(writer: _ModelWriter, p: np.ndarray) -> None:
    """The parameter table: one constant parameter per row, named as in the table."""
    for record in PARAMETERS:
        writer.parameter(record.name, p[INDEX[record.name]], constant=True,
                         units=_units_of(record.unit),
                         notes=f"{record.meaning} Source: {record.source}")


def _add_states(writer: _ModelWriter, scenario: Scenario, y0: np.ndarray) -> None:
    """The states with their initial values (``y0``), healthy formulas and rate rules."""
    healthy = _healthy_initial()
    rates = _rate_rules()
    for i, state in enumerate(STATES):
        writer.parameter(state.name, y0[i], constant=False, units=_units_of(state.unit),
                         notes=f"State: {state.meaning}")
        if state.name in healthy and state.name not in scenario.initial_state:
            writer.initial_assignment(state.name, healthy[state.name])
        writer.rate_rule(state.name, rates[state.name])


def _add_schedule(writer: _ModelWriter, segments: Sequence[Segment],
                  switches: Sequence[tuple[str, Treatment]]) -> None:
    """Event-driven numbers with segment 0's values, and one event per later segment start."""
    values = [_segment_values(segment, switches) for segment in segments]
    treatments = dict(switches)
    for name, value in values[0].items():
        if name in treatments:
            units, notes = "dimensionless", f"1 while {_describe(treatments[name])} is on, else 0."
        else:
            units = ("day" if name == "segment_start"
                     else "per_day" if name.endswith("_slope") else "dimensionless")
            notes = "Segment input (set at every segment start by an event)."
        writer.parameter(name, value, constant=False, units=units, notes=notes)
    for k in range(1, len(segments)):
        changes = {name: value for name, value in values[k].items()
                   if name == "segment_start" or value != values[k - 1][name]}
        start = segments[k].start
        writer.event(f"segment_{k}", f"segment {k} starts on day {start:g}", start, changes)


def _describe(treatment: Treatment) -> str:
    """``"nsaid (day 182.6 to the end)"``: a treatment course in words."""
    stop = "the end" if math.isinf(treatment.stop) else f"day {treatment.stop:g}"
    return f"{treatment.display_name} (day {treatment.start:g} to {stop})"


def _add_rules(writer: _ModelWriter, switches: Sequence[tuple[str, Treatment]],
               changed: Sequence[str]) -> None:
    """Assignment rules: changed parameters, targets, inputs, then the equations."""
    for name, formula in _current_rules(switches, changed):
        writer.parameter(name, math.nan, constant=False,
                         units=_units_of(PARAMETERS[INDEX[name[:-len("_current")]]].unit),
                         notes="Value in effect (parameter_change treatments switch it).")
        writer.assignment_rule(name, formula, rename=False)
    rules = (*_target_rules(switches), *_INPUT_RULES, *_equation_rules())
    for name, formula in rules:
        units = {"posture_target": "degree", "posture_compensation": "degree",
                 "il6_target": "pg_per_mL"}.get(name, "dimensionless")
        writer.parameter(name, math.nan, constant=False, units=units)
        writer.assignment_rule(name, formula)


def _add_notes(writer: _ModelWriter, scenario: Scenario,
               overrides: Mapping[str, float]) -> None:
    """Model notes (description, provenance, disclaimer) and a provenance annotation."""
    paragraphs = [
        f"Scenario: {scenario.name}. {scenario.description}".strip(),
        f"Exported by lbp-headache {__version__} from the scenario "
        f"{scenario.source or '(built in Python)'}"
        + (f" (SHA-256 {scenario.source_hash})" if scenario.source_hash else "") + ".",
        "Time is in days. States are parameters with rate rules; the schedule "
        "(input profiles and treatments) is encoded as events at the segment starts.",
        DISCLAIMER,
    ]
    if overrides:
        settings = ", ".join(f"{k} = {v:g}" for k, v in overrides.items())
        paragraphs.insert(2, f"Parameter overrides at export: {settings}.")
    writer.check(writer.model.setNotes(_xhtml(paragraphs)), "add the model notes")
    attributes = {
        "version": __version__,
        "scenario": scenario.name,
        "source": scenario.source or "",
        "source_hash": scenario.source_hash or "",
        "duration": _number(scenario.duration),
    }
    text = " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())
    annotation = f'<lbp:export xmlns:lbp="{ANNOTATION_NAMESPACE}" {text}/>'
    writer.check(writer.model.setAnnotation(annotation), "add the model annotation")


def scenario_to_sbml(scenario: Scenario, overrides: Mapping[str, float] | None = None) -> str:
    """SBML Level 3 Version 2 document (text) that reproduces :func:`lbp_headache.engine.simulate`.

    Parameters
    ----------
    scenario
        The scenario (see :func:`lbp_headache.load_scenario`).
    overrides
        Extra parameter values in canonical units, applied over the
        scenario's own overrides (as ``simulate(..., overrides=...)``).

    Returns
    -------
    str
        The SBML document (see the module docstring for its contents).

    Raises
    ------
    ImportError
        If python-libsbml is not installed.
    ParameterError
        For an unknown parameter or a value outside its plausible range.
    ValueError
        If ``parameter_change`` treatments of one parameter overlap in time.
    """
    libsbml = _libsbml()
    overrides = dict(overrides or {})
    p = parameter_vector({**scenario.parameters, **overrides})
    if overlapping_parameter_changes(scenario.treatments):
        raise ValueError("parameter_change treatments of one parameter overlap in time")
    segments = build_segments(scenario, p)
    changed = changed_parameters(scenario)
    switches = treatment_switches(scenario)

    document = libsbml.SBMLDocument(SBML_LEVEL, SBML_VERSION)
    model = document.createModel()
    writer = _ModelWriter(libsbml, model, {name: f"{name}_current" for name in changed})
    writer.check(model.setId(_model_id(scenario)), "set the model id")
    writer.check(model.setName(scenario.name), "set the model name")
    _add_notes(writer, scenario, overrides)
    _add_units(writer)
    _add_parameters(writer, p)
    _add_states(writer, scenario, initial_state(scenario, p))
    _add_schedule(writer, segments, switches)
    _add_rules(writer, switches, changed)
    return libsbml.writeSBMLToString(document)


def write_sbml(scenario: Scenario, path: str | os.PathLike,
               overrides: Mapping[str, float] | None = None) -> None:
    """Write :func:`scenario_to_sbml` to ``path`` atomically (temporary file + rename).

    Raises
    ------
    ImportError
        If python-libsbml is not installed.
    ParameterError
        For an unknown parameter or a value outside its plausible range.
    ValueError
        If ``parameter_change`` treatments of one parameter overlap in time.
    OSError
        If the file cannot be written; an existing file is then left unchanged.
    """
    atomic_write_text(path, scenario_to_sbml(scenario, overrides))


def export_sbml(scenario: Scenario, target: str | os.PathLike,
                overrides: Mapping[str, float] | None = None) -> list[str]:
    """Write the SBML of ``scenario`` to ``target`` through its folder's manifest.

    Returns
    -------
    list of str
        Conflict lines (``target`` exists and was not written by the tool);
        empty when the file was written.

    Raises
    ------
    ImportError, ParameterError, ValueError, OSError
        As :func:`write_sbml`.
    """
    target = Path(target)
    with OutputFolder(target.parent) as folder:
        conflicts = folder.conflicts([target.name])
        if conflicts:
            return conflicts
        folder.write_text(target.name, scenario_to_sbml(scenario, overrides))
    return []
