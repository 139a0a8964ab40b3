"""The explorer: a local web app to explore the model live (``lbp-headache explore``).

A small JSON API on Python's own HTTP server (:mod:`.server`) and one page of
plain JavaScript with the vendored uPlot chart library (``static/``): nothing
to install beyond the package, nothing loaded from the internet. Settings
travel as scenario YAML (:mod:`.settings`), runs use the compiled batch engine
(:mod:`.live`), the presets are the bundled scenarios with a question each
(:mod:`.presets`), and the hysteresis view raises and lowers the back pain
slowly (:mod:`.hysteresis`), and the virtual clinic runs small trials in the
designs of the bundled ones (:mod:`.clinic`, computed by
:mod:`lbp_headache.trial.clinic`).
"""
