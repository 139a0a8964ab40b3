"""Global and local sensitivity analysis."""
