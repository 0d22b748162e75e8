"""`digest serve` as editors run it: a real process, real files, Ctrl-C.

Waits are bounded and wait for what the server prints, never for a fixed time.
"""

from __future__ import annotations

import html
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

LAUNCH = "content/launches/2030-03-01-first.md"
PAGE = "launches/2030-03-01-first/"
WAIT = 60.0  # seconds; generous, for a loaded CI machine


def digest_command() -> list[str]:
    script = Path(sys.executable).parent / "digest"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stream:
    """The lines one pipe of the server printed, read by a thread, awaited with a deadline."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self.cursor = 0
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe) -> None:
        for line in pipe:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def _pull(self, timeout: float) -> bool:
        try:
            line = self.queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return False
        if line is None:
            self.queue.put(None)  # stay closed for later calls
            return False
        self.lines.append(line)
        return True

    def wait_for(self, pattern: str, timeout: float = WAIT) -> re.Match:
        """The first line from the cursor on that matches; moves the cursor past it."""
        deadline = time.monotonic() + timeout
        while True:
            for index in range(self.cursor, len(self.lines)):
                match = re.search(pattern, self.lines[index])
                if match:
                    self.cursor = index + 1
                    return match
            self.cursor = len(self.lines)
            if not self._pull(deadline - time.monotonic()) and (time.monotonic() >= deadline or self._closed()):
                raise AssertionError(f"no line matching {pattern!r}; got:\n" + "\n".join(self.lines))

    def _closed(self) -> bool:
        return not self.thread.is_alive() and self.queue.qsize() <= 1

    def rest(self) -> str:
        self.thread.join(timeout=WAIT)
        while self._pull(0):
            pass
        return "\n".join(self.lines)


class Served:
    """A running `digest serve`: its URL, and what it printed."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.out, self.err = Stream(process.stdout), Stream(process.stderr)
        match = self.out.wait_for(r"Serving .* at (http://\S+/) .*preview files in (\S+)\)")
        self.url, self.preview_dir = match.group(1), Path(match.group(2))
        self.out.cursor = 0  # tests look for what came before too (the first build)

    def get(self, path: str = "") -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=WAIT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self) -> int:
        """Ctrl-C, as in a terminal; the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=WAIT)


def interruptible() -> None:
    """Run in the child before exec: background jobs inherit SIGINT ignored, and Ctrl-C must reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def serving(project: Path, *args: str, port: int | None = None, env: dict | None = None) -> Iterator[Served]:
    """Run `digest serve` in `project` until the block ends."""
    command = digest_command() + ["serve", "--port", str(port or free_port()), *args]
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})}, preexec_fn=interruptible)
    try:
        yield Served(process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def save(path: Path, text: str) -> None:
    """Save as many editors do: write a temporary file beside it, then rename it over."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def files_in(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_ctrl_c_stops_cleanly_and_keeps_the_preview_for_the_next_one(site_dir):
    with serving(site_dir) as served:
        assert served.get(PAGE)[0] == 200
        status = served.stop()
        errors = served.err.rest()
        assert status == 0, errors
        assert "Stopped." in served.out.rest()
        assert "Traceback" not in errors
    assert served.preview_dir == site_dir / ".digest-cache/preview"
    assert not (site_dir / "site").exists()  # never the deploy build's directory
    kept = files_in(served.preview_dir)
    assert "site/launches/2030-03-01-first/index.html" in kept
    with serving(site_dir) as again:  # starts from the kept preview: rewrites none of its files
        assert again.get(PAGE)[0] == 200
        assert again.stop() == 0
    assert files_in(served.preview_dir) == kept


def test_a_second_preview_of_the_same_site_builds_in_a_temporary_directory(site_dir):
    with serving(site_dir) as first, serving(site_dir) as second:
        assert second.get(PAGE)[0] == 200 and first.get(PAGE)[0] == 200
        assert first.preview_dir == site_dir / ".digest-cache/preview"
        assert second.preview_dir.is_dir() and site_dir not in second.preview_dir.parents
        assert second.stop() == 0
    assert not second.preview_dir.exists()


def test_a_taken_port_moves_to_the_next_free_one_and_says_so(site_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with serving(site_dir, port=port) as served:
            moved = served.out.wait_for(rf"Port {port} is in use; using (\d+) instead")
            assert served.url == f"http://127.0.0.1:{moved.group(1)}/"
            assert served.get(PAGE)[0] == 200


def test_each_save_is_rebuilt_and_reported_with_what_changed_and_how_long(site_dir):
    launch = site_dir / LAUNCH
    with serving(site_dir) as served:
        served.out.wait_for(r"First build: built \d+ pages in \d+\.\d\ds\.")
        save(launch, launch.read_text().replace("fired a rocket.", "fired a rocket at dawn."))
        served.out.wait_for(rf"^\d\d:\d\d:\d\d {LAUNCH} modified: built \d+ pages in \d+\.\d\ds\.$")
        assert "fired a rocket at dawn." in served.get(PAGE)[1]


def test_bad_content_is_shown_in_terminal_and_browser_and_the_server_keeps_running(site_dir):
    launch = site_dir / LAUNCH
    good = launch.read_text()
    with serving(site_dir) as served:
        save(launch, good.replace("date: 2030-03-01", "date: 2030-02-30"))
        served.out.wait_for(rf"{LAUNCH} modified: 1 problem in .*the browser shows them")
        line = served.err.wait_for(rf"^{LAUNCH}:3:7: error: date: .*").group(0)
        for path in ("", PAGE, "actors/northland/"):
            status, body = served.get(path)
            assert status == 500 and line in html.unescape(body)

        save(launch, good.replace("fired a rocket.", "fired a fixed rocket."))
        served.out.wait_for(rf"{LAUNCH} modified: fixed, built \d+ pages")
        status, body = served.get(PAGE)
        assert status == 200 and "fired a fixed rocket." in body
    assert "Traceback" not in served.err.rest()


def test_a_burst_of_saves_gives_one_rebuild(site_dir):
    launch, actor = site_dir / LAUNCH, site_dir / "content/actors/northland.yaml"
    text = launch.read_text()
    with serving(site_dir) as served:
        served.out.wait_for(r"First build")
        for n in range(10):
            save(launch, text.replace("fired a rocket.", f"fired rocket number {n}."))
        served.out.wait_for(rf"{LAUNCH} modified: built")
        # A later, separate save: once it is reported, any second rebuild for the burst would be too.
        save(actor, actor.read_text().replace("Northland", "Northland Republic"))
        served.out.wait_for(r"content/actors/northland.yaml modified: built")
        rebuilds = [line for line in served.out.lines if " modified: " in line]
        assert len(rebuilds) == 2, rebuilds
        assert "fired rocket number 9." in served.get(PAGE)[1]


def test_opens_a_browser_only_when_asked(site_dir, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f"#!/bin/sh\necho \"$1\" > '{opened}'\n")
    browser.chmod(0o755)
    env = {"BROWSER": str(browser), "DISPLAY": ""}

    with serving(site_dir, env=env) as served:
        launch = site_dir / LAUNCH
        save(launch, launch.read_text() + "\nA later line.\n")
        served.out.wait_for(rf"{LAUNCH} modified: built")  # well after any browser would have been opened
    assert not opened.exists()

    with serving(site_dir, "--open", env=env) as served:
        deadline = time.monotonic() + WAIT
        while not (opened.exists() and opened.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text().strip() == served.url


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a local socket listens on at `port`, from the kernel's table."""
    table = Path("/proc/net/tcp")
    if not table.is_file():
        pytest.skip("needs Linux's /proc/net/tcp")
    found = set()
    for row in table.read_text().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        address, local_port = local.split(":")
        if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_listens_on_the_loopback_address_only_by_default(site_dir):
    with serving(site_dir) as served:
        port = int(served.url.rstrip("/").rsplit(":", 1)[1])
        assert served.url.startswith("http://127.0.0.1:")
        assert listening_addresses(port) == {"127.0.0.1"}
        assert "other machines" not in served.out.rest() if served.stop() == 0 else False
