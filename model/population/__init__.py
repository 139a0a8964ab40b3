"""Virtual populations: plausible patients drawn from priors, included and selected."""
