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
    scores = {}
    for choice in choices:
        matcher = difflib.SequenceMatcher(None, lowered, choice.lower()[:len(lowered)])
        # quick_ratio() bounds ratio() from above: a choice that cannot reach 0.8 cannot be
        # the suggestion, nor tie with it (as difflib.get_close_matches skips them).
        scores[choice] = matcher.ratio() if matcher.quick_ratio() >= 0.8 else 0.0
    best = max(scores, key=scores.get, default=None)
    if best is not None and scores[best] >= 0.8:
        if sum(score == scores[best] for score in scores.values()) == 1:
            return f"; did you mean '{best}'?"
    return ""
