"""The explorer's technology, measured: a Bokeh server app against the JSON API with uPlot.

Usage (Bokeh is not a dependency: give a folder where it is installed)::

    pip install --target /tmp/bokeh --no-deps bokeh tornado jinja2 markupsafe narwhals xyzservices
    python benchmarks/explorer_candidates.py --bokeh /tmp/bokeh

Both candidates run the same model answer (:class:`lbp_headache.explorer.live.Runner`,
the persistent back-pain preset with a changed ``posture_chain_stiffness``) and
draw the same data: four stacked headache components, lumbar pain and the
threshold, 366 days. Measured side by side in one headless Chromium, in
alternating moves:

- slider to painted result (ms): the chosen explorer, as ``benchmarks/teaching.py``
  measures it; the Bokeh app, from setting the slider model's value in BokehJS
  to the animation frame after its data source changed (the server's Python
  callback ran the model and sent the new columns over Bokeh's websocket);
- what a page loads (bytes of JavaScript and CSS);
- what an install adds (installed size of the packages beyond lbp-headache's own);
- the first page: from navigation to the first drawn result.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
BOKEH_PACKAGES = ("bokeh", "tornado", "jinja2", "markupsafe", "narwhals", "xyzservices")


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bokeh_app(runner, settings):
    """A Bokeh app of the same figure and one slider, calling the same model."""
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, Slider
    from bokeh.plotting import figure

    def make(doc):
        def data(stiffness):
            run = runner.run({**settings, "parameters": {"posture_chain_stiffness": stiffness}})
            c = run["run"]["columns"]
            return {"t": run["run"]["days"], **{k: c[k] for k in (
                "headache_tension_type", "headache_cervicogenic", "headache_migraine",
                "headache_sensitization", "lumbar_pain", "pain_threshold")}}

        source = ColumnDataSource(data(1.0), name="source")
        plot = figure(width=900, height=300, y_range=(0, 10))
        plot.varea_stack(["headache_tension_type", "headache_cervicogenic", "headache_migraine",
                          "headache_sensitization"], x="t", source=source,
                         color=["#0072B2", "#56B4E9", "#D55E00", "#882E72"])
        pain = figure(width=900, height=220, y_range=(0, 10))
        pain.line("t", "lumbar_pain", source=source, color="black", line_dash="dashed")
        pain.line("t", "pain_threshold", source=source, color="#882E72")
        slider = Slider(start=0.2, end=3.0, value=1.0, step=0.01, title="stiffness",
                        name="stiffness")
        slider.on_change("value", lambda attr, old, new: source.data.update(data(new)))
        doc.add_root(column(slider, plot, pain))

    return make


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bokeh", required=True, type=Path,
                        help="a folder where bokeh and its own dependencies are installed")
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.bokeh))
    import bokeh
    from bokeh.server.server import Server
    from lbp_headache.explorer.live import Runner
    from lbp_headache.explorer.presets import load_presets
    from lbp_headache.explorer.server import STATIC, start_explorer
    from playwright.sync_api import sync_playwright
    from tornado.ioloop import IOLoop

    settings = next(p for p in load_presets() if p["id"] == "persistent_back_pain")["settings"]
    runner = Runner()
    runner.run(settings)

    import threading

    holder: dict = {}

    def serve_bokeh():
        import asyncio

        asyncio.set_event_loop(asyncio.new_event_loop())
        server = Server({"/app": bokeh_app(runner, settings)}, port=0, io_loop=IOLoop.current(),
                        allow_websocket_origin=["*"])
        server.start()
        holder["port"] = server.port
        holder["loop"] = IOLoop.current()
        server.io_loop.start()

    thread = threading.Thread(target=serve_bokeh, daemon=True)
    thread.start()
    while "port" not in holder:
        time.sleep(0.05)
    explorer = start_explorer(0)
    explorer.warm_up()
    explorer.serve_in_thread()
    bokeh_url = f"http://127.0.0.1:{holder['port']}/app"

    ours, theirs = [], []
    loads: dict[str, dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        ours_ready = "window.lbpExplorer && window.lbpExplorer.rendered > 0"
        bokeh_ready = ("window.Bokeh && Bokeh.documents.length > 0 && "
                       "Bokeh.documents[0].get_model_by_name('source')")
        for name, url, ready in (("json+uplot", explorer.url, ours_ready),
                                 ("bokeh", bokeh_url, bokeh_ready)):
            context = browser.new_context(bypass_csp=True)
            page = context.new_page()
            sizes: list[int] = []

            def count(response, sizes=sizes):
                if response.request.resource_type in ("script", "stylesheet"):
                    sizes.append(len(response.body()))

            page.on("response", count)
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(ready, timeout=60_000)
            page.wait_for_timeout(300)
            loads[name] = {"first_result_s": time.perf_counter() - start,
                           "script_and_style_bytes": sum(sizes), "page": page}
        page_ours = loads["json+uplot"]["page"]
        page_bokeh = loads["bokeh"]["page"]
        slider = page_ours.locator("input[data-parameter=posture_chain_stiffness]")
        for k in range(args.moves):
            value = round(0.5 + 2.4 * k / args.moves, 2)
            before = page_ours.evaluate("window.lbpExplorer.latencies.length")
            slider.fill(str(value))
            page_ours.wait_for_function(f"window.lbpExplorer.latencies.length > {before}")
            ours.append(page_ours.evaluate("window.lbpExplorer.latencies.at(-1)"))
            theirs.append(page_bokeh.evaluate(
                """async (value) => {
                    const doc = Bokeh.documents[0];
                    const slider = doc.get_model_by_name('stiffness');
                    const source = doc.get_model_by_name('source');
                    const t0 = performance.now();
                    await new Promise((resolve) => {
                        source.change.connect(function done() {
                            source.change.disconnect(done); resolve();
                        });
                        slider.value = value;
                    });
                    await new Promise((r) => requestAnimationFrame(() => r()));
                    return performance.now() - t0;
                }""", value))
            time.sleep(0.05)
        browser.close()
    explorer.stop()
    holder["loop"].add_callback(holder["loop"].stop)

    installed = sum(folder_bytes(args.bokeh / name) for name in BOKEH_PACKAGES
                    if (args.bokeh / name).exists())
    ours_static = folder_bytes(STATIC)
    print(f"# Explorer candidates ({time.strftime('%Y-%m-%d %H:%M')}; bokeh {bokeh.__version__})\n")
    print("| | JSON API + vendored uPlot (chosen) | Bokeh server app |")
    print("|---|---|---|")
    print(f"| slider to painted result, median / max (ms, {len(ours)} moves each, alternating) "
          f"| {statistics.median(ours):.0f} / {max(ours):.0f} "
          f"| {statistics.median(theirs):.0f} / {max(theirs):.0f} |")
    print(f"| first page to first result (s) | {loads['json+uplot']['first_result_s']:.2f} "
          f"| {loads['bokeh']['first_result_s']:.2f} |")
    print(f"| JavaScript and CSS a page loads (kB) "
          f"| {loads['json+uplot']['script_and_style_bytes'] / 1e3:.0f} "
          f"| {loads['bokeh']['script_and_style_bytes'] / 1e3:.0f} |")
    print(f"| what an install adds (MB) | {ours_static / 1e6:.2f} (the page's own files) "
          f"| {installed / 1e6:.1f} ({', '.join(BOKEH_PACKAGES)}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
