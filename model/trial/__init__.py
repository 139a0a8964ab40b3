"""Virtual clinical trials: every arm on the same virtual patients, replicated."""
