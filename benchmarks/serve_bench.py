"""The live-preview loop: time from saving a launch's Markdown to `digest serve` serving the rebuilt page.

Runs `digest serve` on a copy of the bundled site and on a generated N-launch site
(benchmarks/corpus.py), saves an edit the way editors' tools do (write beside, rename
over) and polls the launch page until the new text is served. Prints medians, and the
first build of the next `digest serve` (from the last one's preview), before and after an edit.
Usage: python benchmarks/serve_bench.py [--launches 1000] [--reps 9] [--edit body|title]
(--edit title: each edit gives the launch a new title instead of a new last line.)
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from run import BUILD_ENV

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TIMEOUT = 300.0


@dataclass(frozen=True)
class Figures:
    site: str
    launches: int
    pages: int
    first_build: float
    ready: float  # from the command to serving
    save_to_served: list[float]  # seconds, one per edit
    rebuild: list[float]  # what the server reported for each rebuild
    restart: float  # from the command to serving, for the next `digest serve` (it starts from the last one's preview)
    restart_after_edit: float  # the same, after one more edit while no preview ran


def digest_command() -> list[str]:
    script = Path(sys.executable).parent / "digest"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A `digest serve` process and the lines it prints."""

    def __init__(self, project: Path):
        self.lines: queue.Queue[str] = queue.Queue()
        started = time.perf_counter()
        # SIGINT back to default in the child: a benchmark started in the background inherits it ignored.
        self.process = subprocess.Popen(digest_command() + ["serve", "--port", str(free_port())], cwd=project,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=BUILD_ENV,
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        threading.Thread(target=self._read, daemon=True).start()
        first = self.expect(r"First build: built (\d+) pages in ([\d.]+)s")
        self.pages, self.first_build = int(first.group(1)), float(first.group(2))
        self.url = self.expect(r"Serving .* at (http://\S+/)").group(1)
        self.ready = time.perf_counter() - started  # from the command to serving: start-up and first build

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            match = re.search(pattern, line)
            if match:
                return match
        raise RuntimeError(f"digest serve never printed {pattern!r}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # as Ctrl-C
        self.process.wait(timeout=60)


def served_text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.read().decode()


def time_one_edit(server: Server, launch: Path, page_url: str, n: int, edit: str) -> tuple[float, float]:
    """Save an edit; return (seconds until the page serves it, the rebuild time the server reported)."""
    token = f"Benchmark edit number {n}."
    text = launch.read_text(encoding="utf-8")
    if edit == "title":
        text = re.sub(r"(?m)^title: .*$", f'title: "{token}"', text, count=1)
    else:
        text = re.sub(r"\n\nBenchmark edit number \d+\.\n$", "\n", text).rstrip() + f"\n\n{token}\n"
    temporary = launch.with_name(f".{launch.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, launch)
    saved = time.perf_counter()
    while token not in served_text(page_url):
        if time.perf_counter() - saved > TIMEOUT:
            raise RuntimeError("the edit never showed")
        time.sleep(0.005)
    served = time.perf_counter() - saved
    rebuild = float(server.expect(r"modified: built \d+ pages in ([\d.]+)s").group(1))
    return served, rebuild


def measure(name: str, project: Path, reps: int, edit: str) -> Figures:
    content = project / "content"
    launches = sorted((content / "launches").glob("*.md"))
    launch = launches[len(launches) // 2]
    server = Server(project)
    try:
        page_url = f"{server.url}launches/{launch.stem}/"
        time_one_edit(server, launch, page_url, 0, edit)  # warm-up: the first incremental rebuild
        results = [time_one_edit(server, launch, page_url, n, edit) for n in range(1, reps + 1)]
    finally:
        server.stop()
    restarts = []
    for n in (reps + 1, reps + 2):
        if n == reps + 2:
            launch.write_text(launch.read_text(encoding="utf-8") + f"\nEdited while stopped ({n}).\n",
                              encoding="utf-8")
        again = Server(project)
        again.stop()
        restarts.append(again.ready)
    return Figures(name, len(launches), server.pages, server.first_build, server.ready,
                   [r[0] for r in results], [r[1] for r in results], *restarts)


def make_corpus(project: Path, launches: int) -> str:
    """A generated site of `launches` launches, by benchmarks/corpus.py; its description."""
    subprocess.run([sys.executable, str(HERE / "corpus.py"), str(launches), str(project / "content")],
                   check=True, stdout=subprocess.DEVNULL)
    return f"generated, {launches} launches"


def report(figures: list[Figures]) -> None:
    print(f"\n{'site':<28} {'pages':>6} {'first build':>12} {'ready':>7} {'save->served':>13} {'rebuild':>8} "
          f"{'overhead':>9} {'restart':>8} {'+edit':>7}")
    for f in figures:
        served, rebuild = statistics.median(f.save_to_served), statistics.median(f.rebuild)
        print(f"{f.site:<28} {f.pages:>6} {f.first_build:>11.2f}s {f.ready:>6.2f}s {served:>12.3f}s {rebuild:>7.3f}s "
              f"{served - rebuild:>8.3f}s {f.restart:>7.2f}s {f.restart_after_edit:>6.2f}s")
    print("(medians; save->served: from the rename over the file to the first GET that returns the new text;"
          "\n rebuild: as the server reported it; overhead: the rest, mostly polling and the debounce wait;"
          "\n ready: from the command to serving, start-up and first build; restart: the same for the next"
          "\n `digest serve`, from the last one's preview; +edit: the same after one more edit made while"
          "\n no preview ran)")
    if len(figures) == 2:
        small, large = figures
        ratio = statistics.median(large.save_to_served) / statistics.median(small.save_to_served)
        print(f"save->served, {large.site} / {small.site}: {ratio:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=1000, help="size of the generated site (default: 1000)")
    parser.add_argument("--reps", type=int, default=9, help="edits timed per site (default: 9)")
    parser.add_argument("--edit", choices=("body", "title"), default="body", help="what each edit changes")
    args = parser.parse_args(argv)
    figures = []
    with tempfile.TemporaryDirectory(prefix="digest-serve-bench-") as scratch:
        bundled = Path(scratch) / "bundled"
        shutil.copytree(REPO / "content", bundled / "content")
        figures.append(measure("bundled", bundled, args.reps, args.edit))
        generated = Path(scratch) / "generated"
        figures.append(measure(make_corpus(generated, args.launches), generated, args.reps, args.edit))
    report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
