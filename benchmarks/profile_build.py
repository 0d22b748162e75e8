"""Where a cold `digest build` spends its time: cProfile of one build, every page rendered in this process.

Usage: .venv/bin/python benchmarks/profile_build.py N [--top 25] [--search]
Uses (or writes) the corpus that run.py uses, benchmarks/work/N/digest/content, and builds
into a fresh benchmarks/work/N/profile-site (the last one is moved aside, deleted after).
Prints the costliest functions and a total per module.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import run
from generator import cli, parallel


def owner(filename: str) -> str:
    """A profile entry's file -> 'generator/feeds.py', 'jinja2', 'stdlib json', or 'builtins'."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    if "/site-packages/" in filename:
        return filename.split("/site-packages/")[1].split("/")[0].removesuffix(".py")
    if "/generator/" in filename:
        return "generator/" + filename.split("/generator/")[1]
    match = re.search(r"/python3\.\d+/(.+?)(?:/|\.py)", filename)
    return f"stdlib {match[1]}" if match else filename


def by_owner(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time summed per module or library, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        totals[owner(filename)] += own
    return sorted(totals.items(), key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of launches")
    parser.add_argument("--top", type=int, default=25, help="how many functions to list (default 25)")
    parser.add_argument("--search", action="store_true", help="include the Pagefind step (off by default)")
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK, help="where the corpora are")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also save the raw profile (for pstats or snakeviz)")
    args = parser.parse_args(argv)

    root = run.prepare(args.n, args.work.resolve())
    content, out = root / "digest" / "content", root / "profile-site"
    # Moved aside and deleted after the profile, as run.py does: creating files right after
    # deleting as many can be slow (see run.move_aside), and mkdir would seem costlier than it is.
    set_aside = Path(tempfile.mkdtemp(dir=root))
    run.move_into(set_aside, [out, root / "digest" / ".digest-cache"])
    # Rendering normally forks worker processes, which cProfile cannot see; keep it in this process.
    parallel.MIN_ITEMS = sys.maxsize
    command = ["build", "--content", str(content), "--out", str(out)] + ([] if args.search else ["--no-search"])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    try:
        status = profiler.runcall(cli.main, command)
    finally:
        shutil.rmtree(set_aside, ignore_errors=True)
    seconds = time.perf_counter() - started
    if status != 0:
        return status
    stats = pstats.Stats(profiler)
    if args.save:
        stats.dump_stats(args.save)
    print(f"\nCold build of {args.n:,} launches, rendering in one process: {seconds:.1f} s under cProfile\n")
    print("Own time per module or library:")
    for name, own in by_owner(stats)[:20]:
        print(f"  {own:8.2f} s  {100 * own / stats.total_tt:5.1f} %  {name}")
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
