"""`painauth demo` on an idle machine and with every core kept busy: does it still pass, and how
long does it take?

Each run is a fresh `painauth demo` in its own PAINAUTH_HOME and PREFECT_HOME (so every run starts
Prefect's server anew), exactly as `make demo` runs it. The loaded runs first start one
`python3 -c 'while True: pass'` per core; they are stopped when the runs end, also on failure.
A run passes when it exits 0 with no traceback and no error-level line.

    .venv/bin/python bench/demo_under_load.py --runs 3 --busy 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAINAUTH = Path(sys.executable).with_name("painauth")
LIMIT_SECONDS = 900  # a run still going after this is killed and counted as failed


def demo_once() -> tuple[bool, float, str]:
    with tempfile.TemporaryDirectory(prefix="painauth-demo-bench-") as folder:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PREFECT_", "PAINAUTH_"))}
        env |= {"PAINAUTH_HOME": f"{folder}/home", "PREFECT_HOME": f"{folder}/prefect",
                "COLUMNS": "200"}
        started = time.perf_counter()
        try:
            run = subprocess.run([str(PAINAUTH), "demo"], cwd=folder, env=env, text=True,
                                 capture_output=True, timeout=LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            return False, time.perf_counter() - started, f"still running after {LIMIT_SECONDS} s"
        elapsed = time.perf_counter() - started
        output = run.stdout + run.stderr
        problems = [line for line in output.splitlines()
                    if "Traceback" in line or " ERROR " in line or "| ERROR" in line]
        if run.returncode != 0 or problems:
            return False, elapsed, (problems or output.splitlines()[-3:] or ["no output"])[0]
        return True, elapsed, ""


def series(label: str, runs: int, busy: int) -> None:
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(busy)]
    try:
        results = []
        for index in range(runs):
            ok, seconds, why = demo_once()
            load = os.getloadavg()[0]
            results.append((ok, seconds))
            print(f"{label} run {index + 1}: {'passed' if ok else 'FAILED'} in {seconds:.0f} s "
                  f"(1-minute load {load:.1f}){': ' + why if why else ''}", flush=True)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    times = [s for _, s in results]
    passed = sum(ok for ok, _ in results)
    print(f"{label}: {passed} of {runs} passed; {min(times):.0f} / {statistics.median(times):.0f} / "
          f"{max(times):.0f} s (min / median / max)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per series (default 3)")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2,
                        help="busy processes in the loaded series (default: one per core)")
    parser.add_argument("--idle-runs", type=int, default=1,
                        help="runs with no busy process first (default 1)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; 1-minute load before: {os.getloadavg()[0]:.1f}", flush=True)
    if args.idle_runs:
        series("no busy process", args.idle_runs, 0)
    series(f"{args.busy} busy processes", args.runs, args.busy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
