"""Did-you-mean hints for a misspelt name: parameters, keys, units, treatments, commands."""

from __future__ import annotations

import difflib


def suggest(name: str, choices) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``.

    ``difflib`` alone misses abbreviations such as ``physio`` for
    ``physical_therapy``, so a name of four letters or more is also compared
    with the start of each choice (a unique best match of at least 0.8).
    """
    choices = list(choices)
    if not isinstance(name, str) or len(name) > 2 * max(map(len, choices), default=0) + 10:
        return ""  # nothing is that close, and difflib's cost grows with the length
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if len(name) < 4:
        return ""
    lowered = name.lower()
    scores = {c: difflib.SequenceMatcher(None, lowered, c.lower()[:len(lowered)]).ratio()
              for c in choices}
    best = max(scores, key=scores.get, default=None)
    if best is not None and scores[best] >= 0.8:
        if sum(score == scores[best] for score in scores.values()) == 1:
            return f"; did you mean '{best}'?"
    return ""
