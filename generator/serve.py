"""Live preview: `digest serve` builds into a directory of its own, serves it with livereload
and rebuilds after each settled burst of saves; bad content swaps in an error page at every URL.

Takes ServeOptions; change detection (snapshot, diff, debounce) is plain data and functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import traceback
import weakref
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR
from typing import Callable, Collection, Iterator

import jinja2
from livereload import Server
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from markupsafe import Markup
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from . import cache
from .build import BuildOptions, Memory, build, collect_frozen_garbage
from .errors import ContentError, Problem, display_path
from .render import default_templates_dir
from .snapshot import cache_path
from .write import OutputError

POLL_SECONDS = 0.1  # how often the watched folders are compared with the last snapshot...
SCAN_SHARE = 0.1  # ...unless looking takes longer than this share of the time (a very large site)
LONGEST_SECONDS = 2.0  # ...or once it has gone on this long (a long checkout still shows progress)
COLLECT_SECONDS = 2.0  # after the last rebuild, the garbage of the rebuilds is collected (collect_frozen_garbage)
WAKE_SECONDS = 0.02  # after the operating system reports a change, the next look comes this soon
PORT_TRIES = 20
BUILD_COOKIE = "digest-preview-build"

# Files editors write beside the real one while saving: swap, backup, lock and temp files.
NOISE_PREFIXES = (".", "#")
NOISE_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".kate-swp", ".crswap",
                  "___jb_tmp___", "___jb_old___")
NOISE_NAMES = frozenset({"4913"})  # vim's probe that the folder is writable
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class ServeOptions:
    content_dir: Path = Path("content")
    templates_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = True
    open_browser: bool = False
    search: bool = False  # Pagefind re-indexes every page on each build: too slow for a save-and-look loop


# --- noticing changes -------------------------------------------------------------------------

Stamp = tuple[int, int, int]  # (mtime_ns, size, inode): a rename-over changes the inode
Snapshot = dict[str, Stamp]


@dataclass(frozen=True, order=True)
class Change:
    path: str
    kind: str  # added | modified | removed


def snapshot(roots: list[Path]) -> Snapshot:
    """Every file under the roots (missing roots are empty), with what tells a save apart."""
    found: Snapshot = {}
    folders = [str(root) for root in roots]
    while folders:  # os.scandir, not os.walk: one stat per file, polling costs half as much
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # missing, or removed while we looked
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in SKIPPED_DIRS:
                        folders.append(entry.path)
                else:
                    stat = entry.stat()
                    found[entry.path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except OSError:  # deleted while we looked, or a dangling link
                continue
    return found


def diff(before: Snapshot, after: Snapshot) -> list[Change]:
    """What was added, modified or removed between two snapshots, sorted by path."""
    changes = [Change(p, "added") for p in after.keys() - before.keys()]
    changes += [Change(p, "removed") for p in before.keys() - after.keys()]
    changes += [Change(p, "modified") for p in after.keys() & before.keys() if after[p] != before[p]]
    return sorted(changes)


def is_noise(path: str) -> bool:
    """True for the swap, backup and temp files editors write while saving."""
    name = os.path.basename(path)
    return name.startswith(NOISE_PREFIXES) or name.endswith(NOISE_SUFFIXES) or name in NOISE_NAMES


def needs_rebuild(changes: list[Change]) -> list[Change]:
    """The changes that call for a rebuild: every watched file except editor noise."""
    return [change for change in changes if not is_noise(change.path)]


def merge(earlier: str | None, later: str) -> str | None:
    """One file's net change over a burst; None when it came and went (a temp file)."""
    if earlier is None:
        return later
    if earlier == "added":
        return None if later == "removed" else "added"
    if earlier == "removed" and later == "added":
        return "modified"
    return later


class Debouncer:
    """Gathers the changes of each look at the files until a look finds nothing new (the burst
    of saves is over), or the burst has lasted `longest` seconds (a long checkout still shows).

    Time is passed in, so tests drive it with plain numbers.
    """

    def __init__(self, longest: float = LONGEST_SECONDS):
        self.longest = longest
        self.pending: dict[str, str] = {}
        self.first = 0.0
        self.settled = True  # the latest look found nothing new

    def add(self, changes: list[Change], now: float) -> None:
        """Note what one look at the files, at time `now`, found (call it for every look)."""
        self.settled = not changes
        if changes and not self.pending:
            self.first = now
        for change in changes:
            kind = merge(self.pending.pop(change.path, None), change.kind)
            if kind:
                self.pending[change.path] = kind

    def take(self, now: float) -> tuple[Change, ...]:
        """The finished burst's net changes, or () while saves are still coming."""
        if not self.pending or (not self.settled and now - self.first < self.longest):
            return ()
        batch = tuple(sorted(Change(path, kind) for path, kind in self.pending.items()))
        self.pending = {}
        return batch


class ChangeWatcher:
    """Polls the watched folders; hands out each settled burst of relevant changes once."""

    def __init__(self, roots: list[Path], debouncer: Debouncer | None = None):
        self.roots = roots
        self.seen = snapshot(roots)
        self.debouncer = debouncer or Debouncer()
        self.scan_seconds = 0.0  # how long the last look took
        self.touched: set[str] = set()  # every file that changed since the last take_touched(), noise too

    def poll(self, now: float, paths: Collection[str] | None = None) -> tuple[Change, ...]:
        """Look at the folders once (or at just these files); return a batch to rebuild for, or ().

        `paths`: the files the operating system reported changed; the others are taken
        to be as the last look found them (looking at all took 0.1 s at 10,000 launches).
        """
        current = None if paths is None else self.seen_again(paths)
        if current is None:
            started = time.perf_counter()
            current = snapshot(self.roots)
            self.scan_seconds = time.perf_counter() - started
        changes = diff(self.seen, current)
        self.touched.update(change.path for change in changes)
        self.debouncer.add(needs_rebuild(changes), now)
        self.seen = current
        return self.debouncer.take(now)

    def take_touched(self) -> set[str]:
        """The files that changed since the last call (or since the watcher began): a build's reading needs no more."""
        touched, self.touched = self.touched, set()
        return touched

    def seen_again(self, paths: Collection[str]) -> Snapshot | None:
        """The last look's snapshot with these files looked at again; None when one is now a folder."""
        current = dict(self.seen)
        for path in paths:
            if not watched(path, self.roots):
                continue
            try:
                stat = os.stat(path)
            except OSError:  # removed
                current.pop(path, None)
                continue
            if S_ISDIR(stat.st_mode):
                return None
            current[path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return current


def watched(path: str, roots: list[Path]) -> bool:
    """Whether snapshot() looks at a file at this path: under a root, in no folder it skips."""
    for root in roots:
        folder, _, name = path.rpartition(os.sep)
        inside = os.path.relpath(folder, root).split(os.sep)
        if inside[0] == os.pardir or not name:
            continue
        return all(part == os.curdir or not (part.startswith(".") or part in SKIPPED_DIRS) for part in inside)
    return False


def watched_roots(options: BuildOptions) -> list[Path]:
    """The content (site.yaml included), the site's templates (even if not made yet), the defaults."""
    own = options.templates_dir or options.content_dir.parent / "templates"
    roots: list[Path] = []
    for root in (options.content_dir, own, default_templates_dir()):
        if all(root.resolve() != kept.resolve() for kept in roots):
            roots.append(root)
    return roots


# --- building and what the browser is shown ----------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    pages: int
    seconds: float
    problems: tuple[Problem, ...]  # empty when the build succeeded


class Preview:
    """The preview's own build directory, and the error page shown while the content is invalid."""

    def __init__(self, options: BuildOptions, store: Path | None = None):
        """`store`: the cache file of the preview directory, kept by the last preview (see keep_cache)."""
        self.options = options
        self.error_page: bytes | None = None
        self.session = secrets.token_hex(4)  # tells this run's pages from those of an earlier run
        self.builds = 0
        self.memory = Memory()  # the last build's cache: no cache file to load and save on each save
        self.store = store
        if store:
            self.memory.last = cache.load(store)
            cache.forget_output(store)  # the preview's files change from now on

    def keep_cache(self) -> None:
        """Save the last build's cache for the next preview to start from, if the preview
        directory holds what it describes (not when stopped while writing)."""
        last = self.memory.last
        if self.store and last and last.outputs is not None:
            cache.save(self.store, last)
            cache.note_out_dir(self.store, self.options.out_dir)

    @property
    def root(self) -> Path:
        return self.options.out_dir

    @property
    def stamp(self) -> str:
        """Names what is being served now; pages carry it in a cookie (see Browsers)."""
        return f"{self.session}-{self.builds}"

    def rebuild(self, touched: set[str] | None = None) -> Outcome:
        """Build into the preview directory; on problems keep the last build and set the error page.

        `touched`: every file changed since the last rebuild (see build()); None: not known.
        """
        started = time.perf_counter()
        self.builds += 1
        try:
            report = build(self.options, memory=self.memory, touched=touched)
        except ContentError as exc:
            problems = tuple(exc.problems)
        except OutputError as exc:
            problems = (Problem(str(self.options.content_dir), 1, 1, "", str(exc)),)
        except Exception as exc:  # a bug in digest: keep serving, show it, and leave the traceback
            traceback.print_exc()
            problems = (Problem(str(self.options.content_dir), 1, 1, "", f"internal error: {exc!r}",
                                "a bug in digest; the traceback is in the terminal"),)
        else:
            self.error_page = None
            return Outcome(report.pages, time.perf_counter() - started, ())
        self.error_page = error_page(problems, self.options.content_dir.parent).encode()
        return Outcome(0, time.perf_counter() - started, problems)


PAGE = jinja2.Environment(autoescape=True).from_string("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} · digest preview</title>
<style>
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1f; --muted: #5a5a66; --bad: #a4161a;
        --box: #fbf1f1; --line: #e3c9c9; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #16161a; --fg: #ececf1; --muted: #a8a8b3; --bad: #ff8a8a; --box: #2a1c1e; --line: #553236; } }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { color: var(--bad); font-size: 1.5rem; margin: 0 0 0.5rem; }
p { color: var(--muted); margin: 0 0 1rem; }
ol { padding: 0; list-style: none; }
li { background: var(--box); border: 1px solid var(--line); border-left: 4px solid var(--bad);
     border-radius: 4px; padding: 0.6rem 0.8rem; margin: 0 0 0.75rem; }
code, pre { font: 0.9rem/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.problem { display: block; overflow-wrap: anywhere; }
pre { margin: 0.5rem 0 0; padding: 0.4rem 0.6rem; overflow-x: auto; border-top: 1px solid var(--line);
      color: var(--muted); }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p>{{ lead }}</p>
{% if problems %}<ol class="problems">
{% for problem, quoted in problems %}  <li><code class="problem">{{ problem }}</code>
{%- if quoted %}<pre>{{ quoted }}</pre>{% endif %}</li>
{% endfor %}</ol>{% endif %}
</main>
</body>
</html>
""")


def error_page(problems: tuple[Problem, ...], base: Path) -> str:
    """The page served at every URL while the content is invalid: each problem, with its line."""
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return PAGE.render(
        title=f"The site could not be built: {count}",
        lead=Markup("The same lines as <code>digest check</code> prints. Fix them and save: this page "
                    "reloads by itself and comes back to where you were."),
        problems=[(problem.format(), quote(problem, base)) for problem in problems])


def not_found_page(url_path: str) -> str:
    """The preview's own 404: it stays live, so a page being created appears once it exists."""
    return PAGE.render(title="No page here", lead=f"The preview has no page at /{url_path}. "
                       "This page reloads after each rebuild.", problems=[])


def quote(problem: Problem, base: Path) -> str:
    """The problem's source line with a caret under its column, or '' when unreadable."""
    for path in (Path(problem.path), base / problem.path):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        if 1 <= problem.line <= len(lines):
            number = f"{problem.line} | "
            return f"{number}{lines[problem.line - 1]}\n{' ' * (len(number) + problem.col - 1)}^"
        return ""
    return ""


class PreviewHandler(StaticFileHandler):
    """Serves the preview directory, the error page while the content is invalid, and a live 404.

    Every HTML page carries the stamp of the build it shows, in a cookie.
    """

    def initialize(self, path: str, default_filename: str | None = None, *, preview: Preview) -> None:
        super().initialize(path, default_filename)
        self.preview = preview

    async def get(self, path: str, include_body: bool = True) -> None:
        page = self.preview.error_page
        if page is None:
            await super().get(path, include_body)
            return
        self.set_status(500)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.stamp_page()
        self.finish(page if include_body else b"")

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")  # a reload must show the new build
        if self.absolute_path.endswith(".html"):
            self.stamp_page()

    def write_error(self, status_code: int, **kwargs) -> None:
        if status_code != 404:
            super().write_error(status_code, **kwargs)
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.stamp_page()
        self.finish(not_found_page(self.request.path.lstrip("/")))

    def stamp_page(self) -> None:
        self.set_cookie(BUILD_COOKIE, self.preview.stamp, path="/", httponly=True, samesite="Strict")


class Browsers:
    """Tells each page connected for live reload, once per build, when it shows an older build.

    Checked at every poll, not only after a rebuild: a page that was loading during a
    rebuild connects after the news went out, and would otherwise stay stale.
    """

    def __init__(self):
        self.told: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page -> stamp it was told

    def reload_stale(self, pages, stamp: str, path: str = "*", rebuilt: bool = False) -> int:
        """Send a reload for `path` to the pages (livereload handlers) not showing `stamp`; how many."""
        count = 0
        for page in list(pages):
            cookie = page.request.cookies.get(BUILD_COOKIE)
            shown = cookie.value if cookie else None
            if shown == stamp or self.told.get(page) == stamp:
                continue
            if shown is None and not rebuilt:
                continue  # no cookie (blocked?): only news of a rebuild, or it would reload forever
            page.send_message({"command": "reload", "path": path, "liveCSS": True, "liveImg": True})
            self.told[page] = stamp
            count += 1
        return count


class PreviewServer(Server):
    """livereload's server (reload socket, script injection) in front of PreviewHandler."""

    def __init__(self, preview: Preview):
        super().__init__()
        self.preview = preview

    def get_web_handlers(self, script):
        return [(r"/(.*)", PreviewHandler,
                 {"path": str(self.preview.root), "default_filename": "index.html", "preview": self.preview})]


# --- the loop and the terminal -----------------------------------------------------------------

def serve(options: ServeOptions) -> int:
    """Build, serve and rebuild on every save until Ctrl-C; return the exit status."""
    if not 1 <= options.port <= 65535:
        print(f"digest: error: --port must be between 1 and 65535, not {options.port}", file=sys.stderr)
        return 2
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)  # request lines would drown the rebuilds
    with preview_folder(options.content_dir) as (out_dir, store):
        build_options = BuildOptions(content_dir=options.content_dir, out_dir=out_dir, drafts=options.drafts,
                                     templates_dir=options.templates_dir, search=options.search)
        # Not asyncio.run(): its Ctrl-C handler lets a running rebuild finish first, which on a
        # large site is a long wait; with the default handler Ctrl-C interrupts at once.
        loop = asyncio.new_event_loop()
        poller = preview = None
        sys.unraisablehook = interrupt_again
        try:
            preview = Preview(build_options, store)
            poller = loop.run_until_complete(start(options, preview))
            if not poller:
                return 2
            loop.run_forever()
            return 0
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the clean-up
            say("Stopped.")
            return 0
        finally:
            sys.unraisablehook = sys.__unraisablehook__
            if poller:
                poller.stop()
            close(loop)
            if preview:
                preview.keep_cache()


@contextlib.contextmanager
def preview_folder(content_dir: Path) -> Iterator[tuple[Path, Path | None]]:
    """The preview directory and its cache file: kept beside the content (cache.preview_path),
    so that the next preview renders only what changed meanwhile; a temporary directory
    without one while another preview holds that one, or where it cannot be had.

    At 10,000 launches a preview served 24 s after the command from nothing, 2.5 s from the last one.
    """
    try:
        out_dir = cache.preview_path(content_dir)
        lock = hold_lock(out_dir.parent.with_suffix(".lock"))
    except OSError:
        lock = None
    if lock is None:
        with tempfile.TemporaryDirectory(prefix="digest-preview-") as scratch:
            yield Path(scratch) / "site", None
        return
    try:
        yield out_dir, cache_path(content_dir, out_dir)
    finally:
        os.close(lock)


def hold_lock(path: Path) -> int | None:
    """A file descriptor of `path` locked for this process alone, until closed or the process ends;
    None if another process holds it, or where locks are not known (not POSIX)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def interrupt_again(unraisable) -> None:
    """Send Ctrl-C again when it landed where Python ignores exceptions.

    A Ctrl-C that arrives while a weak reference's callback runs (during garbage
    collection) is printed as ignored and would leave the server running.
    """
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    else:
        sys.__unraisablehook__(unraisable)


def close(loop: asyncio.AbstractEventLoop) -> None:
    """Close the loop without running it again (Ctrl-C may have stopped it inside a request).

    What was left on it, such as browsers' open reload sockets, is dropped without a word.
    """
    loop.set_exception_handler(lambda loop, context: None)
    loop.close()


async def start(options: ServeOptions, preview: Preview) -> Poller | None:
    """First build, listen, start looking for changes; None when no port could be had."""
    watcher = ChangeWatcher(watched_roots(preview.options))  # before building: no save is missed
    show_outcome(preview.rebuild(), (), was_ok=True)
    server = PreviewServer(preview)
    try:
        port = listen(server, options.host, options.port)
    except OSError as exc:
        print(f"digest: error: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return None
    url = f"http://{url_host(options.host)}:{port}/"
    say(f"Serving {options.content_dir} at {url} "
        f"({'drafts shown' if options.drafts else 'drafts hidden'}; search {'on' if options.search else 'off'}; "
        f"preview files in {preview.root.parent}). "
        "Ctrl-C stops.")
    if not is_loopback(options.host):
        say(f"Note: --host {options.host} lets other machines on the network see this preview.")
    if options.open_browser:
        # A daemon thread: some browsers keep webbrowser.open() waiting until they close.
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    poller = Poller(asyncio.get_running_loop(), watcher, preview, Browsers())
    poller.start()
    return poller


def listen(server: PreviewServer, host: str, first_port: int) -> int:
    """Listen on `first_port`, or the next free one (said on the terminal); return the port."""
    last = min(first_port + PORT_TRIES, 65536)
    for port in range(first_port, last):
        try:
            server.application(port, host)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or port == last - 1:
                raise
            continue
        if port != first_port:
            say(f"Port {first_port} is in use; using {port} instead.")
        return port
    raise OSError(errno.EADDRINUSE, "no free port")


class Poller:
    """Looks at the files on a timer, and sooner when the operating system reports a change.

    The reports (inotify and the like, through watchdog) say when and where to look:
    a look after reports looks again at the files reported (a folder that came or
    went: at everything), and after a look that finds saves, no report in the quiet
    that follows means the burst is over (at 10,000 launches a look at every file
    takes 0.1 s). What changed is always what a look finds: the looks on the timer,
    when no report came, still look at every file, so a lost report costs a
    rebuild at the next such look (at most ~1 s later at 10,000 launches), never a
    save left unseen; where there are no reports (some network file systems) the
    timer alone sees every save.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, watcher: ChangeWatcher, preview: Preview,
                 browsers: Browsers):
        self.loop, self.watcher, self.preview, self.browsers = loop, watcher, preview, browsers
        self.next_look: asyncio.TimerHandle | None = None
        self.next_collect: asyncio.TimerHandle | None = None  # of the garbage of the rebuilds, once saves stop
        self.observer: Observer | None = None
        self.reported: set[str] | None = set()  # files reported changed since the last look; None: folders too

    def start(self) -> None:
        self.observer = notify_changes(self.watcher.roots, lambda path: self.loop.call_soon_threadsafe(self.wake, path))
        self.look()

    def stop(self) -> None:
        if self.observer:
            self.observer.stop()

    def look(self) -> None:
        """Poll now, and schedule the next poll so that looking at files takes at most SCAN_SHARE of the time."""
        # Scheduled first, so a failing rebuild (a bug) cannot stop the polling.
        self.look_in(next_poll_in(self.watcher.scan_seconds))
        reported, self.reported = self.reported, set()
        # With the operating system's reports, the files it reported (none: the burst of saves is over),
        # but on the timer, when none came: that look at everything finds what a lost report would have told.
        paths = reported if self.observer and (reported or self.watcher.debouncer.pending) else None
        builds = self.preview.builds
        tick(self.watcher, self.preview, self.browsers, paths)
        if self.preview.builds != builds:
            self.collect_in(COLLECT_SECONDS)  # put off by each rebuild: once the saves stop
        if self.watcher.debouncer.pending:
            # Saves seen, and the burst may go on: the look that finds it over comes soon, whatever the
            # site's size (at 10,000 launches, waiting the throttled 0.5 s was a third of the time to the page).
            self.look_in(POLL_SECONDS)

    def look_in(self, seconds: float) -> None:
        if self.next_look:
            self.next_look.cancel()
        self.next_look = self.loop.call_later(seconds, self.look)

    def collect_in(self, seconds: float) -> None:
        if self.next_collect:
            self.next_collect.cancel()
        self.next_collect = self.loop.call_later(seconds, self.collect)

    def collect(self) -> None:
        self.next_collect = None
        if self.watcher.debouncer.pending:
            self.collect_in(COLLECT_SECONDS)
        else:
            collect_frozen_garbage()

    def wake(self, path: str | None) -> None:
        """A file changed (None: a folder): look soon, unless a look is due sooner (a burst of reports is one look).

        Not while saves are pending: the look that decides the burst is over keeps its
        POLL_SECONDS of quiet, or one save written in two steps could make two rebuilds.
        """
        if path is None or self.reported is None:
            self.reported = None
        else:
            self.reported.add(path)
        if self.watcher.debouncer.pending:
            return
        if self.next_look is None or self.next_look.when() > self.loop.time() + WAKE_SECONDS:
            self.look_in(WAKE_SECONDS)


CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})  # not "opened": builds read files


def notify_changes(roots: list[Path], wake: Callable[[str | None], object]) -> Observer | None:
    """Have `wake` called (from another thread) when a file under the roots changes, with its path
    (None when a folder came, went or moved); None when the operating system cannot tell (the
    timer alone then finds the changes)."""
    handler = FileSystemEventHandler()
    handler.on_any_event = lambda event: report(event, wake)
    observer = Observer()
    try:
        for root in roots:
            if root.is_dir():
                observer.schedule(handler, str(root), recursive=True)
        observer.start()
    except OSError:  # e.g. the system's limit of inotify watches reached
        return None
    return observer


def report(event: FileSystemEvent, wake: Callable[[str | None], object]) -> None:
    """Pass on a change the operating system reported: the files' paths, or None for a folder."""
    if event.event_type not in CHANGE_EVENTS:
        return
    if not event.is_directory:
        wake(event.src_path)
        if event.event_type == "moved":
            wake(event.dest_path)
    elif event.event_type != "modified":  # a folder's "modified" comes with its files' own reports
        wake(None)


def next_poll_in(scan_seconds: float) -> float:
    """Seconds until the next poll, given how long looking at the files took last time."""
    return max(POLL_SECONDS, scan_seconds / SCAN_SHARE)


def tick(watcher: ChangeWatcher, preview: Preview, browsers: Browsers, paths: Collection[str] | None = None) -> None:
    """One poll: after a settled burst of saves, rebuild; tell pages showing an older build to reload.

    `paths`: the files reported changed since the last look (see ChangeWatcher.poll); None: look at all.
    """
    changes = watcher.poll(time.monotonic(), paths)
    path = "*"
    if changes:
        was_ok = preview.error_page is None
        outcome = preview.rebuild(watcher.take_touched())
        show_outcome(outcome, changes, was_ok)
        path = reload_path(changes, was_ok, outcome)
    browsers.reload_stale(LiveReloadHandler.waiters, preview.stamp, path, rebuilt=bool(changes))


def reload_path(changes: tuple[Change, ...], was_ok: bool, outcome: Outcome) -> str:
    """What livereload.js should reload: just the stylesheets for a CSS-only edit, else the page."""
    if was_ok and not outcome.problems and all(c.path.endswith(".css") for c in changes):
        return os.path.basename(changes[0].path)
    return "*"


def show_outcome(outcome: Outcome, changes: tuple[Change, ...], was_ok: bool) -> None:
    """Tell the terminal what changed, and how the rebuild went and took."""
    took = f"{outcome.seconds:.2f}s"
    lead = f"{time.strftime('%H:%M:%S')} {describe(changes)}: " if changes else "First build: "
    if outcome.problems:
        count = f"{len(outcome.problems)} problem" + ("s" if len(outcome.problems) != 1 else "")
        say(f"{lead}{count} in {took}; the browser shows them until they are fixed:")
        for problem in outcome.problems:
            print(problem.format(), file=sys.stderr, flush=True)
    else:
        fixed = "fixed, " if not was_ok else ""
        say(f"{lead}{fixed}built {outcome.pages} pages in {took}.")


def describe(changes: tuple[Change, ...], shown: int = 3) -> str:
    """`content/a.md modified, content/b.md added and 2 more`."""
    base = Path.cwd()
    parts = [f"{display_path(Path(c.path), base)} {c.kind}" for c in changes[:shown]]
    more = f" and {len(changes) - shown} more" if len(changes) > shown else ""
    return ", ".join(parts) + more


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def say(text: str) -> None:
    print(text, flush=True)
