"""Latency of the explorer's virtual clinic: one small trial, as the page asks for it.

Usage::

    python benchmarks/clinic.py             # every bundled trial, every population size
    python benchmarks/clinic.py --sizes 300

For each bundled trial and each population size the page offers, times
:meth:`lbp_headache.explorer.clinic.Clinic.run` (what ``POST /api/clinic``
calls) with the trial's own arms from a fresh :class:`Clinic` ("cold": the
population is built, then the trial), then again with one arm more on the
same clinic ("warm": the population is reused; only the trial runs). The
engine is compiled (and the numba cache loaded) by a first, discarded run.
Wall time and this process's CPU time are reported; wall time stretches
when other work shares the machine, CPU time hardly.
"""

from __future__ import annotations

import argparse
import resource
import time

from lbp_headache.explorer.clinic import Clinic
from lbp_headache.trial.clinic import VIRTUAL_PATIENTS, offered_arms


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(clinic: Clinic, body: dict) -> tuple[float, float, dict]:
    wall0, cpu0 = time.perf_counter(), cpu()
    view = clinic.run(body)
    return time.perf_counter() - wall0, cpu() - cpu0, view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(VIRTUAL_PATIENTS))
    args = parser.parse_args()
    warm_up = Clinic()
    name = next(iter(warm_up.designs))
    warm_up.run({"trial": name, "arms": list(warm_up.designs[name].arm_names)})
    print("| trial | virtual patients | candidates | cold wall s | cold CPU s | "
          "warm wall s (one arm more) | warm CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, design in Clinic().designs.items():
        extra = next(a.name for a in offered_arms(design) if a.name not in design.arm_names)
        for size in args.sizes:
            clinic = Clinic()
            body = {"trial": name, "arms": list(design.arm_names), "virtual_patients": size}
            cold, cold_cpu, view = timed(clinic, body)
            warm, warm_cpu, _ = timed(clinic, dict(body, arms=[*body["arms"], extra]))
            print(f"| {name} | {size} | {view['candidates']:,} | {cold:.2f} | {cold_cpu:.2f} | "
                  f"{warm:.2f} | {warm_cpu:.2f} |", flush=True)


if __name__ == "__main__":
    main()
