"""Scenarios as data: profiles, treatments, the Scenario record and its reader."""
