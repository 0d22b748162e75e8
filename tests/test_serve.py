"""`digest serve` without a running server: change detection, debouncing, rebuilds, the error page.

Time is passed to the debouncer as plain numbers, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import gc
import html
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.testing import bind_unused_port
from tornado.web import Application
from watchdog.events import (DirCreatedEvent, DirModifiedEvent, FileModifiedEvent, FileMovedEvent,
                             FileOpenedEvent)

from generator import build as build_module
from generator import cache, serve, write
from generator.build import BuildOptions, build
from generator.cli import main, parser
from generator.errors import Problem
from generator.render import default_templates_dir
from generator.serve import (BUILD_COOKIE, POLL_SECONDS, SCAN_SHARE, WAKE_SECONDS, Browsers, Change, ChangeWatcher,
                             Debouncer, Outcome, Poller, Preview, PreviewServer, diff, error_page, is_noise,
                             needs_rebuild, next_poll_in, notify_changes, quote, reload_path, snapshot,
                             watched_roots)

LAUNCH = "content/launches/2030-03-01-first.md"


# --- debouncing ----------------------------------------------------------------------------------

def look(debouncer: Debouncer, now: int, *changes: Change) -> tuple[Change, ...]:
    """One look at the files, as the watcher does it: note what it found, take what is due."""
    debouncer.add(list(changes), now)
    return debouncer.take(now)


def test_a_burst_of_saves_gives_one_batch_once_a_look_finds_nothing_new():
    # Whole numbers stand for time, so no float rounding decides a test.
    debouncer = Debouncer(longest=20)
    assert look(debouncer, 100, Change("a.md", "modified")) == ()
    assert look(debouncer, 101, Change("b.md", "added"), Change("a.md", "modified")) == ()
    assert look(debouncer, 102) == (Change("a.md", "modified"), Change("b.md", "added"))
    assert look(debouncer, 103) == ()  # handed out once


def test_saves_that_never_stop_still_rebuild_after_the_longest_wait():
    debouncer = Debouncer(longest=10)
    fired = [now for now in range(30) if look(debouncer, now, Change("a.md", "modified"))]
    assert fired == [10, 21]  # 10 after the first save of each burst, not at every save


def test_a_temp_file_that_came_and_went_is_no_change():
    debouncer = Debouncer(longest=20)
    assert look(debouncer, 0, Change("x.md.tmp123", "added")) == ()
    assert look(debouncer, 1, Change("x.md.tmp123", "removed")) == ()
    assert look(debouncer, 2) == ()
    # The next burst is timed from its own first save.
    assert look(debouncer, 90, Change("x.md", "modified")) == ()
    assert look(debouncer, 91) == (Change("x.md", "modified"),)


@pytest.mark.parametrize("first, then, net", [
    ("removed", "added", "modified"),  # an editor saving by delete and re-create
    ("added", "modified", "added"),
    ("modified", "removed", "removed"),
    ("modified", "modified", "modified"),
])
def test_one_files_changes_in_a_burst_merge_into_its_net_change(first, then, net):
    debouncer = Debouncer()
    look(debouncer, 0, Change("a.md", first))
    look(debouncer, 1, Change("a.md", then))
    assert look(debouncer, 2) == (Change("a.md", net),)


# --- which changes call for a rebuild -----------------------------------------------------------

@pytest.mark.parametrize("name", [
    ".2030-03-01-first.md.swp", ".2030-03-01-first.md.swx", "2030-03-01-first.md~", "#2030-03-01-first.md#",
    ".#2030-03-01-first.md", "4913", "2030-03-01-first.md___jb_tmp___", ".goutputstream-ABC123", ".DS_Store",
])
def test_editor_noise_is_ignored(name):
    assert is_noise(f"content/launches/{name}")
    assert needs_rebuild([Change(f"content/launches/{name}", "added")]) == []


@pytest.mark.parametrize("path", [
    "content/launches/2030-03-01-first.md", "content/site.yaml", "content/actors/northland.yaml",
    "templates/launch.html", "templates/static/style.css", "content/sources/new.markdown",
])
def test_content_templates_and_static_files_call_for_a_rebuild(path):
    change = Change(path, "modified")
    assert needs_rebuild([change]) == [change]


def test_watched_roots_are_the_content_the_sites_templates_and_the_defaults(tmp_path):
    options = BuildOptions(content_dir=tmp_path / "content")
    # The site's templates/ is watched before it exists, so creating it is noticed.
    assert watched_roots(options) == [tmp_path / "content", tmp_path / "templates", default_templates_dir()]
    explicit = BuildOptions(content_dir=tmp_path / "content", templates_dir=default_templates_dir())
    assert watched_roots(explicit) == [tmp_path / "content", default_templates_dir()]


def test_snapshots_tell_added_modified_and_removed_files_apart(tmp_path):
    for name in ("keep.md", "edit.md", "gone.md", ".git/HEAD"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("one\n")
    before = snapshot([tmp_path, tmp_path / "missing"])
    assert str(tmp_path / ".git/HEAD") not in before  # hidden folders are not walked
    stat = (tmp_path / "edit.md").stat()
    os.utime(tmp_path / "edit.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    (tmp_path / "gone.md").unlink()
    (tmp_path / "new.md").write_text("two\n")
    assert diff(before, snapshot([tmp_path])) == [
        Change(str(tmp_path / "edit.md"), "modified"),
        Change(str(tmp_path / "gone.md"), "removed"),
        Change(str(tmp_path / "new.md"), "added"),
    ]


def test_a_rename_over_the_file_counts_even_with_the_same_time_and_size(tmp_path):
    target = tmp_path / "a.md"
    target.write_text("same size A\n")
    before = snapshot([tmp_path])
    stat = target.stat()
    replacement = tmp_path / ".a.md.new"
    replacement.write_text("same size B\n")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, target)
    assert diff(before, snapshot([tmp_path])) == [Change(str(target), "modified")]


def test_the_watcher_turns_an_editors_save_into_one_change(tmp_path):
    watcher = ChangeWatcher([tmp_path])
    page = tmp_path / "a.md"
    # A save as vim does it: probe file, swap file, backup, then the file itself.
    (tmp_path / "4913").write_text("")
    (tmp_path / ".a.md.swp").write_text("swap")
    page.write_text("text\n")
    (tmp_path / "a.md~").write_text("old\n")
    assert watcher.poll(now=10) == ()  # seen, not yet settled
    (tmp_path / "4913").unlink()
    (tmp_path / "a.md~").unlink()
    assert watcher.poll(now=11) == (Change(str(page), "added"),)  # only the noise went away since
    assert watcher.poll(now=12) == ()
    # A build hears of every file that changed, noise too: it may be a stray file in the content.
    assert watcher.take_touched() == {str(tmp_path / name) for name in ("4913", ".a.md.swp", "a.md", "a.md~")}
    assert watcher.take_touched() == set()


def test_only_editor_noise_never_rebuilds(tmp_path):
    watcher = ChangeWatcher([tmp_path])
    (tmp_path / ".a.md.swp").write_text("swap")
    assert [watcher.poll(now=t) for t in (10, 20, 30)] == [(), (), ()]


def test_polling_a_huge_tree_slows_down_instead_of_eating_the_cpu():
    assert next_poll_in(0.001) == POLL_SECONDS
    assert next_poll_in(0.5) == pytest.approx(0.5 / SCAN_SHARE)
    assert next_poll_in(0.5) > 0.5  # most of the time is left for everything else


def test_a_reported_change_brings_the_next_look_forward_once():
    loop = asyncio.new_event_loop()
    try:
        poller = Poller(loop, ChangeWatcher([]), preview=None, browsers=None)
        poller.look_in(5.0)  # a very large site: the next look is far
        poller.wake("content/launches/a.md")
        first = poller.next_look
        assert first.when() <= loop.time() + WAKE_SECONDS
        for n in range(100):  # a burst of reports: still that one look
            poller.wake(f"content/launches/{n}.md")
        assert poller.next_look is first and not first.cancelled()
    finally:
        loop.close()


def test_after_a_look_finds_a_save_the_next_look_comes_soon(site_dir, monkeypatch):
    monkeypatch.setattr(serve, "SCAN_SHARE", 1e-9)  # a huge site: looks on the timer are far apart
    loop = asyncio.new_event_loop()
    try:
        watcher = ChangeWatcher([site_dir / "content"])
        poller = Poller(loop, watcher, preview_of(site_dir), Browsers())
        launch = site_dir / LAUNCH
        launch.write_text(launch.read_text() + "\nMore.\n")
        poller.look()  # sees the save; the burst may not be over
        assert watcher.debouncer.pending
        settle = poller.next_look
        assert settle.when() <= loop.time() + POLL_SECONDS
        poller.wake(str(launch))  # another report of the same burst: the quiet look keeps its time
        assert poller.next_look is settle
    finally:
        loop.close()


def test_the_garbage_of_the_preview_s_rebuilds_is_collected_once_the_saves_stop(site_dir, monkeypatch):
    loop = asyncio.new_event_loop()
    try:
        watcher = ChangeWatcher([site_dir / "content"])
        poller = Poller(loop, watcher, preview_of(site_dir), Browsers())
        poller.preview.rebuild()
        collected = []
        monkeypatch.setattr(serve, "collect_frozen_garbage", lambda: collected.append(loop.time()))
        launch = site_dir / LAUNCH
        frozen = []
        for n in range(6):
            launch.write_text(launch.read_text() + f"\nMore ({n}).\n")
            poller.look()  # sees the save
            for _ in range(3):  # until the burst is over: rebuilds
                if watcher.debouncer.pending:
                    poller.look()
            assert poller.preview.builds == n + 2 and not collected
            assert poller.next_collect.when() >= loop.time() + serve.COLLECT_SECONDS - 0.5  # put off
            build_module.collect_frozen_garbage()
            frozen.append(gc.get_freeze_count())
        launch.write_text(launch.read_text() + "\nMore again.\n")
        poller.look()  # a save pending: collected later
        poller.collect()
        assert not collected and poller.next_collect
        for _ in range(3):
            if watcher.debouncer.pending:
                poller.look()
        poller.collect()
        assert len(collected) == 1 and poller.next_collect is None
        # Without the collection, every rebuild left ~900 objects frozen for good on this site.
        assert max(frozen[1:]) - frozen[1] < 100, frozen
    finally:
        loop.close()


@pytest.mark.parametrize("reported", ["nothing", "the file", "a folder"])
def test_with_the_systems_reports_a_look_looks_at_what_they_name(site_dir, monkeypatch, reported):
    loop = asyncio.new_event_loop()
    try:
        watcher = ChangeWatcher([site_dir / "content"])
        poller = Poller(loop, watcher, preview_of(site_dir), Browsers())
        poller.observer = SimpleNamespace()  # the operating system reports changes
        looks = []
        looked_at_all = serve.snapshot
        monkeypatch.setattr(serve, "snapshot", lambda roots: looks.append(roots) or looked_at_all(roots))
        launch = site_dir / LAUNCH
        launch.write_text(launch.read_text() + "\nMore.\n")
        poller.wake(str(launch))
        poller.look()  # sees the save, looking at that file alone
        assert not looks and watcher.debouncer.pending
        if reported == "the file":  # written again in the quiet
            launch.write_text(launch.read_text() + "\nEven more.\n")
            poller.wake(str(launch))
        elif reported == "a folder":
            (site_dir / "content/launches/drafts").mkdir()
            poller.wake(None)
        for _ in range(3):  # until the burst is over: the look that finds no new save
            if watcher.debouncer.pending:
                poller.look()
        assert len(looks) == (reported == "a folder") and not watcher.debouncer.pending
        page = (poller.preview.root / "launches/2030-03-01-first/index.html").read_text()
        assert poller.preview.builds == 1 and "More." in page and ("Even more." in page) == (reported == "the file")
        poller.look()  # no report, nothing pending: a look on the timer looks at everything
        assert len(looks) == 1 + (reported == "a folder")
    finally:
        loop.close()


def test_a_lost_report_is_made_up_for_by_the_next_look_on_the_timer(site_dir):
    for path in (site_dir / "content").rglob("*"):  # saved long before: a build trusts their size and time
        os.utime(path, ns=(1_600_000_000_000_000_000,) * 2)
    loop = asyncio.new_event_loop()
    try:
        watcher = ChangeWatcher([site_dir / "content"])
        poller = Poller(loop, watcher, preview_of(site_dir), Browsers())
        poller.observer = SimpleNamespace()
        poller.preview.rebuild()  # the first build
        launch, other = site_dir / LAUNCH, site_dir / "content/launches/2030-04-10-second.md"
        launch.write_text(launch.read_text() + "\nMore.\n")
        other.write_text(other.read_text() + "\nUnreported.\n")  # its report was lost
        poller.wake(str(launch))
        poller.look()
        poller.look()
        page = poller.preview.root / "launches/2030-04-10-second/index.html"
        assert poller.preview.builds == 2 and "Unreported." not in page.read_text()
        for _ in range(2):  # on the timer: everything, and then the quiet
            poller.look()
        assert poller.preview.builds == 3 and "Unreported." in page.read_text()
    finally:
        loop.close()


@pytest.mark.parametrize("path, seen", [
    ("content/launches/a.md", True), ("content/site.yaml", True), ("content/.a.md.swp", True),
    ("content/.git/index", False), ("content/launches/node_modules/x.js", False), ("elsewhere/a.md", False),
    ("content/../elsewhere/a.md", False)])
def test_a_reported_file_is_looked_at_only_where_a_look_at_everything_would(tmp_path, monkeypatch, path, seen):
    monkeypatch.chdir(tmp_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_text("x")
    assert serve.watched(path, [Path("content")]) is seen
    assert (os.path.normpath(path) in snapshot([Path("content")])) is seen


def test_reports_name_files_and_folders_that_come_and_go():
    woken = []
    events = [FileModifiedEvent("c/launches/a.md"), DirModifiedEvent("c/launches"),
              FileMovedEvent("c/launches/.a.tmp", "c/launches/a.md"), DirCreatedEvent("c/launches/sub"),
              FileOpenedEvent("c/launches/a.md")]
    for event in events:
        serve.report(event, woken.append)
    assert woken == ["c/launches/a.md", "c/launches/.a.tmp", "c/launches/a.md", None]


def test_the_operating_system_reports_writes_but_not_reads(tmp_path):
    reported, paths = threading.Event(), []
    existing = tmp_path / "launches" / "a.md"
    existing.parent.mkdir()
    existing.write_text("first\n")
    observer = notify_changes([tmp_path], lambda path: paths.append(path) or reported.set())
    assert observer is not None
    try:
        existing.read_text()  # a build reads every file: that is no change
        assert not reported.wait(0.5)
        existing.write_text("second\n")
        assert reported.wait(5)
        assert str(existing) in paths and str(existing) in snapshot([tmp_path])  # named as a look names it
    finally:
        observer.stop()


def test_css_only_edits_reload_just_the_stylesheets():
    ok, bad = Outcome(3, 0.1, ()), Outcome(0, 0.1, (Problem("a.md", 1, 1, "", "broken"),))
    css = (Change("templates/static/style.css", "modified"),)
    assert reload_path(css, was_ok=True, outcome=ok) == "style.css"
    assert reload_path(css, was_ok=False, outcome=ok) == "*"  # the error page must go: whole page
    assert reload_path(css, was_ok=True, outcome=bad) == "*"
    assert reload_path((Change("content/a.md", "modified"),) + css, was_ok=True, outcome=ok) == "*"


# --- telling the open pages ---------------------------------------------------------------------

class OpenPage:
    """Stands for a page's livereload connection: its handshake's cookies, and what it was sent."""

    def __init__(self, stamp: str | None):
        headers = {"Host": "127.0.0.1", **({"Cookie": f"{BUILD_COOKIE}={stamp}"} if stamp else {})}
        self.request = HTTPServerRequest(start_line=RequestStartLine("GET", "/livereload", "HTTP/1.1"),
                                         headers=HTTPHeaders(headers))
        self.sent: list[dict] = []

    def send_message(self, message: dict) -> None:
        self.sent.append(message)


def test_pages_showing_an_older_build_are_told_to_reload_once():
    browsers = Browsers()
    fresh, stale, other_run = OpenPage("abc-2"), OpenPage("abc-1"), OpenPage("xyz-2")
    pages = {fresh, stale, other_run}
    assert browsers.reload_stale(pages, "abc-2", "*", rebuilt=True) == 2
    assert fresh.sent == [] and [m["path"] for m in stale.sent + other_run.sent] == ["*", "*"]
    assert browsers.reload_stale(pages, "abc-2") == 0  # told once; it is reloading
    # A page that was loading during the rebuild and connects after the news went out:
    late = OpenPage("abc-1")
    assert browsers.reload_stale(pages | {late}, "abc-2") == 1 and late.sent[0]["command"] == "reload"
    # The next build is news for everyone again.
    assert browsers.reload_stale(pages | {late}, "abc-3", "style.css", rebuilt=True) == 4
    assert fresh.sent[-1]["path"] == "style.css"


def test_a_page_without_the_cookie_hears_of_rebuilds_only():
    browsers, page = Browsers(), OpenPage(None)
    assert browsers.reload_stale({page}, "abc-2") == 0  # else a browser refusing cookies would reload forever
    assert browsers.reload_stale({page}, "abc-2", rebuilt=True) == 1


# --- rebuilding, and what the browser is shown ---------------------------------------------------

def preview_of(site_dir: Path, drafts: bool = True) -> Preview:
    return Preview(BuildOptions(content_dir=site_dir / "content", out_dir=site_dir / "preview" / "site",
                                drafts=drafts, search=False))


def test_a_preview_starts_from_the_one_before_and_renders_only_what_changed_meanwhile(site_dir, tmp_path):
    def session() -> tuple[Preview, Path]:
        with serve.preview_folder(site_dir / "content") as (out_dir, store):
            preview = Preview(BuildOptions(site_dir / "content", out_dir, search=False), store)
            assert preview.rebuild().problems == ()
            preview.keep_cache()
        return preview, out_dir

    first, out_dir = session()
    assert out_dir == site_dir / ".digest-cache/preview/site"
    before = {p.relative_to(out_dir).as_posix(): p.stat().st_mtime_ns for p in out_dir.rglob("*") if p.is_file()}
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another one, edited."))
    second, _ = session()
    after = {p.relative_to(out_dir).as_posix(): p.stat().st_mtime_ns for p in out_dir.rglob("*") if p.is_file()}
    assert {path for path in after if after[path] != before.get(path)} == {
        "launches/2030-04-10-second/index.html", "feed.xml", "actors/northland/feed.xml", "data/launches.json"}
    build(BuildOptions(site_dir / "content", tmp_path / "cold", search=False), incremental=False)
    assert {p: (out_dir / p).read_bytes() for p in after} == {p: (tmp_path / "cold" / p).read_bytes() for p in after}


def test_a_preview_stopped_while_writing_leaves_no_cache_of_its_files(site_dir, monkeypatch, tmp_path):
    with serve.preview_folder(site_dir / "content") as (out_dir, store):
        preview = Preview(BuildOptions(site_dir / "content", out_dir, search=False), store)
        preview.rebuild()
        launch = site_dir / "content/launches/2030-04-10-second.md"
        launch.write_text(launch.read_text().replace("Another one.", "Another one, edited."))
        monkeypatch.setattr(write.Patch, "apply", lambda patch, held: raise_(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            preview.rebuild()
        preview.keep_cache()
    assert not cache.output_path(store).exists()  # the next preview renders every page again
    monkeypatch.undo()
    with serve.preview_folder(site_dir / "content") as (out_dir, store):
        assert Preview(BuildOptions(site_dir / "content", out_dir, search=False), store).rebuild().problems == ()
    build(BuildOptions(site_dir / "content", tmp_path / "cold", search=False), incremental=False)
    assert tree(out_dir) == tree(tmp_path / "cold")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def raise_(exception):
    raise exception


def test_a_preview_builds_into_its_own_directory(site_dir):
    preview = preview_of(site_dir)
    outcome = preview.rebuild()
    assert outcome.problems == () and outcome.pages > 0
    assert (preview.root / "launches/2030-03-01-first/index.html").is_file()
    assert preview.error_page is None
    assert not (site_dir / "site").exists()


def test_invalid_content_swaps_in_an_error_page_with_the_same_lines_as_check(site_dir, monkeypatch, capsys):
    preview = preview_of(site_dir)
    preview.rebuild()
    launch = site_dir / LAUNCH
    good = launch.read_text()
    launch.write_text(good.replace("date: 2030-03-01", "date: 2030-02-30").replace(
        "role: launcher}", "role: launcher}, {id: nobody, role: launcher}"))
    outcome = preview.rebuild()

    monkeypatch.chdir(site_dir)
    assert main(["check", "--content", "content", "--drafts"]) == 1
    check_lines = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]
    assert len(check_lines) == 2
    # Problem paths are shown relative to the working directory in both.
    assert sorted(p.format() for p in outcome.problems) == sorted(check_lines)
    page = preview.error_page.decode()
    for line in check_lines:
        assert line in html.unescape(page)
    assert "</head>" in page  # where livereload puts its script, so the page reloads itself once fixed
    # The last good build is kept, untouched, for when the content is fixed.
    assert "First test launch" in (preview.root / "launches/2030-03-01-first/index.html").read_text()

    launch.write_text(good)
    assert preview.rebuild().problems == ()
    assert preview.error_page is None


def test_the_error_page_escapes_what_it_quotes(tmp_path):
    source = tmp_path / "a.md"
    source.write_text("---\ntitle: <script>alert(1)</script>\n---\n")
    problem = Problem(str(source), 2, 8, "title", "bad <b>value</b>")
    page = error_page((problem,), tmp_path)
    assert "<script>alert" not in page and "<b>value" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_quoted_line_points_at_the_column(tmp_path):
    (tmp_path / "a.md").write_text("---\ndate: 2030-02-30\n---\n")
    assert quote(Problem("a.md", 2, 7, "date", "no such day"), tmp_path) == "2 | date: 2030-02-30\n          ^"
    assert quote(Problem("a.md", 99, 1, "", "past the end"), tmp_path) == ""
    assert quote(Problem("missing.md", 1, 1, "", "gone"), tmp_path) == ""


def fetch(preview: Preview, paths: list[str]):
    """GET each path from PreviewServer's handlers on a throwaway port."""
    async def go():
        sock, port = bind_unused_port()
        server = HTTPServer(Application(PreviewServer(preview).get_web_handlers(b"")))
        server.add_sockets([sock])
        try:
            client = AsyncHTTPClient()
            return [await client.fetch(f"http://127.0.0.1:{port}/{path}", raise_error=False) for path in paths]
        finally:
            server.stop()
    # In a thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(go())).result()


def test_the_server_shows_the_error_page_at_every_url_until_fixed(site_dir):
    preview = preview_of(site_dir)
    preview.rebuild()
    urls = ["", "launches/2030-03-01-first/", "static/style.css", "no/such/page/"]
    good = [r.code for r in fetch(preview, urls)]
    assert good == [200, 200, 200, 404]

    launch = site_dir / LAUNCH
    text = launch.read_text()
    launch.write_text(text.replace("date: 2030-03-01", "date: 2030-02-30"))
    preview.rebuild()
    broken, broken_stamp = fetch(preview, urls), preview.stamp
    assert [r.code for r in broken] == [500] * len(urls)
    assert all(r.body == preview.error_page for r in broken)
    assert f"{LAUNCH}:3:7: error: date" in broken[0].body.decode()

    launch.write_text(text)
    preview.rebuild()
    back = fetch(preview, urls)
    assert [r.code for r in back] == [200, 200, 200, 404] and b"First test launch" in back[1].body
    assert back[1].headers["Cache-Control"] == "no-store"
    # Each HTML page says which build it shows (the stylesheet does not: it is no page).
    stamps = [r.headers.get("Set-Cookie", "") for r in back]
    assert all(f"{BUILD_COOKIE}={preview.stamp};" in stamps[i] for i in (0, 1, 3))
    assert stamps[2] == ""
    assert f"{BUILD_COOKIE}={broken_stamp};" in broken[0].headers["Set-Cookie"] and broken_stamp != preview.stamp


def test_the_preview_404_is_the_previews_own_live_page(site_dir):
    preview = preview_of(site_dir)
    preview.rebuild()
    [response] = fetch(preview, ["launches/2031-01-01-later/"])
    assert response.code == 404
    assert b"/launches/2031-01-01-later/" in response.body and b"</head>" in response.body


def test_drafts_are_shown_and_marked_unless_no_drafts(site_dir):
    (site_dir / "content/launches/2030-05-01-draft.md").write_text(
        "---\ntitle: A draft launch\ndate: 2030-05-01\ndraft: true\n"
        "actors: [{id: northland, role: launcher}]\n---\nNot yet.\n")
    shown = preview_of(site_dir)
    assert shown.rebuild().problems == ()
    page = (shown.root / "launches/2030-05-01-draft/index.html").read_text()
    assert "A draft launch" in page and 'class="draft-note"' in page
    hidden = preview_of(site_dir, drafts=False)
    assert hidden.rebuild().problems == ()
    assert not (hidden.root / "launches/2030-05-01-draft").exists()


def test_serve_options_on_the_command_line():
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.drafts, args.open, args.search) == ("127.0.0.1", 8000, True, False, False)
    args = parser().parse_args(["serve", "--no-drafts", "--open", "--search", "--port", "9001", "--content", "c"])
    assert (args.port, args.drafts, args.open, args.search, args.content) == (9001, False, True, True, Path("c"))


@pytest.mark.parametrize("argv, message", [
    (["--port", "70000"], "digest: error: --port must be between 1 and 65535, not 70000"),
    (["--content", "nowhere"],
     "digest: error: content directory nowhere not found (run from the site's folder or pass --content DIR)"),
    (["--templates", "theme"], "digest: error: templates directory theme not found"),
])
def test_usage_errors_stop_before_serving(site_dir, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(site_dir)
    assert main(["serve", *argv]) == 2
    assert capsys.readouterr().err.splitlines() == [message]


def test_a_ctrl_c_that_python_would_ignore_is_sent_again(monkeypatch):
    """Ctrl-C inside a weakref callback is 'ignored' by Python; serve sends it again so that it stops."""
    sent, printed = [], []
    monkeypatch.setattr(serve.os, "kill", lambda pid, signum: sent.append((pid, signum)))
    monkeypatch.setattr(serve.sys, "__unraisablehook__", printed.append)
    interrupted = SimpleNamespace(exc_type=KeyboardInterrupt)
    serve.interrupt_again(interrupted)
    assert sent == [(os.getpid(), signal.SIGINT)] and printed == []
    other = SimpleNamespace(exc_type=ValueError)
    serve.interrupt_again(other)
    assert printed == [other] and len(sent) == 1
