"""The explorer: a local web app to explore the model live (``lbp-headache explore``).

A small JSON API on Python's own HTTP server (:mod:`.server`) and one page of
plain JavaScript with the vendored uPlot chart library (``static/``): nothing
to install beyond the package, nothing loaded from the internet. Settings
travel as scenario YAML (:mod:`.settings`), runs use the compiled batch engine
(:mod:`.live`), the presets are the bundled scenarios with a question each
(:mod:`.presets`), and the hysteresis view raises and lowers the back pain
slowly (:mod:`.hysteresis`).

The virtual clinic (small trials of virtual patients) is not here yet: it needs
virtual populations and trials (issue 13). Its place is reserved: a ``clinic``
route in :data:`.server.ROUTES` and a tab in ``static/index.html``.
"""
