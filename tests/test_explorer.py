"""The explorer's Python side: settings as scenario files, presets, runs, and the HTTP API.

The page itself is driven in a real browser in tests/test_browser.py.
"""

from __future__ import annotations

import http.client
import json
import math

import pytest
from lbp_headache import load_scenario, simulate, summarize
from lbp_headache.core.errors import ScenarioError
from lbp_headache.core.parameters import NAMES, PARAMETERS
from lbp_headache.explorer.controls import NO_SLIDER, slider_groups
from lbp_headache.explorer.hysteresis import hysteresis
from lbp_headache.explorer.live import Runner, batch_result
from lbp_headache.explorer.presets import QUESTIONS, load_presets
from lbp_headache.explorer.server import MAX_BODY, start_explorer
from lbp_headache.explorer.settings import scenario_settings, settings_to_yaml
from lbp_headache.files.bundled import BUNDLED_FOLDER, bundled_names
from lbp_headache.scenario.reader import load_scenario_text
from numpy.testing import assert_allclose


@pytest.fixture(scope="module")
def presets():
    return {preset["id"]: preset for preset in load_presets()}


def test_every_parameter_has_one_slider_and_every_group_shows_a_few():
    groups = slider_groups()
    names = [name for group in groups for name in group["main"] + group["more"]]
    diary_only = [p.name for p in PARAMETERS if p.group in NO_SLIDER]
    assert diary_only and sorted(names + diary_only) == sorted(NAMES)
    assert all(1 <= len(group["main"]) <= 3 for group in groups)
    assert "posture_chain_stiffness" in groups[0]["main"]


def test_every_bundled_scenario_is_a_preset_with_a_question(presets):
    assert set(presets) == set(bundled_names())
    assert set(QUESTIONS) == set(bundled_names())
    assert all(preset["question"].endswith("?") or "?" in preset["question"]
               for preset in presets.values())


@pytest.mark.parametrize("name", bundled_names())
def test_a_preset_saved_as_yaml_is_the_same_scenario(presets, name):
    """The explorer's file of a preset runs exactly as the bundled file does."""
    original = load_scenario(BUNDLED_FOLDER / f"{name}.yaml")
    text = settings_to_yaml(presets[name]["settings"])
    assert "extends:" not in text and "type: diary" not in text  # self-contained
    rebuilt = load_scenario_text(text)
    assert rebuilt.duration == pytest.approx(original.duration, rel=1e-12)
    for key in ("lumbar_pain", "disc_degeneration", "ergonomic_load"):
        assert_allclose(getattr(rebuilt, key).pieces, getattr(original, key).pieces,
                        rtol=1e-11, atol=1e-11)
    assert dict(rebuilt.parameters) == pytest.approx(dict(original.parameters), rel=1e-9)
    assert len(rebuilt.treatments) == len(original.treatments)
    for mine, theirs in zip(sorted(rebuilt.treatments, key=repr),
                            sorted(original.treatments, key=repr)):
        assert mine.type == theirs.type and mine.drug == theirs.drug
        assert mine.start == pytest.approx(theirs.start, rel=1e-12)
        assert mine.stop == pytest.approx(theirs.stop, rel=1e-12)
        assert (mine.dose, mine.adherence, mine.intensity) == (theirs.dose, theirs.adherence,
                                                              theirs.intensity)


def test_loading_a_saved_file_gives_back_the_settings(presets):
    settings = presets["multimodal_care"]["settings"]
    again = scenario_settings(load_scenario_text(settings_to_yaml(settings)))
    assert again["treatments"] == settings["treatments"]
    assert settings_to_yaml(again) == settings_to_yaml(settings)


@pytest.mark.parametrize("name", ["persistent_back_pain", "multimodal_care", "recurring_flares",
                                  "physical_therapy_stopped_early"])
def test_the_live_run_gives_what_simulate_gives(name):
    scenario = load_scenario(BUNDLED_FOLDER / f"{name}.yaml")
    live = summarize(batch_result(scenario))["metrics"]
    simulated = simulate(scenario)
    reference = summarize(simulated)["metrics"]
    assert live["headache_days_per_month"] == pytest.approx(
        reference["headache_days_per_month"], abs=2e-3)
    # The live run has whole days only: a scenario of 12 months (365.25 days) ends on day 365
    # there, and the threshold still falling in the last quarter day moves the minimum by up
    # to 1e-4. On the same whole days the two integrators agree to 3e-9.
    assert live["min_pain_threshold"] == pytest.approx(
        float(simulated.daily["pain_threshold"].min()), abs=1e-7)


def test_a_b_difference_adds_up_by_pathway(presets):
    runner = Runner()
    answer = runner.run(presets["physical_therapy"]["settings"],
                        presets["untreated_control"]["settings"])
    difference = sum(answer["difference"].values())
    expected = (answer["run"]["metrics"]["headache_days_per_month"]
                - answer["baseline"]["metrics"]["headache_days_per_month"])
    assert difference == pytest.approx(expected, abs=1e-9)
    assert answer["difference"]["mechanical"] < 0  # physical therapy acts on the mechanics


def test_bad_settings_are_problems_not_crashes(presets):
    settings = json.loads(json.dumps(presets["healthy"]["settings"]))
    settings["parameters"] = {"posture_chain_stiffness": 9.0}
    with pytest.raises(ScenarioError, match="posture_chain_stiffness.*plausible range"):
        Runner().run(settings)
    settings["parameters"] = {"no_such": 1.0}
    with pytest.raises(ScenarioError, match="unknown parameter"):
        settings_to_yaml(settings)
    with pytest.raises(ScenarioError, match="expected a number"):
        settings_to_yaml({**presets["healthy"]["settings"], "duration": "long"})


def test_hysteresis_loop_recovers_by_default_and_sticks_in_a_susceptible_patient(presets):
    runner = Runner()
    # Feedback above the bistability bound at zero pain (docs/model.md, "Chronification").
    susceptible = dict(presets["persistent_back_pain"]["settings"],
                       parameters={"sensitization_feedback": 1.8})
    stuck = hysteresis(runner, susceptible)
    assert stuck["stuck"] and stuck["recovers_at"] is None
    # The default patient falls gradually (no jump) and recovers once the pain is gone,
    # gradually: Kosek & Ordeberg 2000's months.
    loop = hysteresis(runner, presets["persistent_back_pain"]["settings"])
    assert not loop["stuck"] and loop["recovers_at"] is None and loop["falls_at"] is None
    assert loop["final_threshold"] > 0.95
    # A knife-edge patient (the earlier structure: a steep, cooperative response) falls
    # abruptly: the jump is found where the drive crosses the switch.
    knife_edge = dict(presets["persistent_back_pain"]["settings"], parameters={
        "sensitization_hill": 6.0, "sensitization_half_drive": 0.55,
        "sensitization_feedback": 1.0, "tau_sensitization": 50.0})
    switch = hysteresis(runner, knife_edge)
    assert 2.0 < switch["falls_at"]["lumbar_pain"] < 7.0
    # Late treatment meets a lower threshold and leaves more headache (duloxetine, the example).
    timing = stuck["timing"]
    assert timing["example"] and timing["treatments"] == ["neuropathic_medication"]
    assert timing["early"]["threshold_at_start"] > timing["late"]["threshold_at_start"]
    assert (timing["early"]["headache_days_per_month"]
            < timing["late"]["headache_days_per_month"])


# --- the HTTP API ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    explorer = start_explorer(0)
    explorer.serve_in_thread()
    yield explorer
    explorer.stop()


def request(server, method, path, body=None, host=None, raw=None, length=None):
    """One request; ``length`` announces a ``Content-Length`` without sending that much.

    (The server refuses an oversized body from its header alone and closes the
    connection; sending the body itself would race that close.)
    """
    port = server.server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Host": host or f"127.0.0.1:{port}", "Content-Type": "application/json"}
    if length is not None:
        headers["Content-Length"] = str(length)
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload


def test_the_page_and_its_files_are_served_and_nothing_else(server):
    status, page = request(server, "GET", "/")
    assert status == 200 and b"uPlot.iife.min.js" in page
    assert request(server, "GET", "/static/vendor/uPlot.iife.min.js")[0] == 200
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/etc/passwd",
                 "/static/vendor/../../settings.py", "/api/nothing"):
        assert request(server, "GET", path)[0] == 404, path


def test_another_host_is_refused(server):
    assert request(server, "GET", "/api/meta", host="evil.example:80")[0] == 403
    assert request(server, "POST", "/api/run", {"settings": {}}, host="evil.example")[0] == 403


def test_meta_has_parameters_presets_disclaimer_and_red_flags(server):
    status, body = request(server, "GET", "/api/meta")
    meta = json.loads(body)
    assert status == 200
    assert set(meta["parameters"]) == set(NAMES)
    assert len(meta["red_flags"]) == 7 and "not a diagnostic tool" in meta["disclaimer"]
    assert {p["id"] for p in meta["presets"]} == set(bundled_names())


def test_run_answers_the_model_and_bad_input_is_400(server, presets):
    status, body = request(server, "POST", "/api/run",
                           {"settings": presets["desk_worker"]["settings"]})
    assert status == 200
    run = json.loads(body)["run"]
    reference = summarize(simulate(load_scenario(BUNDLED_FOLDER / "desk_worker.yaml")))
    assert run["metrics"]["headache_days_per_month"] == pytest.approx(
        reference["metrics"]["headache_days_per_month"], abs=2e-3)
    assert all(math.isfinite(v) for v in run["columns"]["headache"])
    bad = dict(presets["desk_worker"]["settings"], parameters={"tau_posture": 1000.0})
    status, body = request(server, "POST", "/api/run", {"settings": bad})
    assert status == 400 and "tau_posture" in json.loads(body)["problems"][0]
    assert request(server, "POST", "/api/run", raw=b"{not json")[0] == 400
    assert request(server, "POST", "/api/run", raw=b"[1, 2]")[0] == 400
    assert request(server, "POST", "/api/run", raw=b"", length=MAX_BODY + 1)[0] == 413


def test_load_reads_text_only_and_names_the_line(server):
    status, body = request(server, "POST", "/api/load",
                           {"text": "duration: 12 months\nlumbar_pain: 12\n"})
    problems = json.loads(body)["problems"]
    assert status == 400 and problems[0].startswith("<scenario text>:2: lumbar_pain")
    status, body = request(server, "POST", "/api/load",
                           {"text": "extends: /etc/passwd\nduration: 1 year\n"})
    assert status == 400
    status, body = request(server, "POST", "/api/load", {"text": "duration: 6 months\n"})
    assert status == 200 and json.loads(body)["settings"]["duration"] == pytest.approx(182.625)


def test_the_clinic_is_offered_and_bad_requests_are_400_with_one_line(server):
    meta = json.loads(request(server, "GET", "/api/meta")[1])
    trials = {t["id"]: t for t in meta["clinic"]["trials"]}
    assert set(trials) == set(bundled_names("trial"))
    manual = trials["manual_therapy_ctth"]
    assert manual["control"] == "usual_care" and manual["question"]
    assert [a["name"] for a in manual["arms"] if a["own"]] == ["manual_therapy", "usual_care"]
    cases = [
        ({"trial": "manual_therapy", "arms": ["usual_care"]},
         "unknown trial 'manual_therapy'; did you mean 'manual_therapy_ctth'?"),
        ({"trial": "manual_therapy_ctth", "arms": ["manual_therapy", "physio"]},
         "unknown arm 'physio'"),
        ({"trial": "manual_therapy_ctth", "arms": ["manual_therapy"]},
         "the control arm 'usual_care' must be one of the arms"),
        ({"trial": "manual_therapy_ctth", "arms": ["usual_care"]}, "1 arms; a trial has 2 to"),
        ({"trial": "manual_therapy_ctth", "arms": ["manual_therapy", "usual_care", "placebo",
                                                  "nsaid"]}, "more than the 300 virtual"),
        ({"trial": "manual_therapy_ctth", "arms": ["usual_care", "placebo"],
          "virtual_patients": 123}, "virtual_patients: 123; one of 300, 500, 1000"),
        ({"trial": "manual_therapy_ctth", "arms": "usual_care"}, "arms: expected a list"),
        ({"trial": "manual_therapy_ctth", "arms": ["usual_care", "placebo"],
          "replicates": 1.5}, "replicates: expected a whole number"),
    ]
    for body, message in cases:
        status, answer = request(server, "POST", "/api/clinic", body)
        problems = json.loads(answer)["problems"]
        assert status == 400 and len(problems) == 1 and message in problems[0], (body, problems)
    assert request(server, "GET", "/api/clinic")[0] == 404
