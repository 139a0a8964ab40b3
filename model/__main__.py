"""``python -m model``: the ``lbp-headache`` command line."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
