"""Engines: the schedule of segments, the single-run solver and the batch engine."""
