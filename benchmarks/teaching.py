"""Latency of the teaching tools: ``lbp-headache run`` warm, and a slider move in the explorer.

Usage::

    python benchmarks/teaching.py              # both (about 3 minutes on 2 cores)
    python benchmarks/teaching.py --run-only   # the command line only
    python benchmarks/teaching.py --rounds 5

``run``: wall time of the command in a fresh process, warm (caches filled by a
first, discarded round), in interleaved rounds beside two baselines run side
by side: ``python -c pass`` (the interpreter) and ``python -c "import numpy,
scipy.integrate, pint"`` (the imports a run cannot avoid). Reported: median
and worst of the rounds, and the median's ratio to the import floor.

Slider: the explorer served on 127.0.0.1 and driven in headless Chromium; a
slider is set to a new value (an input event, as a drag produces) and the time
is taken in the page from the event to the animation frame that paints the
result (``window.lbpExplorer.latencies``). Side by side, the same slider is set
back to a value already run, which the server answers from its cache: that
baseline is the page's own cost (request, JSON, drawing) without the model.
Cases: the default preset (12 months), and the hardest: multi-modal care (four
treatments) stretched to 36 months with an A/B baseline pinned.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = str(BIN / "lbp-headache")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def wall(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_latency(rounds: int) -> list[tuple[str, float, float, float]]:
    """``(case, median wall s, worst wall s, median CPU s)`` per command, interleaved rounds.

    CPU time is reported beside wall time because other work on the machine
    stretches wall time but hardly the CPU time a command needs.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import numpy, scipy.integrate, pint": [
                sys.executable, "-c", "import numpy, scipy.integrate, pint"],
            "run healthy --no-figures": [CLI, "run", "healthy", "--no-figures", "--out", "r"],
            "run persistent_back_pain --no-figures": [
                CLI, "run", "persistent_back_pain", "--no-figures", "--out", "r"],
            "run multimodal_care --no-figures (18 months, 4 treatments)": [
                CLI, "run", "multimodal_care", "--no-figures", "--out", "r"],
            "run recurring_flares --no-figures (7 flares, 15 segments)": [
                CLI, "run", "recurring_flares", "--no-figures", "--out", "r"],
            "run persistent_back_pain (with both figures)": [
                CLI, "run", "persistent_back_pain", "--out", "r"],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for command in cases.values():  # warm-up: caches, page cache
            wall(command, out)
        for _ in range(rounds):
            for name, command in cases.items():
                times[name].append(wall(command, out))
    return [(name, statistics.median(w for w, _ in t), max(w for w, _ in t),
             statistics.median(c for _, c in t)) for name, t in times.items()]


def slider_latency(moves: int) -> list[dict]:
    """Slider-to-paint latencies (ms) in Chromium, fresh runs and cached ones side by side."""
    from lbp_headache.explorer.server import start_explorer
    from playwright.sync_api import sync_playwright

    explorer = start_explorer(0)
    explorer.warm_up()
    explorer.serve_in_thread()
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=FLAGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000},
                                       bypass_csp=True).new_page()
            page.goto(explorer.url)
            page.wait_for_function("window.lbpExplorer && window.lbpExplorer.rendered > 0",
                                   timeout=60_000)

            def settle():
                page.wait_for_function("window.lbpExplorer.pendingInputs.length === 0 && "
                                       "!window.lbpExplorer.state.inflight", timeout=60_000)
                time.sleep(0.05)

            def measure(case: str, prepare) -> None:
                prepare()
                settle()
                slider = page.locator("input[data-parameter=posture_chain_stiffness]")
                values = [round(0.5 + 2.4 * k / moves, 2) for k in range(moves)]
                fresh, cached = [], []
                for value in values:
                    for target, store in ((value, fresh), (values[0], cached)):
                        before = page.evaluate("window.lbpExplorer.latencies.length")
                        slider.fill(str(target))
                        page.wait_for_function(
                            f"window.lbpExplorer.latencies.length > {before}", timeout=60_000)
                        settle()
                        store.append(page.evaluate("window.lbpExplorer.latencies.at(-1)"))
                results.append({"case": case, "fresh": fresh[1:], "cached": cached[1:]})

            measure("persistent back pain, 12 months", lambda: None)

            def hardest():
                page.select_option("#preset", "untreated_control")
                settle()
                page.click("#pin-a")
                settle()
                page.select_option("#preset", "multimodal_care")
                settle()
                duration = page.locator("#inputs input[type=range]").first
                duration.fill("36")
                settle()

            measure("multimodal care, 36 months, A pinned", hardest)
            browser.close()
    finally:
        explorer.stop()
    return results


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{statistics.median(ordered):.0f} / {p90:.0f} / {ordered[-1]:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--moves", type=int, default=25)
    parser.add_argument("--run-only", action="store_true")
    parser.add_argument("--slider-only", action="store_true")
    args = parser.parse_args(argv)
    print(f"# Teaching latency ({time.strftime('%Y-%m-%d %H:%M')}, {sys.platform}, "
          f"Python {sys.version.split()[0]})\n")
    if not args.slider_only:
        rows = run_latency(args.rounds)
        floor = {name: median for name, median, _, _ in rows}[
            "import numpy, scipy.integrate, pint"]
        print(f"## `lbp-headache run`, warm ({args.rounds} interleaved rounds)\n")
        print("| command | wall median (s) | wall worst (s) | CPU median (s) "
              "| wall median / import floor |")
        print("|---|---|---|---|---|")
        for name, median, worst, cpu in rows:
            print(f"| {name} | {median:.2f} | {worst:.2f} | {cpu:.2f} | {median / floor:.2f} |")
        print()
    if not args.run_only:
        print(f"## Explorer: slider move to painted result ({args.moves - 1} moves per case)\n")
        print("| case | fresh run: median / p90 / max (ms) | cached (page only): median / p90 "
              "/ max (ms) | ratio of medians |")
        print("|---|---|---|---|")
        for row in slider_latency(args.moves):
            ratio = statistics.median(row["fresh"]) / statistics.median(row["cached"])
            print(f"| {row['case']} | {quantiles(row['fresh'])} | {quantiles(row['cached'])} "
                  f"| {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
