"""The ``lbp-headache`` command line: it parses, calls and prints."""
