"""Cold builds by two or more digest installs taking turns: which is faster, on a machine whose speed drifts.

Usage: python benchmarks/turns.py A/bin/digest B/bin/digest [--launches 10000] [--rounds 5] [--digest-arg=--no-search]

The digests are named A, B, ... in the order given. Each round builds run.py's corpus (in
benchmarks/work) once with each, from nothing: its output and cache moved aside first, as run.py
does. The order turns round every other round (A B, then B A), so that neither is always the first
after the pause, and each build starts after the last one's files are on disk (sync) and a
two-second pause. Then each digest's median and range of wall and CPU time, and its ratio to A's
by the medians. The same digest given twice should come out near 1.00: how far it does not is
the noise of the hour.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

import run

PAUSE = 2.0  # seconds between builds, after sync
LABELS = "ABCDEFGH"


def take_turns(digests: dict[str, Path], rounds: int, root: Path, digest_args: list[str],
               set_aside: Path) -> dict[str, list[run.Run]]:
    """Each digest's cold builds, by its label, taking turns round by round."""
    tools = [run.digest_tool(root, digest, digest_args, name=label) for label, digest in digests.items()]
    builds: dict[str, list[run.Run]] = {tool.name: [] for tool in tools}
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    for round_ in range(rounds):
        for tool in tools if round_ % 2 == 0 else tools[::-1]:
            run.move_aside(tool, set_aside)
            os.sync()
            time.sleep(PAUSE)
            build = run.measure(tool, logs / "turns.log", sample_memory=False)
            builds[tool.name].append(build)
            print(f"  round {round_ + 1}/{rounds} {tool.name}: {build.seconds:.2f} s "
                  f"({build.cpu_seconds:.2f} s CPU), {build.files:,} files", flush=True)
    return builds


def table(builds: dict[str, list[run.Run]]) -> str:
    """Median and range of each digest's builds, and the ratio of its medians to the first digest's."""
    lines = ["| digest | builds | median s | range s | median CPU s | range CPU s | wall ratio | CPU ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    first = next(iter(builds.values()))
    first_wall = statistics.median(b.seconds for b in first)
    first_cpu = statistics.median(b.cpu_seconds for b in first)
    for name, runs in builds.items():
        wall = [b.seconds for b in runs]
        cpu = [b.cpu_seconds for b in runs]
        lines.append(f"| {name} | {len(runs)} | {statistics.median(wall):.2f} | {min(wall):.2f}-{max(wall):.2f} | "
                     f"{statistics.median(cpu):.2f} | {min(cpu):.2f}-{max(cpu):.2f} | "
                     f"{statistics.median(wall) / first_wall:.2f} | {statistics.median(cpu) / first_cpu:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digests", nargs="+", type=Path, metavar="DIGEST",
                        help="digest executables, e.g. two venvs' bin/digest (the first is the one compared to)")
    parser.add_argument("--launches", type=int, default=10_000, help="corpus size (default: 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="cold builds of each digest (default: 5)")
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK, help="where the corpus and outputs go "
                        "(default: benchmarks/work, ignored by git)")
    parser.add_argument("--digest-arg", action="append", default=[], metavar="ARG",
                        help="an extra argument for `digest build` (repeatable), e.g. --digest-arg=--no-search")
    parser.add_argument("--json", type=Path, help="also write every build's figures as JSON to this file")
    args = parser.parse_args(argv)
    if missing := [str(digest) for digest in args.digests if not digest.exists()]:
        parser.error(f"not found: {', '.join(missing)}")
    if len(args.digests) > len(LABELS):
        parser.error(f"at most {len(LABELS)} digests")
    digests = {label: digest.absolute() for label, digest in zip(LABELS, args.digests)}  # one may come twice
    for label, digest in digests.items():
        print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in run.digest_versions(digest).items()), flush=True)
    work = args.work.resolve()
    root = run.prepare(args.launches, work)
    set_aside = work / "set-aside-turns"  # the outputs of cold builds, until the end (see run.move_aside)
    shutil.rmtree(set_aside, ignore_errors=True)
    set_aside.mkdir(parents=True)
    print(f"Load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    try:
        builds = take_turns(digests, args.rounds, root, args.digest_arg, set_aside)
    finally:
        shutil.rmtree(set_aside, ignore_errors=True)
    print(f"\nLoad average at end: {os.getloadavg()[0]:.2f}\n")
    print(table(builds))
    if args.json:
        args.json.write_text(json.dumps({name: [asdict(b) for b in runs] for name, runs in builds.items()},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
