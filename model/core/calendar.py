"""Two kinds of "month", named apart: the 28-day metric window and the calendar month.

``METRIC_MONTH_DAYS`` (28 days)
    The window in which headache days are counted, as headache trials count
    them ("headache days per 28 days"): every ``headache_days_per_month``
    metric, the monthly windows of ``summary.json``, the responder baseline.
``CALENDAR_MONTH_DAYS`` (a year / 12 = 30.4375 days)
    What ``6 months`` means in a scenario file: pint's ``month``, a twelfth of
    the Julian year of 365.25 days (a test checks pint agrees). Calendar
    months label time axes and the ``--explain`` listing.
"""

from __future__ import annotations

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25
CALENDAR_MONTH_DAYS = DAYS_PER_YEAR / 12.0
METRIC_MONTH_DAYS = 28.0
METRIC_MONTH = int(METRIC_MONTH_DAYS)  # the same window as a number of whole days
