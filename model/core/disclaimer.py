"""The disclaimer and the red flags that every report, page and output carries.

The red flags are the urgent warning signs of the project's science brief
(§5): they rule out this model's reasoning and need a doctor the same day.
"""

from __future__ import annotations

DISCLAIMER = (
    "lbp-headache is an educational and research model, not a diagnostic tool and "
    "not medical advice."
)
RED_FLAGS: tuple[str, ...] = (
    "sudden loss of bowel or bladder control",
    "sudden severe leg weakness or numbness",
    "high fever or chills",
    "unrelenting pain not relieved by rest",
    "unexplained weight loss",
    "back pain worse when lying down",
    "new severe pain with a history of cancer",
)


def disclaimer_line() -> str:
    """The one-line disclaimer printed at the end of every report."""
    return f"{DISCLAIMER} See a doctor the same day for: {'; '.join(RED_FLAGS)}."
