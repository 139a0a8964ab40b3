"""Parameter sweeps: the specification, its design, chunks and the runner."""
