"""Analyses that compute (and never draw): observation, metrics, sweeps, sensitivity."""
