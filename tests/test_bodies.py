"""Bodies converted to HTML are kept between builds and checks (generator.bodies), and used only as they were."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time

import jinja2
import pytest

from generator import bodies, read, snapshot
from generator.build import BuildOptions, Memory, build, check
from generator.markup import MarkdownRenderer
from generator.render import default_templates_dir
from tests.conftest import SITE_YAML, write_tree
from tests.test_incremental import age_new_files, bulk_site, cold_tree, tree

LAUNCH = "content/launches/2030-04-10-second.md"


@pytest.fixture
def converted(monkeypatch) -> list[str]:
    """The first word of each body converted from now on."""
    texts, convert = [], MarkdownRenderer.render
    monkeypatch.setattr(MarkdownRenderer, "render",
                        lambda self, text, resolve: texts.append(text.split()[0]) or convert(self, text, resolve))
    return texts


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The name of each template rendered from now on (a page's, or a feed entry's)."""
    names, render = [], jinja2.Template.render
    monkeypatch.setattr(jinja2.Template, "render", lambda self, *args, **kwargs: names.append(self.name)
                        or render(self, *args, **kwargs))
    return names


def edit_base_template(project) -> None:
    """Give the project its own base.html, which every page extends."""
    base = (default_templates_dir() / "base.html").read_text()
    write_tree(project, {"templates/base.html": base.replace("</body>", "<!-- our own -->\n</body>")})


def edit_text(project, path: str, old: str, new: str) -> None:
    file = project / path
    file.write_text(file.read_text().replace(old, new))


def options_of(site_dir) -> BuildOptions:
    age_new_files(site_dir)
    return BuildOptions(site_dir / "content", site_dir / "site", search=False)


def kept_file(options: BuildOptions):
    return snapshot.cache_path(options.content_dir, options.out_dir).parent / bodies.FILE_NAME


def test_a_template_edit_renders_every_page_again_and_converts_no_body(site_dir, converted):
    options = options_of(site_dir)
    build(options)
    assert sorted(converted) == ["A", "Another", "[Northland](actor:northland)"]  # a source's and two launches'
    edit_base_template(site_dir)
    converted.clear()
    build(options_of(site_dir))
    assert converted == []
    assert b"<!-- our own -->" in (site_dir / "site/launches/2030-03-01-first/index.html").read_bytes()
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("command", [build, check])
def test_a_body_is_converted_again_when_its_text_changes_not_when_the_rest_of_its_file_does(site_dir, converted,
                                                                                         command):
    options = options_of(site_dir)
    command(options)
    edit_text(site_dir, LAUNCH, "title: Second test launch", "title: Second launch, renamed")
    converted.clear()
    command(options_of(site_dir))
    assert converted == []
    edit_text(site_dir, LAUNCH, "Another one.", "Yet another one.")
    command(options_of(site_dir))
    assert converted == ["Yet"]
    if command is build:
        assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_body_kept_for_its_file_as_it_is_is_found_without_its_text(site_dir, converted, monkeypatch):
    options = options_of(site_dir)
    build(options)
    edit_text(site_dir, LAUNCH, "Another one.", "Yet another one.")  # in the site's feed with the first launch
    digested = []
    text_digest = bodies.text_digest
    monkeypatch.setattr(bodies, "text_digest", lambda text: digested.append(text.split()[0]) or text_digest(text))
    converted.clear()
    build(options_of(site_dir))
    assert converted == ["Yet"] and set(digested) == {"Yet"}  # only the edited body's text is read
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_title_edit_converts_no_body_and_sets_up_no_markdown_converter(site_dir, converted, monkeypatch):
    options = options_of(site_dir)
    build(options)
    edit_text(site_dir, LAUNCH, "title: Second test launch", "title: Second launch, renamed")
    monkeypatch.setattr(MarkdownRenderer, "__init__", lambda self: pytest.fail("a Markdown converter set up"))
    converted.clear()
    report = build(options_of(site_dir))
    assert converted == [] and report.written.written > 1  # its page and its neighbours' rendered again
    monkeypatch.undo()
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_bodies_converted_by_another_version_of_digest_are_converted_again(site_dir, converted, monkeypatch):
    options = options_of(site_dir)
    build(options)
    for module in (bodies, read):  # the config's digest holds the code's
        monkeypatch.setattr(module, "code_digest", lambda: "another version of digest")
    edit_base_template(site_dir)
    converted.clear()
    build(options_of(site_dir))
    assert sorted(converted) == ["A", "Another", "[Northland](actor:northland)"]


def test_a_clean_build_converts_every_body_again_and_keeps_them(site_dir, converted):
    options = options_of(site_dir)
    build(options)
    converted.clear()
    build(options, incremental=False)
    assert sorted(converted) == ["A", "Another", "[Northland](actor:northland)"]
    converted.clear()
    edit_base_template(site_dir)
    build(options_of(site_dir))
    assert converted == []


@pytest.mark.parametrize("damage", [b"not a database at all" * 100, b""])
def test_a_damaged_file_of_bodies_is_started_again(site_dir, converted, damage):
    options = options_of(site_dir)
    build(options)
    for suffix in ("-wal", "-shm"):
        kept_file(options).with_name(bodies.FILE_NAME + suffix).unlink(missing_ok=True)
    kept_file(options).write_bytes(damage)
    converted.clear()
    build(options, incremental=False)
    assert sorted(converted) == ["A", "Another", "[Northland](actor:northland)"]
    assert tree(site_dir / "site") == cold_tree(site_dir)
    with sqlite3.connect(kept_file(options)) as db:
        assert db.execute("SELECT COUNT(*) FROM bodies").fetchone()[0] == 3


def test_a_file_of_bodies_that_cannot_be_opened_only_makes_the_build_convert_them(site_dir, converted):
    options = options_of(site_dir)
    kept_file(options).parent.mkdir(parents=True, exist_ok=True)
    kept_file(options).mkdir()  # a folder where the file would be
    build(options)
    build(options, incremental=False)
    assert len(converted) == 6
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_bodies_converted_in_workers_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    monkeypatch.setattr("generator.parallel.worker_count", lambda: 2)
    project = bulk_site(tmp_path)
    options = options_of(project)
    build(options)
    with sqlite3.connect(kept_file(options)) as db:
        kept = dict(db.execute("SELECT record, html FROM bodies"))
    assert len(kept) == 63 and kept["launch:2031-01-05-bulk-32"] == "<p>Text 32.</p>"  # 62 launches and a source
    edit_base_template(project)
    with monkeypatch.context() as patched:
        patched.setattr(MarkdownRenderer, "render", lambda self, text, resolve: pytest.fail(f"converted again: {text}"))
        build(options_of(project))  # in workers too: an item failing there fails here
    assert tree(project / "site") == cold_tree(project)


def test_a_preview_started_after_a_build_converts_no_body(site_dir, converted):
    build(options_of(site_dir))
    converted.clear()
    preview = BuildOptions(site_dir / "content", site_dir / "preview", search=False)
    build(preview, memory=Memory())
    assert converted == []
    assert tree(site_dir / "preview") == tree(site_dir / "site")


def test_a_feed_rendered_again_renders_only_the_entries_of_launches_whose_pages_changed(site_dir, monkeypatch,
                                                                                     rendered):
    options = options_of(site_dir)
    build(options)
    edit_text(site_dir, LAUNCH, "Another one.", "Yet another one.")  # in the site's feed and Northland's
    rendered.clear()
    build(options_of(site_dir))
    assert rendered.count("_feed_entry.xml") == 1  # the edited launch's, in both feeds
    edit_text(site_dir, "content/actors/northland.yaml", "Northland", "North Land")  # named in the first launch's entry
    rendered.clear()
    build(options_of(site_dir))
    assert rendered.count("_feed_entry.xml") == 2
    monkeypatch.undo()
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_entries_of_a_site_s_own_entry_template_are_not_kept(site_dir, monkeypatch, rendered):
    own = (default_templates_dir() / "_feed_entry.xml").read_text()
    write_tree(site_dir, {"templates/_feed_entry.xml": own.replace("<entry>", "<entry><!-- ours -->")})
    options = options_of(site_dir)
    build(options)
    edit_text(site_dir, LAUNCH, "Another one.", "Yet another one.")
    rendered.clear()
    build(options_of(site_dir))
    assert rendered.count("_feed_entry.xml") == 2  # the other launch's too: the template may show anything
    monkeypatch.undo()
    assert tree(site_dir / "site") == cold_tree(site_dir)
    assert b"<!-- ours -->" in (site_dir / "site/feed.xml").read_bytes()


def test_the_rows_of_deleted_and_renamed_records_are_forgotten(site_dir):
    options = options_of(site_dir)
    build(options)
    (site_dir / LAUNCH).unlink()
    source = site_dir / "content/sources/2030-03-01-daily-example.md"
    source.rename(source.with_name("2030-03-01-renamed.md"))
    edit_text(site_dir, "content/launches/2030-03-01-first.md", "2030-03-01-daily-example", "2030-03-01-renamed")
    build(options_of(site_dir))
    with sqlite3.connect(kept_file(options)) as db:
        assert sorted(record for (record,) in db.execute("SELECT record FROM bodies")) == [
            "launch:2030-03-01-first", "source:2030-03-01-renamed"]
        assert [entry.split("\0")[0] for (entry,) in db.execute("SELECT entry FROM entries")] == ["2030-03-01-first"]
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_processes_opening_a_new_file_at_once_all_keep_their_bodies(tmp_path):
    # A build's process and its workers may open the file when it does not exist yet: one of them
    # makes its tables, the others wait and find them (making them too failed: "table bodies already
    # exists", and that process kept nothing).
    records = [f"launch:l{i}" for i in range(8)]
    for attempt in range(5):
        path = tmp_path / f"{attempt}-{bodies.FILE_NAME}"
        wait, go = os.pipe()
        children = [_keeping_one_body(path, record, wait) for record in records]
        os.write(go, b"x" * len(records))  # all at once
        assert all(os.waitpid(pid, 0)[1] == 0 for pid in children)
        with sqlite3.connect(path) as db:
            assert sorted(record for (record,) in db.execute("SELECT record FROM bodies")) == records


def _keeping_one_body(path, record: str, wait: int) -> int:
    """A forked process that, once a byte comes on `wait`, opens the file at `path`, keeps one body and saves it."""
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        os.read(wait, 1)
        kept = bodies.KeptBodies(path, {record: "digest"})
        kept.put(record, "Text.", f"<p>{record}</p>")
        kept.close()
        status = 0
    finally:
        os._exit(status)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="bodies are converted ahead in a forked process")
def test_bodies_converted_ahead_of_rendering_are_kept_and_not_converted_again(tmp_path, monkeypatch, converted):
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    monkeypatch.setattr("generator.parallel.worker_count", lambda: 0)  # every page rendered here, where `converted` sees

    def finish_then_stop(self):  # every body converted ahead, as if linking and planning took long
        if self.pid is not None:
            self.pid, pid = None, self.pid
            for _ in range(3000):  # it ends by itself once it has converted all, if told to go
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.01)
            else:
                os.close(self.control)
                os.waitpid(pid, 0)
                pytest.fail("the process converting ahead was never told to go")
            os.close(self.control)

    monkeypatch.setattr(bodies.ConvertingAhead, "stop", finish_then_stop)
    project = bulk_site(tmp_path)
    options = options_of(project)
    build(options)
    assert converted == []  # all 63 found kept
    with sqlite3.connect(kept_file(options)) as db:
        assert db.execute("SELECT html FROM bodies WHERE record = 'launch:2031-01-05-bulk-32'").fetchone() == (
            "<p>Text 32.</p>",)
    assert tree(project / "site") == cold_tree(project)


def ahead_site(root, count: int):
    """A content folder of `count` launches, each with a body."""
    files = {"content/site.yaml": SITE_YAML}
    for i in range(count):
        files[f"content/launches/2030-01-01-l{i:05d}.md"] = f"---\ntitle: L{i}\ndate: 2030-01-01\n---\nA *body* [{i}](actor:a{i}).\n"
    return write_tree(root, files) / "content"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="bodies are converted ahead in a forked process")
def test_converting_ahead_stops_when_told_and_keeps_what_it_converted(tmp_path, monkeypatch):
    from generator.cache import digest
    from generator.render import link_marker

    monkeypatch.setattr(bodies, "SAVE_EVERY", 10)  # saved soon after it begins
    content, path = ahead_site(tmp_path, 2000), tmp_path / bodies.FILE_NAME
    ahead = bodies.ConvertingAhead(path, content, None)
    assert ahead.pid is not None and not path.exists()  # waiting to be told to go
    ahead.go()
    for _ in range(1000):  # until it has kept some
        time.sleep(0.01)
        if path.exists():
            with contextlib.closing(sqlite3.connect(path)) as db:
                if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'bodies'").fetchone()[0] and db.execute(
                        "SELECT count(*) FROM bodies").fetchone()[0]:
                    break
    ahead.stop()
    assert ahead.pid is None
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = dict(db.execute("SELECT record, html FROM bodies"))
    assert 0 < len(rows) < 2000
    markdown, first = MarkdownRenderer(), sorted(rows)[0]
    assert first == "launch:2030-01-01-l00000"  # the first files first
    assert rows[first] == markdown.render("A *body* [0](actor:a0).\n", link_marker)
    files = {record: digest((content / "launches" / f"{record[7:]}.md").read_bytes()) for record in rows}
    config = read.read_config(content, None, [])[1]
    found = bodies.KeptBodies(path, files, config)
    assert found.get(first, lambda: pytest.fail("asked for the text")) == rows[first]  # kept for the file as it is


def test_bodies_are_not_converted_ahead_when_kept_before_or_not_kept(tmp_path):
    content = ahead_site(tmp_path, 10)
    (tmp_path / "kept.sqlite").write_bytes(b"")
    for path in (None, tmp_path / "kept.sqlite"):
        assert bodies.ConvertingAhead(path, content, None).pid is None
    with bodies.ConvertingAhead(tmp_path / "new.sqlite", content, None) as ahead:
        ahead.go()
    assert not (tmp_path / "new.sqlite").exists()  # too few to be worth it


@pytest.mark.skipif(not hasattr(os, "fork"), reason="bodies are converted ahead in a forked process")
def test_the_process_converting_ahead_holds_none_of_the_build_s_other_pipes(tmp_path):
    readable, writable = os.pipe()
    try:
        with bodies.ConvertingAhead(tmp_path / "new.sqlite", ahead_site(tmp_path, 10), None) as ahead:
            assert ahead.pid is not None
            os.close(readable)
            for _ in range(500):  # once it has closed what it got, nothing reads the pipe
                try:
                    os.write(writable, b"x")
                except BrokenPipeError:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the process converting ahead holds the pipe's reading end")
    finally:
        os.close(writable)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="bodies are converted ahead in a forked process")
def test_a_build_goes_on_when_the_process_converting_ahead_was_killed(tmp_path):
    import signal

    with bodies.ConvertingAhead(tmp_path / "new.sqlite", ahead_site(tmp_path, 10), None) as ahead:
        os.kill(ahead.pid, signal.SIGKILL)
        os.waitid(os.P_PID, ahead.pid, os.WEXITED | os.WNOWAIT)  # gone, and its end of the pipe with it; not reaped
        ahead.go()
    assert ahead.pid is None
