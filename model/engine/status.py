"""Status codes of one parameter set in the batch engine, and their meaning in words."""

from __future__ import annotations

OK, OUT_OF_RANGE, NOT_FINITE, TOO_MANY_STEPS = 0, 1, 2, 3
STATUS_TEXT = {
    OK: "ok",
    OUT_OF_RANGE: "a state left its physical range",
    NOT_FINITE: "a state became infinite or NaN",
    TOO_MANY_STEPS: "the step limit was reached",
}
