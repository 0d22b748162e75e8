"""When a build uses its memory: the PSS of each of its processes, sampled while it runs.

run.py reports only the peak. This shows in which phase it comes: reading
(workers), rendering (the build's process and its forked worker), or the data
files at the end (the build's process alone), whose peak it also prints.

Usage: python benchmarks/memory_timeline.py N [--edit body|title|template] [--check] [--every 0.25] [--digest PATH]
Uses run.py's corpus (benchmarks/work/N/digest/content). Without --edit: a cold
build into benchmarks/work/N/timeline-site (the last one is moved aside, deleted
at the end). With --edit: a build, then the rebuild after one launch's body is
edited (body), its title (title, which the listings show too), or after the
launch page's template is (template: a copy of
digest's own in the corpus's templates/ folder, removed at the end, which
every launch's page is rendered again for), which is what is sampled.
With --check: `digest check` instead of `digest build`, from nothing or after the edit.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run


def sample(command: list[str], cwd: Path, every: float) -> list[tuple[float, int, int, int]]:
    """Run `command`; every `every` seconds, (seconds, processes, summed PSS MB, main process PSS MB)."""
    import psutil

    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root, started, rows = psutil.Process(proc.pid), time.perf_counter(), []
    while proc.poll() is None:
        try:
            family = [root] + root.children(recursive=True)
            pss = [member.memory_full_info().pss >> 20 for member in family]
        except psutil.Error:  # a worker ended while we looked
            continue
        rows.append((time.perf_counter() - started, len(family), sum(pss), pss[0]))
        time.sleep(every)
    if proc.returncode != 0:
        raise SystemExit(f"the build failed (exit {proc.returncode}): {' '.join(command)}")
    return rows


def main(argv: list[str] | None = None) -> int:
    run.ensure_compare_env(__file__)  # for psutil
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of launches")
    parser.add_argument("--edit", choices=("body", "title", "template"), help="sample the rebuild after this edit")
    parser.add_argument("--check", action="store_true", help="sample `digest check` instead of a build")
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples (default 0.25)")
    parser.add_argument("--digest", type=Path, default=run.REPO / ".venv" / "bin" / "digest")
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK, help="where the corpora are")
    args = parser.parse_args(argv)

    cwd = run.prepare(args.n, args.work.resolve()) / "digest"
    out = "../timeline-site"
    command = [str(args.digest.absolute()), "build", "--content", "content", "--out", out, "--no-search", "--quiet"]
    if args.check:
        command = [str(args.digest.absolute()), "check", "--content", "content"]
    # Moved aside, deleted at the end, as run.py does (see run.move_aside).
    set_aside = Path(tempfile.mkdtemp(dir=cwd.parent))
    run.move_into(set_aside, [cwd / out, cwd / ".digest-cache"])
    launches = sorted((cwd / "content" / "launches").glob("*.md"))
    target = launches[len(launches) // 2]
    original = target.read_bytes()
    template = cwd / "templates" / "launch.html"
    try:
        if args.edit:
            subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        if args.edit == "body":
            target.write_bytes(original + b"\nA sentence added for the memory timeline.\n")
        elif args.edit == "title":  # shown on the listings too
            target.write_bytes(original.replace(b"\ntitle: \"", b"\ntitle: \"(Revised) ", 1))
        elif args.edit == "template":
            template.parent.mkdir(exist_ok=True)
            own = (run.REPO / "templates" / "launch.html").read_text(encoding="utf-8")
            template.write_text(own.replace("</article>", "<p>Edited for the memory timeline.</p></article>", 1),
                                encoding="utf-8")
        rows = sample(command, cwd, args.every)
    finally:
        target.write_bytes(original)
        if args.edit == "template":
            template.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # left if it holds templates of its own
                template.parent.rmdir()
        shutil.rmtree(set_aside, ignore_errors=True)
    print(f"{'seconds':>8} {'procs':>5} {'total MB':>9} {'main MB':>8}")
    for seconds, procs, total, main_mb in rows[:: max(1, len(rows) // 60)]:
        print(f"{seconds:8.1f} {procs:5d} {total:9,d} {main_mb:8,d}")
    seconds, procs, total, main_mb = max(rows, key=lambda row: row[2])
    print(f"peak: {total:,} MB at {seconds:.1f} s, {procs} process(es), {main_mb:,} MB of it in the main one")
    last_worker = max((i for i, row in enumerate(rows) if row[1] > 1), default=len(rows))
    if rows[last_worker + 1:]:  # the data files and the cache, made by the build's process alone
        seconds, _, total, _ = max(rows[last_worker + 1:], key=lambda row: row[2])
        print(f"after the last worker: {total:,} MB at {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
