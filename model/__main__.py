"""``python -m lbp_headache``: the ``lbp-headache`` command line."""

from lbp_headache.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
