"""Run every benchmark (or those named), each in its own process, even when one fails.

``python -m benchmarks [--quick] [name ...]``: prints each benchmark's output as it comes,
then every ``BENCH`` line together and which benchmarks failed; exits 1 if any benchmark
failed or, in a full run, missed a goal. A full run of every benchmark also writes all it
printed to ``docs/bench-results.txt``, headed by the commit and the machine it ran on: the
figures the docs point to, never typed by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "docs" / "bench-results.txt"


def names() -> list[str]:
    """Every benchmark module: the files here not starting with an underscore."""
    return sorted(path.stem for path in HERE.glob("[a-z]*.py"))


def run(name: str, quick: bool, output: list[str]) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output and adding it to ``output``; its exit status and
    its BENCH lines."""
    argv = [sys.executable, "-u", "-m", f"benchmarks.{name}", *(["--quick"] if quick else [])]
    lines = []
    with subprocess.Popen(
        argv, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            output.append(line)
            if line.startswith("BENCH "):
                lines.append(line.rstrip("\n"))
    return process.returncode, lines


def git(*argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()


def machine() -> str:
    """What the figures were measured on: they mean little without it."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown processor",
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores of {model}, {memory:.0f} GiB, {platform.system()} {platform.release()}"


def write_results(output: list[str]) -> None:
    commit = git("log", "-1", "--format=%H %s")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    header = [
        f"make bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"commit: {commit}{dirty}",
        f"machine: {machine()}",
        "",
    ]
    RESULTS.write_text("\n".join(header) + "".join(output))
    print(f"written to {RESULTS.relative_to(HERE.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes that run in seconds; goals not judged")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(names())})")
    args = parser.parse_args()
    if unknown := set(args.names) - set(names()):
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    failed, every, output = [], [], []
    for name in args.names or names():
        output.append(f"== {name}\n")
        print(output[-1], end="", flush=True)
        status, lines = run(name, args.quick, output)
        every += lines
        if status != 0:
            failed.append(name)
    output += ["== summary\n", *(line + "\n" for line in every)]
    if failed:
        output.append(f"failed or missed a goal: {', '.join(failed)}\n")
    print("".join(output[output.index("== summary\n") :]), end="")
    if not args.quick and not args.names:
        write_results(output)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
