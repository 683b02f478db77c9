"""Run every benchmark (or those named), each in its own process, even when one fails.

``python -m benchmarks [--quick] [name ...]``: prints each benchmark's output as it comes,
then every ``BENCH`` line together and which benchmarks failed; exits 1 if any benchmark
failed or, in a full run, missed a goal.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def names() -> list[str]:
    """Every benchmark module: the files here not starting with an underscore."""
    return sorted(path.stem for path in HERE.glob("[a-z]*.py"))


def run(name: str, quick: bool) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; its exit status and its BENCH lines."""
    argv = [sys.executable, "-u", "-m", f"benchmarks.{name}", *(["--quick"] if quick else [])]
    lines = []
    with subprocess.Popen(
        argv, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("BENCH "):
                lines.append(line.rstrip("\n"))
    return process.returncode, lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes that run in seconds; goals not judged")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(names())})")
    args = parser.parse_args()
    if unknown := set(args.names) - set(names()):
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    failed, every = [], []
    for name in args.names or names():
        print(f"== {name}", flush=True)
        status, lines = run(name, args.quick)
        every += lines
        if status != 0:
            failed.append(name)
    print("== summary")
    print("\n".join(every))
    if failed:
        print(f"failed or missed a goal: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
