"""The explorer's presets: the bundled scenarios, each with a question for the class.

The guided-preset habit of the best teaching simulations (PhET, Covasim's web
app): a preset does not only load a scenario, it asks what to look for. Every
bundled scenario has a question here (a test checks none is missing).
"""

from __future__ import annotations

from lbp_headache.explorer.settings import scenario_settings
from lbp_headache.files.bundled import BUNDLED_FOLDER, bundled_names
from lbp_headache.scenario.reader import load_scenario

# In the order a lecture would take them: baseline, the pathways, chronification, treatments.
QUESTIONS: dict[str, str] = {
    "healthy": "No back pain, no disc degeneration, a good desk: what headache load is left, "
               "and why is that the baseline for every other scenario?",
    "persistent_back_pain": "The back pain eases over the year, yet the headache grows: which "
                            "pathway takes over after month 2, and what happened to the pain "
                            "threshold?",
    "published_persistent_course": "The published average of people whose back pain "
                                   "persists, two thirds of the default patient's pain: "
                                   "pin persistent_back_pain as A. How much less does this "
                                   "threshold fall, and how many headache days go with it?",
    "acute_back_pain": "An acute episode that recovers: does the headache go away with the "
                       "back pain, and does the threshold come all the way back?",
    "desk_worker": "Only mild back pain but a poor desk set-up: which pathway drives this "
                   "headache, and which treatment toggle would you try first?",
    "high_posture_chain_stiffness": "Twice the posture-chain stiffness: move the slider "
                                    "between 0.5 and 3. Which headache components grow?",
    "disc_herniation": "An inflamed disc that settles by month 9: how quickly do IL-6 and "
                       "TNF-α fall, and how slowly does the migraine-like part follow?",
    "chronification": "The back pain is gone after month 6: why does the headache stay? Lower "
                      "sensitization_feedback until it goes away with the pain.",
    "recurring_flares": "Flares every 8 weeks: does each flare leave the threshold a little "
                        "lower than the one before?",
    "diary_example": "A real-looking pain diary: where does the headache follow the back pain "
                     "day by day, and where does it lag behind?",
    "untreated_control": "The control arm for every treatment: pin it as A, then load a "
                         "treatment as B. How many headache days does each pathway give back?",
    "physical_therapy": "Physiotherapy from month 6 of persistent back pain: which pathway "
                        "falls first, and which one barely moves?",
    "physical_therapy_stopped_early": "Physical therapy for only 6 weeks: when does the "
                                      "headache come back, and why, if the back pain remains?",
    "ergonomics": "Ergonomic changes act within days: why do they remove only part of the "
                  "mechanical headache?",
    "nsaid": "An anti-inflammatory drug from month 6: which part of the headache does it "
             "lower, and which does it leave?",
    "duloxetine": "Duloxetine retrains a sensitized nervous system: how many weeks before the "
                  "threshold recovers, and which component falls?",
    "multimodal_care": "All four treatments together: compare with the best single treatment "
                       "(pin it as A). Is the whole more than the sum of its parts?",
    "nsaid_on_sensitization": "An NSAID after the back pain has gone: why does it barely help "
                              "once the system is sensitized? Try duloxetine instead.",
}


def preset_names() -> list[str]:
    """Bundled scenario names in :data:`QUESTIONS` order, then any without a question."""
    names = bundled_names()
    return [n for n in QUESTIONS if n in names] + [n for n in names if n not in QUESTIONS]


def load_presets() -> list[dict]:
    """Every bundled scenario as ``{"id", "title", "question", "settings"}``.

    A bundled scenario that the explorer cannot show (it sets ``initial_state``)
    is left out; a test checks that every bundled scenario loads.
    """
    presets = []
    for name in preset_names():
        scenario = load_scenario(BUNDLED_FOLDER / f"{name}.yaml")
        presets.append({"id": name, "title": scenario.name,
                        "question": QUESTIONS.get(name, ""),
                        "settings": scenario_settings(scenario)})
    return presets
