"""Calibration: published figures as targets, and the model's value beside each one."""
