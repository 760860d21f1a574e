"""Cold start of `painauth check`: this tree against an earlier revision, measured in one run.

Each sample is a fresh interpreter running `painauth check --input <sample>` (what a scheduler's
script or another system pays per call). The two trees' samples are interleaved so the machine's
load falls on both alike; `import tracker.rules` alone (the engine, the floor any check pays) is
measured beside them.

    .venv/bin/python bench/cli_start.py --baseline 037ac4a --runs 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "checks" / "aetna-esi-limit-reached.input.json"


def _command(tree: Path) -> list[str]:
    code = (f"import sys; sys.path.insert(0, {str(tree)!r}); from tracker.cli import main; "
            f"sys.exit(main(['check', '--input', {str(SAMPLE)!r}]))")
    return [sys.executable, "-c", code]


def _engine_import(tree: Path) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tree)!r}); import tracker.rules"]


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    return time.perf_counter() - started


def _checkout(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="037ac4a", help="the revision to compare with")
    parser.add_argument("--runs", type=int, default=20, help="samples per tree (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = _checkout(args.baseline, Path(folder))
        commands = {"baseline check": _command(baseline), "this tree check": _command(ROOT),
                    "import tracker.rules": _engine_import(ROOT)}
        for command in commands.values():  # warm the file cache and bytecode of both trees
            _seconds(command)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(_seconds(command))
    print(f"{os.cpu_count()} cores, 1-minute load {os.getloadavg()[0]:.1f}; {args.runs} interleaved "
          f"samples each (min / median / max, ms)")
    for name, values in samples.items():
        print(f"  {name:22} {min(values) * 1000:6.0f} / {statistics.median(values) * 1000:6.0f} / "
              f"{max(values) * 1000:6.0f}")
    ratio = statistics.median(samples["this tree check"]) / statistics.median(samples["baseline check"])
    floor = statistics.median(samples["this tree check"]) / statistics.median(
        samples["import tracker.rules"])
    print(f"this tree / baseline (medians): {ratio:.2f}x (target ≤ 1.5x); "
          f"check / import tracker.rules: {floor:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
