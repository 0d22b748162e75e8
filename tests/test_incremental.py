"""Incremental builds: any sequence of edits gives exactly what a cold build gives."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import time
from array import array
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import build as build_module
from generator import render as render_module
from generator import cache, feeds, read, routes, snapshot, write
from generator import link as link_module
from generator.build import BuildOptions, Memory, build, check
from generator.errors import ContentError
from generator.link import Site
from generator.markup import MarkdownRenderer
from generator.model import kind_of, record_key
from generator.render import default_templates_dir
from generator.serve import ChangeWatcher, watched_roots
from generator.validate import validate_doc
from tests.conftest import REPO, minimal_site, shard_search, write_tree


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cold_tree(site_dir: Path, drafts: bool = False) -> dict[str, bytes]:
    """What a cold build of the site's content gives."""
    build(BuildOptions(site_dir / "content", site_dir / "cold", drafts=drafts, search=False), incremental=False)
    return tree(site_dir / "cold")


def launch_text(title: str, date: str, actor: str, body: str, source: str | None) -> str:
    sources = f"sources: [{source}]\n" if source else ""
    return (f"---\ntitle: {title}\ndate: {date}\nactors: [{{id: {actor}, role: launcher}}]\n{sources}---\n{body}\n")


# One edit to the content: (operation, a number that picks what and how).
edits = st.lists(st.tuples(st.sampled_from(
    ["add", "delete", "rename", "retitle", "redate", "rebody", "retext", "relocate", "actor", "source", "site",
     "template", "nothing"]),
    st.integers(0, 50)), min_size=1, max_size=6)


def age_new_files(project: Path) -> None:
    """Give files written in the last minute each an old, unique time, as files have
    some time after they are saved; only then can a build trust size and time.
    The outputs keep theirs: a build trusts the data files it wrote as they are."""
    global stamp_ns
    for path in sorted([*(project / "content").rglob("*"), *(project / "templates").rglob("*")]):
        if path.is_file() and path.stat().st_mtime_ns > time.time_ns() - 60_000_000_000:
            stamp_ns += 1_000_000_000
            os.utime(path, ns=(stamp_ns, stamp_ns))


stamp_ns = 1_600_000_000_000_000_000


def apply(project: Path, operation: str, n: int) -> None:
    launches = sorted((project / "content/launches").glob("*.md"))
    content = project / "content"
    if operation == "add" or not launches:
        date = f"2030-{1 + n % 12:02d}-{1 + n % 28:02d}"
        (content / f"launches/{date}-added-{n}.md").write_text(
            launch_text(f"Added launch {n}", date, "northland", f"Body {n}.", None))
    elif operation == "delete":
        launches[n % len(launches)].unlink()
    elif operation == "rename":
        path = launches[n % len(launches)]
        path.rename(path.with_name(f"renamed-{n}-{path.name}"))
    elif operation == "retitle":
        path = launches[n % len(launches)]
        path.write_text(path.read_text().replace("title: ", f"title: Edited {n} ", 1))
    elif operation == "redate":
        path = launches[n % len(launches)]
        lines = [f"date: 2029-{1 + n % 12:02d}-{1 + n % 27:02d}" if line.startswith("date:") else line
                 for line in path.read_text().splitlines()]
        path.write_text("\n".join(lines) + "\n")
    elif operation == "rebody":
        path = launches[n % len(launches)]
        path.write_text(path.read_text() + f"\nMore text {n}, see [Southland](actor:southland).\n")
    elif operation == "retext":  # a body alone, naming no new record: the preview's quickest rebuild
        text = "" if n % 5 == 0 else f"Text {n}, *rewritten*."
        if n % 4 == 2:
            path = content / "actors/northland.yaml"
            fields = [line for line in path.read_text().splitlines() if not line.startswith("body:")]
            path.write_text("\n".join(fields + [f"body: '{text}'"]) + "\n")
            return
        path = content / "sources/2030-03-01-daily-example.md" if n % 4 == 3 else launches[n % len(launches)]
        front_matter, _, _ = path.read_text().rpartition("---\n")
        path.write_text(front_matter + "---\n" + text + "\n")
    elif operation == "relocate":  # what a launch's pages show, keeping what orders and links it
        path = launches[n % len(launches)]
        lines = [line for line in path.read_text().splitlines() if not line.startswith("location:")]
        path.write_text("\n".join(lines[:1] + [f"location: place {n}"] + lines[1:]) + "\n")
    elif operation == "actor":
        (content / "actors/northland.yaml").write_text(f"name: Northland {n}\nkind: state\n")
    elif operation == "source":
        path = content / "sources/2030-03-01-daily-example.md"
        path.write_text(path.read_text().replace("outlet: Daily Example", f"outlet: Daily Example {n}"))
    elif operation == "site":
        path = content / "site.yaml"
        text = path.read_text().replace("title: Test Digest", f"title: Test Digest {n}")
        path.write_text(text.replace("per_page: 1", "per_page: 2") if n % 2 else text)
    elif operation == "nothing":
        pass
    elif operation == "template":
        templates = project / "templates"
        templates.mkdir(exist_ok=True)
        (templates / "redirect.html").write_text("moved {{ page.title }}\n")
        (templates / "launches.html").write_text("{% for v in site.launches %}{{ body(v.launch) }}{% endfor %}\n")
        (templates / "actor.html").write_text(
            "{% for role, v in site.launches_of_actor.get(actor.id, ()) %}{{ body(v.launch) }}{% endfor %}\n")
        (templates / "_feed_entry.xml").write_text(  # shows a body besides its own launch's
            "<entry>{{ entry.id }} {{ body(site.actors['northland']) }}</entry>\n")
        source = Path(__file__).resolve().parents[1] / "templates" / "year.html"
        (templates / "year.html").write_text(source.read_text().replace("recorded in", f"recorded ({n}) in"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=edits)
def test_incremental_equals_cold(tmp_path_factory, monkeypatch, sequence):
    monkeypatch.setattr(feeds, "SITEMAP_LIMIT", 6)  # a sitemap in parts, which edits add and take away
    files = minimal_site()
    # Listings in pages that edits add and take away: the index, northland's launches, the sources.
    files["content/site.yaml"] += "per_page: 1\n"
    files["content/sources/2030-04-01-second-report.md"] = (
        "---\ntitle: A second report\noutlet: Example Wire\npublished: 2030-04-01\ncontributors: [northland]\n---\n")
    project = write_tree(tmp_path_factory.mktemp("project"), files)
    # A published launch with an alias, so redirects are exercised too.
    (project / "content/launches/2030-05-05-third.md").write_text(
        "---\ntitle: Third\ndate: 2030-05-05\naliases: [launches/old-third/]\n"
        "actors: [{id: south-staff, role: reporter}]\nsources: [2030-03-01-daily-example]\n---\nText.\n")
    # Two incremental builds side by side: the command line's (cache in a file) and the preview's (in
    # memory, reading again what its watcher saw change).
    incremental_out, preview_out, memory = project / "site", project / "preview", Memory()
    age_new_files(project)
    watcher = ChangeWatcher(watched_roots(BuildOptions(project / "content", preview_out)))
    build(BuildOptions(project / "content", incremental_out, search=False))
    build(BuildOptions(project / "content", preview_out, search=False), memory=memory)
    for operation, n in sequence:
        apply(project, operation, n)
        age_new_files(project)
        before = tree(incremental_out), tree(preview_out)
        cold_out = project / "cold"
        shutil.rmtree(cold_out, ignore_errors=True)
        try:
            cold = build(BuildOptions(project / "content", cold_out, search=False), incremental=False)
        except ContentError as cold_error:  # e.g. a deleted launch that a body still links to
            for out, kept in [(incremental_out, None), (preview_out, memory)]:
                with pytest.raises(ContentError) as incremental_error:
                    build(BuildOptions(project / "content", out, search=False), memory=kept,
                          touched=seen_by(watcher) if kept else None)
                assert incremental_error.value.problems == cold_error.problems
            with pytest.raises(ContentError) as check_error:  # with the cache of the checks before
                check(BuildOptions(project / "content"))
            assert check_error.value.problems == cold_error.problems
            assert (tree(incremental_out), tree(preview_out)) == before
            continue
        assert check(BuildOptions(project / "content")).pages == cold.pages
        build(BuildOptions(project / "content", incremental_out, search=False))
        build(BuildOptions(project / "content", preview_out, search=False), memory=memory, touched=seen_by(watcher))
        assert tree(incremental_out) == tree(cold_out), f"after {operation} {n}"
        assert tree(preview_out) == tree(cold_out), f"in memory, after {operation} {n}"


def seen_by(watcher: ChangeWatcher) -> set[str]:
    """What the preview's watcher tells a build: every file changed since the last build."""
    watcher.poll(time.monotonic())
    return watcher.take_touched()


def test_unchanged_build_writes_nothing(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    before = {p: p.stat().st_mtime_ns for p in (site_dir / "site").rglob("*")}
    report = build(options)
    assert report.written.written == 0 and report.written.removed == 0
    assert not [path for path in report.made if path.endswith("/index.html")]  # no page rendered again
    assert {p: p.stat().st_mtime_ns for p in (site_dir / "site").rglob("*")} == before


def test_one_edit_rerenders_only_what_shows_it(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    site = site_dir / "site"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    report = build(options)
    rendered = set(report.made)
    assert "launches/2030-04-10-second/index.html" in rendered
    assert "launches/2030-03-01-first/index.html" not in rendered  # its neighbour shows its title, not its body
    assert "sources/2030-03-01-daily-example/index.html" not in rendered  # does not cite it
    assert "sitemap.xml" not in rendered  # no page's path or date changed
    changed = {p.relative_to(site).as_posix() for p, mtime in before.items() if p.stat().st_mtime_ns != mtime}
    assert changed == {"launches/2030-04-10-second/index.html"}  # the only page whose bytes changed


def retitled_after_a_build(site_dir: Path, kept: str) -> tuple[BuildOptions, Memory | None, Path]:
    """The options and memory (`kept`: "command line" or "preview") of a build, after which one
    launch's title was edited: that launch's file."""
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    memory = Memory() if kept == "preview" else None
    age_new_files(site_dir)
    build(options, memory=memory)
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Second test launch", "Second test launch, renamed"))
    age_new_files(site_dir)
    return options, memory, path


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_after_a_title_edit_the_data_files_are_staged_while_the_pages_render(site_dir, monkeypatch, kept):
    options, memory, _ = retitled_after_a_build(site_dir, kept)
    events, add_behind, render = [], write.Patch.add_behind, render_module.Renderer.render
    monkeypatch.setattr(write.Patch, "add_behind",
                        lambda patch, files: events.append([path for path, _ in files]) or add_behind(patch, files))
    monkeypatch.setattr(render_module.Renderer, "render", lambda *args: events.append("page") or render(*args))
    build(options, memory=memory)
    assert events[0] == ["data/launches.json", "data/launches.csv"] and events[1:] == ["page"] * (len(events) - 1)
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_the_list_of_actors_is_rendered_again_for_its_counts_not_for_a_title(site_dir, kept):
    options, memory, path = retitled_after_a_build(site_dir, kept)
    rendered = set(build(options, memory=memory).made)
    assert {"launches/2030-04-10-second/index.html", "actors/northland/index.html"} <= rendered
    assert "actors/index.html" not in rendered
    write_tree(site_dir, {"content/launches/2030-05-20-third.md": launch_text(
        "Third test launch", "2030-05-20", "southland", "A third one.", None)})
    age_new_files(site_dir)
    rendered = set(build(options, memory=memory).made)
    assert "actors/index.html" in rendered
    assert "Southland</a>      <span class=\"count\">(1 launch)<" in (site_dir / "site/actors/index.html").read_text()
    # A site's own list of actors may show the launches' titles.
    write_tree(site_dir, {"templates/actors.html": "{% for v in site.launches %}{{ v.launch.title }};{% endfor %}\n"})
    age_new_files(site_dir)
    build(options, memory=memory)
    path.write_text(path.read_text().replace("renamed", "renamed twice"))
    age_new_files(site_dir)
    assert "actors/index.html" in build(options, memory=memory).made
    assert "renamed twice;" in (site_dir / "site/actors/index.html").read_text()


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_a_body_edit_renders_the_listings_again_only_if_their_templates_show_bodies(site_dir, monkeypatch, kept):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), None
    if kept == "preview":
        memory = Memory()
    fingerprinted = []
    fingerprint = build_module.page_fingerprints
    monkeypatch.setattr(build_module, "page_fingerprints",
                        lambda pages, *args: fingerprinted.extend(p.path for p in pages) or fingerprint(pages, *args))
    age_new_files(site_dir)
    build(options, memory=memory)
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    age_new_files(site_dir)
    fingerprinted.clear()
    rendered = set(build(options, memory=memory).made)
    assert {"launches/2030-04-10-second/index.html", "feed.xml", "actors/northland/feed.xml"} <= rendered
    assert not {"index.html", "launches/index.html", "launches/2030/index.html", "actors/index.html"} & rendered
    # Digest's own actor and launch pages show only their own record's body.
    assert not {"actors/northland/index.html", "launches/2030-03-01-first/index.html"} & rendered
    if memory:  # the preview does not even fingerprint them again
        assert "launches/2030-04-10-second/index.html" in fingerprinted and "index.html" not in fingerprinted
    # A site's own templates that show bodies are made of them.
    write_tree(site_dir, {
        "templates/launches.html": "{% for v in site.launches %}{{ body(v.launch) }}{% endfor %}\n",
        "templates/actor.html": "{% for role, v in site.launches_of_actor.get(actor.id, ()) %}{{ body(v.launch) }}"
                                "{% endfor %}\n"})
    age_new_files(site_dir)
    build(options, memory=memory)
    path.write_text(path.read_text().replace("Another one, edited.", "Another one, edited twice."))
    age_new_files(site_dir)
    report = build(options, memory=memory)
    for page in ("launches/index.html", "actors/northland/index.html"):
        assert page in report.made and b"edited twice" in (site_dir / "site" / page).read_bytes()
    assert "index.html" not in report.made


@pytest.mark.parametrize("kept", ["file", "memory"])
def test_a_build_stopped_while_writing_leaves_no_cache_to_trust(site_dir, monkeypatch, kept):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    memory_or_none = memory if kept == "memory" else None
    age_new_files(site_dir)
    build(options, memory=memory_or_none)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    original = launch.read_text()
    launch.write_text(original.replace("Another one.", "Another two."))
    age_new_files(site_dir)

    def half_written(patch, held):  # the edited page is put in place, then the disk is full
        page = "launches/2030-04-10-second/index.html"
        os.replace(patch.staged(page), patch.out_dir / page)
        raise OSError("No space left on device")
    monkeypatch.setattr(write.Patch, "apply", half_written)
    with pytest.raises(OSError):
        build(options, memory=memory_or_none)
    if kept == "file":
        assert not list((site_dir / ".digest-cache").glob("build-*.output.pickle"))
    else:  # what the content files validated to is kept; what the output was made of is not
        assert memory.last is not None and memory.last.files and memory.last.outputs is None
    monkeypatch.undo()
    # Back to the first text: a cache from before would call the page unchanged and keep "Another two."
    launch.write_text(original)
    age_new_files(site_dir)
    build(options, memory=memory_or_none)
    assert "Another one." in (site_dir / "site/launches/2030-04-10-second/index.html").read_text()


def test_a_cache_kept_in_memory_reads_only_what_changed(site_dir, monkeypatch):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    first = build(options, memory=memory)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    age_new_files(site_dir)
    validated = []
    monkeypatch.setattr(read, "validate_doc", lambda doc, config: validated.append(doc.path) or validate_doc(doc, config))
    report = build(options, memory=memory)
    assert [Path(p).name for p in validated] == [launch.name]
    assert "Another two." in (site_dir / "site/launches/2030-04-10-second/index.html").read_text()
    assert report.pages == first.pages and report.written.written < 5
    assert not list((site_dir / ".digest-cache").glob("build-*"))  # no cache file, no snapshot
    assert (site_dir / ".digest-cache/.gitignore").read_text() == "*\n"  # compiled templates: not for git


def count_calls(monkeypatch, module, name: str) -> list:
    """Replace module.name with a wrapper that records each call; return the record."""
    calls, wrapped = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append(name) or wrapped(*args, **kwargs))
    return calls


def edit_three_bodies(site_dir: Path) -> None:
    """Edit a launch's, a source's and an actor's bodies."""
    edits = {  # path -> (old text, new text)
        "launches/2030-04-10-second.md": ("Another one.", "Another one, told at length."),
        "sources/2030-03-01-daily-example.md": ("A made-up report", "An invented report"),
        "actors/southland.yaml": ("kind: state\n", "kind: state\nbody: A state of *our* invention.\n"),
    }
    for name, (old, new) in edits.items():
        path = site_dir / "content" / name
        path.write_text(path.read_text().replace(old, new))


def test_the_preview_rebuilds_after_a_body_edit_without_linking_or_planning(site_dir, monkeypatch):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    linked, planned = count_calls(monkeypatch, build_module, "link"), count_calls(monkeypatch, build_module, "plan")
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    report = build(options, memory=memory)
    assert not linked and not planned
    assert {"launches/2030-04-10-second/index.html", "sources/2030-03-01-daily-example/index.html",
            "actors/southland/index.html", "feed.xml", "data/launches.json"} <= set(report.made)
    assert "launches/2030-03-01-first/index.html" not in report.made
    assert tree(site_dir / "site") == cold_tree(site_dir)
    assert b"told at length" in (site_dir / "site/feed.xml").read_bytes()


def test_the_preview_indexes_which_pages_show_each_record_once_a_plan_for_edits_that_keep_every_shape(
        site_dir, monkeypatch):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    indexed = count_calls(monkeypatch, build_module, "shown_index")
    age_new_files(site_dir)
    build(options, memory=memory)
    first = memory.plan.index
    assert len(indexed) == 1
    launch = site_dir / "content/launches/2030-04-10-second.md"
    for number, (old, new) in enumerate([("Another one.", "Another two."), ("title: ", "title: Retitled "),
                                         ("Another two.", "Another three.")]):
        launch.write_text(launch.read_text().replace(old, new, 1))
        age_new_files(site_dir)
        build(options, memory=memory)
        assert len(indexed) == 1 and memory.plan.index is first, number
        assert tree(site_dir / "site") == cold_tree(site_dir)
    (site_dir / "content/launches/2030-04-10-second.md").rename(site_dir / "content/launches/2030-04-10-moved.md")
    age_new_files(site_dir)
    build(options, memory=memory)  # a new plan, linked again, and its index
    assert len(indexed) == 2 and memory.plan.index is not first


def test_the_pages_the_index_picks_are_those_that_show_the_edited_records(tmp_path):
    """pages_showing against asking each page of the bundled site what it shows, for every record
    edited in its body alone and besides its body."""
    shutil.copytree(REPO / "content", tmp_path / "content")  # the build's cache lands beside the copy
    options, memory = BuildOptions(tmp_path / "content", tmp_path / "site", search=False), Memory()
    build(options, memory=memory)
    planned = memory.plan
    renderer = render_module.Renderer(planned.site, build_module.template_dirs(options))
    index = build_module.shown_index(planned.pages, renderer)
    templates = {page.template: (renderer.shows_bodies(page.template), renderer.is_shipped(page.template))
                 for page in planned.pages}
    site = planned.site
    for record in [*(view.launch for view in site.launches), *site.sources.values(), *site.actors.values()]:
        key = record_key(kind_of(record), record.id)
        for heads in (frozenset(), frozenset({key})):
            edited = build_module.Edited([record], heads)
            expected = [page for page in planned.pages if page.depends_on is None
                        or key in build_module.shown_bodies(page, *templates[page.template])
                        or (heads and key in build_module.shown_records(page, templates[page.template][1]))]
            assert build_module.pages_showing(planned.pages, edited, index) == expected, (key, heads)
            assert expected  # the record's own pages at least


@pytest.mark.parametrize("search", [False, True])
def test_the_command_line_plans_alone_the_pages_that_show_edited_bodies(site_dir, monkeypatch, search):
    shard_search(site_dir, monkeypatch)  # bundles kept and bundles made again
    options = BuildOptions(site_dir / "content", site_dir / "site", search=search)
    age_new_files(site_dir)
    first = build(options)
    planned = count_calls(monkeypatch, build_module, "plan")
    edit_three_bodies(site_dir)
    (site_dir / "site/launches/2030-03-01-first/index.html").unlink()  # a page gone from the output is put back
    age_new_files(site_dir)
    report = build(options)
    assert not planned
    assert set(report.made) >= {"launches/2030-04-10-second/index.html", "sources/2030-03-01-daily-example/index.html",
                                 "actors/southland/index.html", "feed.xml", "actors/northland/feed.xml",
                                 "launches/2030-03-01-first/index.html", "data/launches.json"}
    assert not {"index.html", "launches/index.html", "actors/northland/index.html"} & set(report.made)
    assert report.pages == first.pages
    build(BuildOptions(site_dir / "content", site_dir / "cold", search=search), incremental=False)
    assert tree(site_dir / "site") == tree(site_dir / "cold")
    assert b"told at length" in (site_dir / "site/feed.xml").read_bytes()


@pytest.mark.parametrize("command", [build, check])
def test_a_rebuild_after_a_body_edit_takes_the_linked_site_from_the_cache_and_reads_only_what_it_shows(
        site_dir, monkeypatch, command):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    command(options)
    linked = count_calls(monkeypatch, build_module, "link")
    unpickled = count_calls(monkeypatch, cache, "unpickle_result")
    files = len(list((site_dir / "content").rglob("*.[my]*"))) - 1  # site.yaml aside
    source = site_dir / "content/sources/2030-03-01-daily-example.md"  # shown on its own page alone
    source.write_text(source.read_text().replace("A made-up report", "An invented report"))
    age_new_files(site_dir)
    command(options)
    assert not linked
    assert 0 < len(unpickled) < files
    if command is build:
        assert tree(site_dir / "site") == cold_tree(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"  # in the site's feed and its launcher's
    launch.write_text(launch.read_text().replace("Another one.", "Another one, at length."))
    age_new_files(site_dir)
    linked.clear(), unpickled.clear()  # of the cold build compared with
    command(options)
    assert not linked
    assert 0 < len(unpickled) < files
    if command is build:
        assert tree(site_dir / "site") == cold_tree(site_dir)
    launch.write_text(launch.read_text().replace("title: Second test launch", "title: Second launch, renamed"))
    age_new_files(site_dir)
    linked.clear()
    command(options)
    assert not linked  # the listings that show its title too, planned alone
    if command is build:
        assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("edit", ["title", "new launch"])
def test_the_records_are_linked_once_the_cache_file_s_bytes_are_let_go(site_dir, monkeypatch, edit):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    # The site's own listing, which may show every launch: a title edit links the records again.
    (site_dir / "templates").mkdir()
    shutil.copy(default_templates_dir() / "launches.html", site_dir / "templates/launches.html")
    age_new_files(site_dir)
    build(options)
    loaded, held = [], []  # held: for each call of link, the entries holding both their result and its bytes
    load, link = cache.load, build_module.link
    monkeypatch.setattr(cache, "load", lambda store: loaded.append(load(store)) or loaded[-1])
    monkeypatch.setattr(build_module, "link", lambda *args, **kwargs: held.append(
        [path for path, entry in loaded[0].files.items() if entry.loaded and entry.pickled]) or link(*args, **kwargs))
    path = site_dir / "content/launches/2030-04-10-second.md"
    if edit == "title":  # shown on the listings
        path.write_text(path.read_text().replace("title: Second test launch", "title: Second launch, renamed"))
    else:
        (site_dir / "content/launches/2030-05-01-third.md").write_text(path.read_text())
    age_new_files(site_dir)
    build(options)
    assert loaded and held == [[]]
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_which_pages_show_each_record_are_found_by_key_among_keys_that_begin_alike():
    paths = [f"launches/{n}/index.html" for n in range(300)] + ["index.html"]
    bodies = {"launch:a": array("I", [300]), "launch:ab": array("I", [1, 2]), "launch:abc": array("I"),
              "launch:b": array("I", [299, 0])}
    shown = cache.ShownOn.of(paths, bodies, {"actor:a": array("I", [7])})
    assert [shown.pages([key], bodies=True) for key in bodies] == [{paths[n] for n in numbers}
                                                                   for numbers in bodies.values()]
    assert shown.pages(["launch:", "a", "launch:b "], bodies=True) == set()
    assert shown.pages(["actor:a"], bodies=False) == {"launches/7/index.html"}
    assert shown.pages(["launch:a"], bodies=False) == set()
    many = ["launch:ab", "launch:b", "launch:abc", "launch:", "a", "launch:b ", *(f"launch:{n}" for n in range(9))]
    assert len(many) > cache.LOOKED_UP_ALONE  # the list split once, not each key looked for along it
    assert shown.numbers(many, bodies=True) == {0, 1, 2, 299} == shown.numbers(many[:3], bodies=True)
    shown = cache.ShownOn(tuple(pickle.loads(pickle.dumps(shown.pickled))))  # as kept
    assert shown.pages(["launch:b"], bodies=True) == {"launches/299/index.html", "launches/0/index.html"}


def test_a_kept_site_loads_one_stand_in_per_record_filled_as_linked(site_dir, tmp_path):
    site = build_module.load_site(site_dir / "content")
    records = {record_key(kind_of(r), r.id): r
               for r in [*(v.launch for v in site.launches), *site.sources.values(), *site.actors.values()]}
    filled = []
    shown = cache.ShownOn.of(["a", "b", "c"], {"launch:one": array("I", [2, 0])}, {"launch:one": array("I", [1])})
    cache.save_site(tmp_path / "build.pickle", site, "files", shown)
    assert cache.load_kept(tmp_path / "build.pickle", "other files") is None
    kept_site = cache.load_kept(tmp_path / "build.pickle", "files")
    assert kept_site.shown.pages(["launch:one"], bodies=True) == {"c", "a"}
    assert kept_site.shown.pages(["launch:one"], bodies=False) == {"b"}
    assert kept_site.shown.pages(["launch:two"], bodies=True) == set()
    kept = kept_site.site(lambda key: filled.append(key) or records[key])
    first, second = kept.launches[0], kept.launches[1]
    assert first.next is second.launch and second.previous is first.launch  # one stand-in per record
    assert kept.launches_of_source[first.launch.sources[0]][0].launch is first.launch
    assert filled == [record_key("launch", first.launch.id)]  # .sources: the first field read of the launch
    assert kept == site and sorted(filled) == sorted(records)


def test_a_kept_site_loads_the_fields_a_launch_s_pages_do_not_read_only_when_read(site_dir, monkeypatch):
    assert {*cache.SITE_FIELDS_FIRST, *cache.SITE_FIELDS_LATER} == set(Site.__dataclass_fields__)
    monkeypatch.setattr(feeds, "FEED_LIMIT", 1)
    launch = site_dir / "content/launches/2030-01-15-zeroth.md"  # in no feed, as most launches of a large site
    launch.write_text("---\ntitle: Zeroth test launch\ndate: 2030-01-15\nactors: [{id: northland, role: launcher}]\n"
                      "---\nAn early one.\n")
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    kept_sites, site_of = [], cache.Kept.site
    monkeypatch.setattr(cache.Kept, "site", lambda kept, record: kept_sites.append(site_of(kept, record)) or kept_sites[-1])
    launch.write_text(launch.read_text().replace("An early one.", "An early one, at length."))
    age_new_files(site_dir)
    build(options)
    [site] = kept_sites
    assert not set(cache.SITE_FIELDS_LATER) & site.__dict__.keys()
    assert tree(site_dir / "site") == cold_tree(site_dir)
    assert site == link_module.link(read.read_content(options.content_dir, None, None).validated)  # each field read
    assert set(cache.SITE_FIELDS_LATER) <= site.__dict__.keys() and "_fill" not in site.__dict__


@pytest.mark.parametrize("command", [build, check])
def test_a_rebuild_converts_again_only_the_bodies_edited_since_they_were_converted(site_dir, monkeypatch, command):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    command(options)
    launch = site_dir / "content/launches/2030-04-10-second.md"  # in the site's feed, with the first launch
    converted, convert = [], MarkdownRenderer.render
    monkeypatch.setattr(MarkdownRenderer, "render", lambda self, text, resolve: converted.append(text.split()[0])
                        or convert(self, text, resolve))
    for n in range(2):
        launch.write_text(launch.read_text().replace("Another one", f"Again ({n}), another one", 1)
                          .replace(f"Again ({n - 1}), another one", f"Again ({n}), another one"))
        age_new_files(site_dir)
        converted.clear()
        command(options)
        assert converted == ["Again"]  # not the other launch in the feed: converted by the first build or check
        if command is build:
            assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_kept_site_whose_later_fields_are_damaged_is_not_used(site_dir, monkeypatch):
    options, store = built(site_dir)
    site_file = cache.site_path(store)
    data = bytearray(site_file.read_bytes())
    data[-20] ^= 0xFF  # in the last field, which a launch's pages never read
    site_file.write_bytes(bytes(data))
    linked = count_calls(monkeypatch, build_module, "link")
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another one, at length."))
    age_new_files(site_dir)
    build(options)
    assert linked  # not found damaged while rendering, too late to link
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("command", [build, check])
def test_a_stray_file_beside_a_body_edit_is_reported(site_dir, command):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    command(options)
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, at length."))
    (site_dir / "content/launches/notes.txt").write_text("to do\n")
    age_new_files(site_dir)
    with pytest.raises(ContentError) as caught:
        command(options)
    assert [problem.message for problem in caught.value.problems] == ["unexpected file in launches/"]


@pytest.mark.parametrize("damage", ["gone", "of another build"])
def test_without_the_site_it_linked_a_rebuild_after_a_body_edit_links_again(site_dir, monkeypatch, damage):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    site_file = cache.site_path(snapshot.cache_path(options.content_dir, options.out_dir))
    if damage == "gone":
        site_file.unlink()
    else:  # a site linked from other files than those the page map was made of
        other = cache.site_path(snapshot.cache_path(options.content_dir, site_dir / "other"))
        actor = site_dir / "content/actors/southland.yaml"
        actor.write_text(actor.read_text().replace("kind: state\n", "kind: state\nbody: A state of our own.\n"))
        age_new_files(site_dir)
        build(BuildOptions(site_dir / "content", site_dir / "other", base_url="https://other.example/", search=False))
        shutil.copy(other, site_file)
    linked = count_calls(monkeypatch, build_module, "link")
    source = site_dir / "content/sources/2030-03-01-daily-example.md"  # shown on its own page alone
    source.write_text(source.read_text().replace("A made-up report", "An invented report"))
    age_new_files(site_dir)
    build(options)
    assert linked
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("command", [build, check])
def test_a_rebuild_reads_the_content_files_sizes_and_times_from_its_snapshot(site_dir, monkeypatch, command):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    command(options)
    asked = count_calls(monkeypatch, read, "_size_and_time")
    listed, files_in = [], snapshot.Snapshot.files_in
    monkeypatch.setattr(snapshot.Snapshot, "files_in", lambda self, folder: listed.append(files_in(self, folder)))
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    command(options)
    assert not asked  # each file was looked at once, by the snapshot
    # ... and listed once, by the snapshot
    assert sorted(map(len, listed)) == sorted(len(list((site_dir / "content" / folder).iterdir()))
                                              for folder in ["actors", "launches", "sources"])
    monkeypatch.setattr(snapshot.Snapshot, "files_in", files_in)
    if command is build:
        assert tree(site_dir / "site") == cold_tree(site_dir)
    # Sizes and times given are trusted: a file said to be as the cache saw it is not read again.
    store = snapshot.check_path(options.content_dir) if command is check else snapshot.cache_path(
        options.content_dir, options.out_dir)
    last, edited = cache.load(store), str(site_dir / "content/launches/2030-04-10-second.md")
    Path(edited).write_text(Path(edited).read_text().replace("told at length", "told again"))
    stats = {edited: [last.files[edited].size, last.files[edited].mtime_ns]}
    trusted = read.read_content(options.content_dir, None, last, started_ns=time.time_ns(),
                                taken=snapshot.Snapshot("", stats, 0, []))
    assert trusted.files[edited] is last.files[edited]
    assert read.read_content(options.content_dir, None, last).files[edited].digest != last.files[edited].digest


def test_a_rebuild_plans_the_feeds_of_an_edited_launch_s_actors_from_their_launches_alone(site_dir, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_LIMIT", 1)  # the site's feed lists only the newest launch
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    asked, real = [], feeds.feed_launches
    monkeypatch.setattr(feeds, "feed_launches", lambda site, wanted: asked.append(list(wanted)) or real(site, wanted))
    first = site_dir / "content/launches/2030-03-01-first.md"  # the newest of south-staff's, not the site's
    first.write_text(first.read_text().replace("fired a rocket.", "fired a rocket, said the staff."))
    southland = site_dir / "content/actors/southland.yaml"  # whose feed lists nothing
    southland.write_text(southland.read_text() + "title: A state\n")
    age_new_files(site_dir)
    report = build(options)
    assert asked == [["south-staff", "southland"]]
    assert {"actors/south-staff/feed.xml", "actors/southland/feed.xml"} <= set(report.made)
    assert not {"feed.xml", "actors/northland/feed.xml"} & set(report.made)
    build(BuildOptions(site_dir / "content", site_dir / "cold", search=False), incremental=False)
    assert tree(site_dir / "site") == tree(site_dir / "cold")


@pytest.mark.parametrize("edit", ["date", "template", "after a stopped build", "output page gone"])
def test_the_command_line_plans_every_page_after_an_edit_of_another_kind(site_dir, monkeypatch, edit):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    planned = count_calls(monkeypatch, build_module, "plan")
    path = site_dir / "content/launches/2030-04-10-second.md"
    if edit == "date":  # what orders the launches
        path.write_text(path.read_text().replace("date: 2030-04-10", "date: 2030-02-10"))
    elif edit == "template":  # with a body edit: the template's pages are rendered again too
        write_tree(site_dir, {"templates/year.html": "{{ year }} in a year of our own\n"})
    elif edit == "after a stopped build":  # the output was made from older files than the last build read
        path.write_text(path.read_text().replace("title: Second test launch", "title: Second launch, renamed"))
        age_new_files(site_dir)
        with monkeypatch.context() as patch:
            patch.setattr(build_module, "page_fingerprints", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
            with pytest.raises(KeyboardInterrupt):
                build(options)
    elif edit == "output page gone":  # one that is not planned with a record's pages or the listings
        (site_dir / "site/sitemap.xml").unlink()
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    age_new_files(site_dir)
    build(options)
    assert planned
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_the_preview_converts_again_only_the_edited_bodies(site_dir, monkeypatch):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    path = site_dir / "content/launches/2030-04-10-second.md"
    converted = []
    convert = MarkdownRenderer.render
    monkeypatch.setattr(MarkdownRenderer, "render", lambda self, text, resolve: converted.append(text) or
                        convert(self, text, resolve))
    for n in range(3):  # the first rebuild converts what the feeds show; the next ones, the edited body alone
        converted.clear()
        path.write_text(path.read_text().rpartition("---\n")[0] + f"---\nEdit {n}.\n")
        age_new_files(site_dir)
        build(options, memory=memory)
    assert [text.strip() for text in converted] == ["Edit 2."]
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_the_preview_renders_again_a_site_s_own_feed_entries_that_show_an_edited_body(site_dir):
    entry = "<entry>{{ entry.id }} {{ body(site.actors['northland']) }}</entry>\n"  # not only its launch's body
    write_tree(site_dir, {"templates/_feed_entry.xml": entry})
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    for n in range(2):
        (site_dir / "content/actors/northland.yaml").write_text(f"name: Northland\nkind: state\nbody: Told {n}.\n")
        age_new_files(site_dir)
        build(options, memory=memory)
    assert b"Told 1." in (site_dir / "site/feed.xml").read_bytes()
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("kept", ["command line", "preview"])
@pytest.mark.parametrize("drafts", [False, True])
def test_a_quick_rebuild_after_a_draft_s_body_or_title_edit_is_as_a_cold_build(site_dir, monkeypatch, drafts, kept):
    draft = site_dir / "content/launches/2030-06-01-draft.md"
    draft.write_text("---\ntitle: Not yet\ndate: 2030-06-01\ndraft: true\nactors: [{id: northland, role: launcher}]\n"
                     "---\nA first text.\n")
    options = BuildOptions(site_dir / "content", site_dir / "site", drafts=drafts, search=False)
    memory = Memory() if kept == "preview" else None  # the preview does not even link again
    age_new_files(site_dir)
    build(options, memory=memory)
    linked, planned = count_calls(monkeypatch, build_module, "link"), count_calls(monkeypatch, build_module, "plan")
    draft.write_text(draft.read_text().replace("A first text.", "A second text."))
    age_new_files(site_dir)
    build(options, memory=memory)
    assert not planned and not (memory and linked)
    assert tree(site_dir / "site") == cold_tree(site_dir, drafts)
    linked.clear()  # by the cold build
    planned.clear()
    draft.write_text(draft.read_text().replace("title: Not yet", "title: Soon"))
    age_new_files(site_dir)
    build(options, memory=memory)
    assert not planned and not (memory and linked)
    assert tree(site_dir / "site") == cold_tree(site_dir, drafts)
    page = site_dir / "site/launches/2030-06-01-draft/index.html"
    assert b"A second text." in page.read_bytes() and b"Soon" in page.read_bytes() if drafts else not page.exists()


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_after_edits_that_keep_every_record_s_shape_a_build_plans_only_the_pages_that_show_them(
        site_dir, monkeypatch, kept):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), None
    if kept == "preview":  # which neither links again
        memory = Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    linked, planned = count_calls(monkeypatch, build_module, "link"), count_calls(monkeypatch, build_module, "plan")
    edits = {  # path -> (old text, new text): what the pages show of records, but not their order or links
        "launches/2030-04-10-second.md": ("title: Second test launch", "title: Second launch, renamed"),
        "launches/2030-03-01-first.md": ("value: 300", "value: 320"),
        "sources/2030-03-01-daily-example.md": ("outlet: Daily Example", "outlet: Example Daily"),
        "actors/south-staff.yaml": ("kind: military", "kind: military\ntitle: The staff of our invention"),
    }
    for n, (name, (old, new)) in enumerate(edits.items()):
        path = site_dir / "content" / name
        path.write_text(path.read_text().replace(old, new))
        age_new_files(site_dir)
        report = build(options, memory=memory)
        assert not planned and not (memory and linked), name
        assert tree(site_dir / "site") == cold_tree(site_dir), name
        linked.clear()  # by the cold build
        planned.clear()
        if n == 0:  # its title is on its own page and on those that list it or link to it
            assert {"launches/2030-04-10-second/index.html", "launches/index.html", "feed.xml",
                    "actors/northland/index.html", "data/launches.json"} <= set(report.made)
            assert "sources/2030-03-01-daily-example/index.html" not in report.made
    assert b"Example Daily" in (site_dir / "site/feed.xml").read_bytes()  # in the entry of the launch citing it
    # A site's own template that shows every launch's body: its pages are planned with the other listings.
    write_tree(site_dir, {"templates/launches.html": "{% for v in site.launches %}{{ body(v.launch) }}{% endfor %}\n"})
    age_new_files(site_dir)
    build(options, memory=memory)
    planned.clear()
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    age_new_files(site_dir)
    assert "launches/index.html" in build(options, memory=memory).made
    assert b"one, edited" in (site_dir / "site/launches/index.html").read_bytes()
    assert not planned
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("edit", ["date", "new source", "quote", "actor name", "new link", "template", "unsafe link"])
def test_the_preview_links_and_plans_again_after_any_other_edit(site_dir, monkeypatch, edit):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    linked = count_calls(monkeypatch, build_module, "link")
    path = site_dir / "content/launches/2030-04-10-second.md"
    source = site_dir / "content/sources/2030-03-01-daily-example.md"
    if edit == "date":  # the order of launches
        path.write_text(path.read_text().replace("date: 2030-04-10", "date: 2030-02-10"))
    elif edit == "new source":  # what the source's page lists
        path.write_text(path.read_text().replace("---\nAnother", "sources: [2030-03-01-daily-example]\n---\nAnother"))
    elif edit == "quote":  # a statement on the speaker's page
        source.write_text(source.read_text().replace("watching closely", "watching"))
    elif edit == "actor name":  # the order of actors
        (site_dir / "content/actors/northland.yaml").write_text("name: Zed Northland\nkind: state\n")
    elif edit == "new link":  # a body's links are checked when linking
        path.write_text(path.read_text().replace("Another one.", "Another [one](launch:2030-03-01-first)."))
    elif edit == "template":
        write_tree(site_dir, {"templates/launch.html": "{{ body(launch) }} (our own)\n"})
    else:  # a problem of the file's own, which the whole path reports
        path.write_text(path.read_text().replace("Another one.", "Another [one](javascript:alert(1))."))
    age_new_files(site_dir)
    if edit == "unsafe link":
        with pytest.raises(ContentError) as error:
            build(options, memory=memory)
        assert "javascript" in str(error.value.problems) and linked == ["link"]
        return
    build(options, memory=memory)
    assert linked == ["link"]
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_the_preview_checks_a_broken_link_again_on_every_build(site_dir):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    path = site_dir / "content/launches/2030-04-10-second.md"
    for text in ("Another [one](launch:no-such-launch).", "Another [one](launch:no-such-launch), edited."):
        path.write_text(path.read_text().rsplit("---\n", 1)[0] + "---\n" + text + "\n")
        age_new_files(site_dir)
        with pytest.raises(ContentError) as error:
            build(options, memory=memory)
        assert "unknown launch 'no-such-launch'" in str(error.value.problems)


@pytest.mark.parametrize("field, edit", [("body.text", ("fired a rocket.", "fired a rocket. FAIL")),
                                         ("title", ("title: First test launch", "title: First test launch FAIL"))])
def test_a_preview_build_that_fails_after_an_edit_leaves_nothing_of_it_behind(site_dir, field, edit):
    # A site's own launch page that fails on one record: the edit reached the site before the failure.
    fails = (Path(__file__).resolve().parents[1] / "templates/launch.html").read_text()
    failing = f'{{% if "FAIL" in launch.{field} %}}{{{{ no_such_name }}}}{{% endif %}}'
    write_tree(site_dir, {"templates/launch.html": failing + fails})
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    build(options, memory=memory)
    launches = site_dir / "content/launches"
    first, second = launches / "2030-03-01-first.md", launches / "2030-04-10-second.md"
    original = first.read_text()
    first.write_text(original.replace(*edit))
    age_new_files(site_dir)
    with pytest.raises(ContentError):
        build(options, memory=memory)
    first.write_text(original)  # taken back
    age_new_files(site_dir)
    build(options, memory=memory)
    second.write_text(second.read_text().replace("Another one.", "Another two."))  # the feeds show both
    age_new_files(site_dir)
    build(options, memory=memory)
    assert b"FAIL" not in (site_dir / "site/feed.xml").read_bytes()
    assert tree(site_dir / "site") == cold_tree(site_dir)


def watched_preview(site_dir: Path) -> tuple[BuildOptions, ChangeWatcher, Memory]:
    """The preview's first build, with the watcher looking at the content since just before it."""
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    watcher = ChangeWatcher(watched_roots(options))
    build(options, memory=memory)
    return options, watcher, memory


def test_the_preview_reads_again_only_the_files_its_watcher_saw_change(site_dir, monkeypatch):
    options, watcher, memory = watched_preview(site_dir)
    listed = count_calls(monkeypatch, read, "content_files")
    validated = []
    monkeypatch.setattr(read, "validate_doc", lambda doc, config: validated.append(doc.path) or validate_doc(doc, config))
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    (site_dir / "content/launches/.2030-04-10-second.md.swp").write_text("swap")  # never a record
    (site_dir / "content/launches/4913").write_text("")  # vim's probe...
    watcher.poll(time.monotonic())
    (site_dir / "content/launches/4913").unlink()  # ...gone before the build
    age_new_files(site_dir)
    build(options, memory=memory, touched=seen_by(watcher))
    assert not listed and [Path(p).name for p in validated] == [launch.name]
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("change", ["added", "deleted", "renamed", "stray", "site.yaml"])
def test_the_preview_reads_everything_again_when_a_file_comes_or_goes(site_dir, monkeypatch, change):
    options, watcher, memory = watched_preview(site_dir)
    listed = count_calls(monkeypatch, read, "content_files")
    content = site_dir / "content"
    launch = content / "launches/2030-04-10-second.md"
    if change == "added":
        (content / "launches/2030-06-01-third.md").write_text(
            launch_text("Third", "2030-06-01", "northland", "A third one.", None))
    elif change == "deleted":
        launch.unlink()
    elif change == "renamed":
        launch.rename(launch.with_name("2030-04-11-second.md"))
    elif change == "stray":
        (content / "actors/notes.txt").write_text("a stray file\n")
    else:
        (content / "site.yaml").write_text((content / "site.yaml").read_text().replace("Test Digest", "Other"))
    age_new_files(site_dir)
    try:
        build(options, memory=memory, touched=seen_by(watcher))
    except ContentError as error:
        assert change == "stray" and "unexpected file in actors/" in error.problems[0].message
    else:
        assert change != "stray" and tree(site_dir / "site") == cold_tree(site_dir)
    assert listed


def test_the_preview_reads_everything_again_when_a_content_folder_is_a_link(site_dir, monkeypatch):
    (site_dir / "content/launches").rename(site_dir / "launches-elsewhere")
    (site_dir / "content/launches").symlink_to(site_dir / "launches-elsewhere")
    options, watcher, memory = watched_preview(site_dir)
    launch = site_dir / "launches-elsewhere/2030-04-10-second.md"  # the watcher does not look in there
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    actor = site_dir / "content/actors/southland.yaml"
    actor.write_text(actor.read_text() + "body: Seen.\n")
    age_new_files(site_dir)
    build(options, memory=memory, touched=seen_by(watcher))
    assert "Another two." in (site_dir / "site/launches/2030-04-10-second/index.html").read_text()


def test_a_preview_build_that_stops_while_reading_leaves_no_read_to_go_on_from(site_dir, monkeypatch):
    options, watcher, memory = watched_preview(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    age_new_files(site_dir)
    read_again = build_module.read_again
    monkeypatch.setattr(build_module, "read_again", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build(options, memory=memory, touched=seen_by(watcher))  # the watcher's news is gone with it
    monkeypatch.setattr(build_module, "read_again", read_again)
    build(options, memory=memory, touched=seen_by(watcher))
    assert "Another two." in (site_dir / "site/launches/2030-04-10-second/index.html").read_text()


def test_compiled_templates_are_kept_and_an_edited_one_is_compiled_again(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    (site_dir / "templates").mkdir(exist_ok=True)
    own = site_dir / "templates/404.html"
    for text in ("Lost here", "Lost there"):
        own.write_text("{% extends 'base.html' %}{% block main %}" + text + "{% endblock %}\n")
        age_new_files(site_dir)
        build(options)
        assert text in (site_dir / "site/404.html").read_text()
    assert list((site_dir / ".digest-cache/templates").iterdir())


def test_what_templates_use_is_kept_between_builds_and_an_edited_one_is_parsed_again(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    render_module.inspect_template.cache_clear()  # as in a new process
    parsed = count_calls(monkeypatch, render_module._parser, "parse")
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options)
    assert not parsed
    write_tree(site_dir, {"templates/launch.html": "{% extends 'base.html' %}{% block main %}{{ body(launch) }}"
                                                   "{% endblock %}\n"})
    age_new_files(site_dir)
    build(options)
    assert parsed == ["parse"]
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_nothing_changed_stops_before_reading(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    first = build(options)
    report = build(options)
    assert report.made == frozenset()  # nothing read, rendered or written
    assert (report.pages, report.written.unchanged, report.written.written) == (first.pages, len(tree(site_dir / "site")) - 1, 0)


@pytest.mark.parametrize("search", [False, True])
def test_after_an_edit_the_snapshot_tells_the_output_as_it_is(site_dir, monkeypatch, search):
    # The build takes the size and time of the files it left alone from when it looked for
    # missing pages, and those of the files it wrote (and kept search bundles) afresh.
    shard_search(site_dir, monkeypatch)  # bundles kept and bundles made again
    options = BuildOptions(site_dir / "content", site_dir / "site", search=search)
    age_new_files(site_dir)
    build(options)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another one, edited."))
    (site_dir / "site/actors/southland/index.html").unlink()  # to be put back
    age_new_files(site_dir)
    assert build(options).written.written >= 2
    store = snapshot.cache_path(options.content_dir, options.out_dir)
    last = snapshot.load_snapshot(snapshot.snapshot_path(store))
    assert set(last.outputs) == tree(site_dir / "site").keys() - {".digest-site"}
    assert last.outputs == snapshot.stat_files(options.out_dir, last.outputs)
    assert build(options).made == frozenset()  # so the next build stops before reading


def stat_calls(monkeypatch) -> list[tuple[int, bool]]:
    """Record each snapshot.stat_files call in this process: (how many names, whether given stats known)."""
    calls, wrapped = [], snapshot.stat_files
    monkeypatch.setattr(snapshot, "stat_files", lambda root, names, known=None: calls.append(
        (len(names), bool(known))) or wrapped(root, names, known))
    return calls


def looking_ahead(options: BuildOptions, command=build) -> snapshot.LookAhead:
    """What the command line starts before a build (or check) with these options."""
    if command is check:
        return snapshot.LookAhead(snapshot.check_path(options.content_dir))
    return snapshot.LookAhead(snapshot.cache_path(options.content_dir, options.out_dir), options.out_dir)


@pytest.mark.parametrize("edit", [False, True], ids=["no change", "edited"])
def test_a_build_uses_the_snapshot_taken_ahead_of_it_in_another_process(site_dir, monkeypatch, edit):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    pages = len(cache.load(snapshot.cache_path(options.content_dir, options.out_dir)).pages)
    if edit:
        edit_three_bodies(site_dir)
        age_new_files(site_dir)
    taken, stats = count_calls(monkeypatch, snapshot, "take_snapshot"), stat_calls(monkeypatch)
    report = build(options, look=looking_ahead(options))
    assert not taken  # the inputs were looked at in the other process only
    assert (report.made == frozenset()) is not edit
    if edit:  # the outputs' stats too: given where each page's are asked for
        assert (pages, True) in stats and (pages, False) not in stats
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("edit", [False, True], ids=["no change", "edited"])
def test_a_check_uses_the_snapshot_taken_ahead_of_it_in_another_process(site_dir, monkeypatch, edit):
    options = BuildOptions(site_dir / "content", search=False)
    age_new_files(site_dir)
    check(options)
    if edit:
        launch = site_dir / "content/launches/2030-04-10-second.md"
        launch.write_text(launch.read_text().replace("title: ", "title: Renamed ", 1))
        age_new_files(site_dir)
    taken = count_calls(monkeypatch, snapshot, "take_snapshot")
    report = check(options, look=looking_ahead(options, check))
    assert not taken
    assert report.rendered > 0 if edit else report.rendered == 0
    broken = site_dir / "content/launches/2030-04-10-second.md"
    broken.write_text(broken.read_text().replace("date: ", "date: not-a-date-", 1))
    age_new_files(site_dir)
    with pytest.raises(ContentError):  # the edit seen, though the check before passed
        check(options, look=looking_ahead(options, check))
    assert not taken


@pytest.mark.parametrize("refused", [False, True])
def test_the_pipe_from_the_process_looking_ahead_has_room_for_what_it_sends(site_dir, monkeypatch, refused):
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("a pipe's size is set only where Linux lets it be")
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    def refuse(*args):  # as where a user may not have pipes this large: the default size, slower
        raise PermissionError("not allowed")

    if refused:
        monkeypatch.setattr(fcntl, "fcntl", refuse)
    ahead = looking_ahead(options)
    size = None if refused else fcntl.fcntl(ahead.stream.fileno(), fcntl.F_GETPIPE_SZ)
    edit_three_bodies(site_dir)
    build(options, look=ahead)
    assert refused or size >= snapshot.PIPE_SIZE
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_snapshot_taken_ahead_is_not_used_for_another_setup_or_other_folders(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    taken = count_calls(monkeypatch, snapshot, "take_snapshot")
    moved = replace(options, base_url="https://elsewhere.example/digest/")  # the same files, another result
    build(moved, look=looking_ahead(options))
    assert not taken  # the folders were the same: the inputs as looked at, but not the last build's verdict
    cold = replace(moved, out_dir=site_dir / "cold")
    build(cold, incremental=False)
    assert tree(site_dir / "site") == tree(cold.out_dir)
    own = site_dir / "templates/launch.html"  # a folder more to look at
    own.parent.mkdir()
    own.write_text('{% extends "base.html" %}{% block main %}<p>Our own launch page.</p>{% endblock %}',
                   encoding="utf-8")
    age_new_files(site_dir)
    taken.clear()
    build(moved, look=looking_ahead(options))
    assert len(taken) == 1  # looked at again here
    assert b"<p>Our own launch page.</p>" in (site_dir / "site/launches/2030-04-10-second/index.html").read_bytes()


def test_an_edit_made_after_the_snapshot_was_taken_ahead_is_built_next_time(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    ahead = looking_ahead(options)
    ahead.inputs(), ahead.outputs()  # taken before the edit
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options, look=ahead)  # as if it had run before the edit
    assert b"told at length" not in (site_dir / "site/launches/2030-04-10-second/index.html").read_bytes()
    build(options, look=looking_ahead(options))
    assert tree(site_dir / "site") == cold_tree(site_dir)


def inputs_only(store: Path, out_dir: Path, look=snapshot.look):
    """snapshot.look, failing once it has given the inputs."""
    parts = look(store, out_dir)
    yield next(parts)
    raise OSError("the output's folder could not be read")


@pytest.mark.parametrize("failure", ["raises", "no fork", "fails after the inputs", "too large to send",
                                     "outputs cut short"])
def test_a_build_looks_itself_when_the_other_process_could_not(site_dir, monkeypatch, capfd, failure):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    if failure == "raises":
        monkeypatch.setattr(snapshot, "look", lambda store, out_dir: 1 / 0)  # in the forked process
    elif failure == "no fork":
        monkeypatch.delattr(os, "fork")  # as on Windows
    elif failure == "too large to send":
        monkeypatch.setattr(snapshot, "LOOK_AHEAD_AT_MOST", 1000)  # the minimal site's is larger
    elif failure == "outputs cut short":  # the snapshot's file: its inputs, and a part of its outputs
        saved = snapshot.snapshot_path(snapshot.cache_path(options.content_dir, options.out_dir))
        with saved.open("rb") as stream:
            pickle.load(stream)
            saved.write_bytes(saved.read_bytes()[:stream.tell() + 20])
    else:
        monkeypatch.setattr(snapshot, "look", inputs_only)
    taken, stats = count_calls(monkeypatch, snapshot, "take_snapshot"), stat_calls(monkeypatch)
    capfd.readouterr()
    ahead = looking_ahead(options)
    assert (ahead.pid is None) is (failure in ("no fork", "too large to send"))  # no other process
    build(options, look=ahead)
    assert len(taken) == (failure not in ("fails after the inputs", "outputs cut short"))
    assert (len(cache.load(snapshot.cache_path(options.content_dir, options.out_dir)).pages), False) in stats
    assert capfd.readouterr() == ("", "")  # nor did the other process print anything
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("change", ["touch", "new file", "template", "base_url", "missing output", "edited output"])
def test_any_change_takes_the_full_path(site_dir, change):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    age_new_files(site_dir)
    build(options)
    page = site_dir / "site/launches/2030-04-10-second/index.html"
    expected = page.read_bytes()
    launch = site_dir / "content/launches/2030-04-10-second.md"
    if change == "touch":  # same bytes, another time: read again, same site
        os.utime(launch, ns=(stamp_ns + 5, stamp_ns + 5))
    elif change == "new file":
        (site_dir / "content/sources/notes.txt").write_text("a stray file\n")
    elif change == "template":
        (site_dir / "templates").mkdir(exist_ok=True)
        (site_dir / "templates/_extra.html").write_text("unused\n")
    elif change == "base_url":
        options = BuildOptions(site_dir / "content", site_dir / "site", base_url="https://other.test/", search=False)
    elif change == "missing output":
        page.unlink()
    elif change == "edited output":  # not put back (only missing pages are), but seen
        (site_dir / "site/index.html").write_text("edited by hand")
    try:
        report = build(options)
    except ContentError as error:
        assert change == "new file" and "unexpected file" in error.problems[0].message
        return
    assert report.made  # read and rendered again
    if change != "base_url":
        assert page.read_bytes() == expected


@pytest.mark.parametrize("change", ["edited in a linked folder", "a link to nothing", "a link to a folder above"])
def test_a_change_the_folders_own_times_do_not_show_is_seen(site_dir, change):
    """A file edited in place leaves its folder's time as it was, and a link to nothing has no size or time."""
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    if change == "edited in a linked folder":
        (site_dir / "content/launches").rename(site_dir / "launches-elsewhere")
        (site_dir / "content/launches").symlink_to(site_dir / "launches-elsewhere")
    age_new_files(site_dir)
    build(options)
    if change == "edited in a linked folder":
        launch = site_dir / "launches-elsewhere/2030-04-10-second.md"
        launch.write_text(launch.read_text().replace("Another one.", "Another two."))  # the same file, not replaced
        os.utime(launch, ns=(stamp_ns + 5, stamp_ns + 5))
    elif change == "a link to nothing":
        (site_dir / "content/actors/gone.yaml").symlink_to(site_dir / "nowhere.yaml")
    else:
        (site_dir / "content/launches/up").symlink_to(site_dir / "content")
    if change == "a link to nothing":
        with pytest.raises(ContentError) as error:
            build(options)
        assert "file cannot be read" in error.value.problems[0].message
        return
    report = build(options)
    assert bool(report.made) is (change == "edited in a linked folder")  # a folder is no record: nothing to read
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_snapshot_lists_the_files_of_each_folder_it_looked_in(tmp_path):
    write_tree(tmp_path, {"content/launches/b.md": "b", "content/launches/a.md": "a", "content/launches/.a.md.swp": "",
                          "content/launches/sub/inner.md": "x", "content/actors/x.yaml": "x", "templates/t.html": "t"})
    (tmp_path / "content/launches/gone.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "content/linked").symlink_to(tmp_path / "templates")
    content, templates = str(tmp_path / "content"), str(tmp_path / "templates")
    taken = snapshot.take_snapshot("", [content, templates], 0)

    assert sorted(taken.files_in(f"{content}/launches")) == [
        f"{content}/launches/{name}" for name in [".a.md.swp", "a.md", "b.md", "gone.md"]]
    assert taken.files_in(f"{content}/launches/sub") == [f"{content}/launches/sub/inner.md"]
    assert taken.files_in(f"{content}/linked") == [f"{content}/linked/t.html"]
    assert taken.files_in(templates) == [f"{templates}/t.html"]
    assert taken.files_in(f"{content}/sources") is None  # no such folder
    assert snapshot.Snapshot("", taken.inputs, 0, []).files_in(f"{content}/launches") is None  # saved ones list none
    # A folder listed twice (given twice, or one given inside another) may have changed in between.
    assert snapshot.take_snapshot("", [content, content], 0).files_in(f"{content}/launches") is None


def test_a_snapshot_s_stats_are_pickled_packed_and_loaded_as_they_were(tmp_path):
    write_tree(tmp_path, {"content/launches/a.md": "a", "content/actors/x.yaml": "xx"})
    (tmp_path / "content/launches/gone.md").symlink_to(tmp_path / "nowhere.md")
    inputs = snapshot.take_snapshot("", [tmp_path / "content"], 0).inputs
    loaded = pickle.loads(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(loaded) is snapshot.Stats and loaded == inputs and list(loaded) == list(inputs)
    assert loaded[str(tmp_path / "content/actors/x.yaml")][0] == 2
    assert loaded[str(tmp_path / "content/launches/gone.md")] == (-1, -1)  # a link to nothing


@pytest.mark.parametrize("saved", ["in the tick the build started", "the tick before"])
@pytest.mark.parametrize("cached", ["in a file", "in memory, with a watcher that saw nothing"])
def test_a_file_saved_in_the_tick_a_build_started_is_not_trusted_by_size_and_time(site_dir, monkeypatch, saved,
                                                                                 cached):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    memory, touched = (None, None) if cached == "in a file" else (Memory(), set())
    age_new_files(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    tick = time.time_ns() + 3_600_000_000_000  # after every file of the project, digest's own included
    saved_at = tick if saved == "in the tick the build started" else tick - 1
    os.utime(launch, ns=(saved_at, saved_at))
    monkeypatch.setattr(snapshot, "file_system_time", lambda folder: tick)  # the file system's clock
    build(options, memory=memory)
    # Edited again within the same tick: same size, same time.
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    os.utime(launch, ns=(saved_at, saved_at))
    monkeypatch.setattr(snapshot, "file_system_time", lambda folder: tick + 10_000_000_000)
    report = build(options, memory=memory, touched=touched)
    page = (site_dir / "site/launches/2030-04-10-second/index.html").read_text()
    if saved == "in the tick the build started":
        assert "Another two." in page  # read again, so the edit shows
    else:  # trusted: the rule costs no needless reading (an edit that keeps size and time is not seen)
        assert "Another one." in page and report.written.written == 0


def test_a_file_saved_in_the_tick_a_preview_build_started_may_be_gone_before_the_watcher_says(site_dir, monkeypatch):
    options, memory = BuildOptions(site_dir / "content", site_dir / "site", search=False), Memory()
    age_new_files(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    tick = time.time_ns() + 3_600_000_000_000
    os.utime(launch, ns=(tick, tick))
    monkeypatch.setattr(snapshot, "file_system_time", lambda folder: tick)
    build(options, memory=memory)
    launch.unlink()  # the watcher has not looked yet
    monkeypatch.setattr(snapshot, "file_system_time", lambda folder: tick + 10_000_000_000)
    build(options, memory=memory, touched=set())
    assert not (site_dir / "site/launches/2030-04-10-second").exists()


def test_one_edit_exports_again_only_the_rows_of_records_whose_pages_changed(site_dir, monkeypatch):
    from generator import data

    for day in ("2030-06-01", "2030-07-01", "2030-08-01"):
        (site_dir / f"content/launches/{day}-later.md").write_text(
            launch_text(f"Later {day}", day, "northland", "Text.", None))
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    exported = []
    for maker in ("launch_record", "actor_record", "source_record"):
        real = getattr(data, maker)
        monkeypatch.setattr(data, maker, lambda site, record, *rest, real=real: exported.append(
            getattr(record, "launch", record)) or real(site, record, *rest))
    path = site_dir / "content/launches/2030-08-01-later.md"
    path.write_text(path.read_text().replace("Text.", "Text, edited."))
    report = build(options)
    # Only its own row is made again: its neighbour's page and its actor's page show its title, not its body.
    assert [getattr(made, "id", made) for made in exported] == ["2030-08-01-later"]
    # The data files without a body edited are not even made: they are as the last build wrote them.
    assert "data/launches.json" in report.made
    assert not {"data/launches.csv", "data/actors.json", "data/sources.json"} & set(report.made)
    assert report.written.removed == 0
    exported.clear()
    path.write_text(path.read_text().replace("title: Later", "title: Retitled"))
    (site_dir / "site/data/sources.json").unlink()  # a file missing from the output is made again
    report = build(options)
    # A new title is on those pages too, so their rows are made again (they come out the same). No source cites
    # it, but the sources' rows are read back from sources.json, which is missing: they are all made again.
    assert [getattr(made, "id", made) for made in exported] == ["2030-07-01-later", "2030-08-01-later", "northland",
                                                               "2030-03-01-daily-example"]
    # The actor's row, made again, says the same: actors.json is not made; sources.json was missing.
    assert {"data/launches.csv", "data/sources.json"} <= set(report.made) and "data/actors.json" not in report.made
    assert "Text, edited." in (site_dir / "site/data/launches.json").read_text()
    cold = build(BuildOptions(site_dir / "content", search=False), write=False).files
    for name in ("launches.json", "launches.csv", "actors.json", "sources.json"):
        assert (site_dir / "site/data" / name).read_bytes() == cold["data/" + name]


def test_the_cache_keeps_where_each_row_is_in_the_data_files_not_its_bytes(site_dir):
    from generator import data

    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    kept = cache.load(snapshot.cache_path(options.content_dir, options.out_dir))
    made = data.export_rows(build_module.load_site(options.content_dir))
    assert {kind: list(rows) for kind, rows in kept.rows.items()} == {kind: list(rows) for kind, rows in made.items()}
    assert all(isinstance(row, data.WrittenRow) for rows in kept.rows.values() for row in rows.values())
    with build_module.written_data(kept, options.out_dir) as written:
        for path, (kind, part) in data.FILES.items():
            if kind:
                assert [bytes(written.bytes_of(kind, part, ident, row)) for ident, row in kept.rows[kind].items()] == [
                    getattr(row, part) for row in made[kind].values()]
    assert {path: tuple(stat[:2]) for path, stat in kept.data_files.items()} == snapshot.stat_files(site_dir / "site", data.FILES)


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_rows_are_not_read_back_from_a_data_file_changed_since_it_was_written(site_dir, kept):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    memory = Memory() if kept == "preview" else None
    age_new_files(site_dir)
    build(options, memory=memory)
    written = site_dir / "site/data/launches.json"
    changed = written.read_bytes().replace(b'"off the coast"', b'"off the Coast"')  # the same size, another time
    assert changed != written.read_bytes()
    written.write_bytes(changed)
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options, memory=memory)
    cold = build(BuildOptions(site_dir / "content", search=False), write=False).files
    assert written.read_bytes() == cold["data/launches.json"] and b"Coast" not in written.read_bytes()


@pytest.mark.parametrize("kept", ["command line", "preview"])
def test_a_data_file_whose_rows_say_something_else_is_written_without_comparing(site_dir, monkeypatch, kept):
    from generator import write

    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    memory = Memory() if kept == "preview" else None
    build(options, memory=memory)
    compared, real = [], write.holds
    monkeypatch.setattr(write, "holds", lambda path, data: compared.append(path.name) or real(path, data))
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    report = build(options, memory=memory, touched={str(path)} if memory else None)
    assert "data/launches.json" in report.made and "launches.json" not in compared
    assert "Another one, edited." in (site_dir / "site/data/launches.json").read_text()
    assert "index.html" in compared  # a page is compared with the one on disk


RENDER = build_module.Renderer.render


def rendered_by_check(options: BuildOptions, monkeypatch) -> list[str]:
    """The pages a check renders (in this process: too few to fork for)."""
    paths = []
    monkeypatch.setattr(build_module.Renderer, "render", lambda self, page: paths.append(page.path) or RENDER(self, page))
    report = check(options)
    assert report.rendered == len(paths)
    return paths


def test_a_check_renders_only_the_pages_the_last_check_did_not_render_as_they_are_now(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content")
    age_new_files(site_dir)
    everything = rendered_by_check(options, monkeypatch)
    assert len(everything) == check(options).pages > 10
    assert rendered_by_check(options, monkeypatch) == []  # nothing changed: nothing read either
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    again = rendered_by_check(options, monkeypatch)
    assert "launches/2030-04-10-second/index.html" in again
    assert "launches/2030-03-01-first/index.html" not in again  # shows its title, not its body
    assert len(again) < len(everything) // 2
    # A build's cache is its own: the checks made none, and the first build renders every page.
    assert not list((site_dir / ".digest-cache").glob("build-*"))
    assert len(build(BuildOptions(site_dir / "content", site_dir / "site", search=False)).written.outputs) > len(again)


def test_a_check_after_a_body_edit_plans_and_renders_only_the_pages_that_show_it(site_dir, monkeypatch):
    write_tree(site_dir, {"templates/launch.html":
                          "{% if 'boom' in launch.body.text %}{{ no_such_helper() }}{% endif %}{{ body(launch) }}\n"})
    options = BuildOptions(site_dir / "content")
    age_new_files(site_dir)
    first = check(options)
    planned = count_calls(monkeypatch, build_module, "plan")
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "Another one, edited."))
    age_new_files(site_dir)
    report = check(options)
    assert not planned
    assert report.pages == first.pages and 1 <= report.rendered < first.rendered // 2  # its page and the feeds listing it
    path.write_text(path.read_text().replace("Another one, edited.", "Another boom."))
    age_new_files(site_dir)
    with pytest.raises(ContentError) as error:  # still rendered, so still checked
        check(options)
    assert "no_such_helper" in error.value.problems[0].message
    assert not planned


def test_a_check_after_one_that_passed_still_finds_a_template_error(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content")
    check(options)
    (site_dir / "templates").mkdir()
    (site_dir / "templates/source.html").write_text("{{ source.title.nope() }}\n")
    with pytest.raises(ContentError) as error:
        check(options)
    assert error.value.problems[0].path == "templates/source.html"
    with pytest.raises(ContentError):  # the check that failed left nothing to trust
        check(options)
    (site_dir / "templates/source.html").write_text("{{ source.title }}\n")
    assert rendered_by_check(options, monkeypatch) == ["sources/2030-03-01-daily-example/index.html"]
    assert rendered_by_check(options, monkeypatch) == []


def test_a_check_after_one_that_passed_still_finds_a_content_error(site_dir):
    options = BuildOptions(site_dir / "content")
    age_new_files(site_dir)
    check(options)
    path = site_dir / "content/launches/2030-04-10-second.md"
    path.write_text(path.read_text().replace("Another one.", "See [the actor](actor:nobody)."))
    with pytest.raises(ContentError) as error:
        check(options)
    assert "nobody" in error.value.problems[0].message


def test_a_check_that_cannot_keep_its_cache_renders_every_page(site_dir, monkeypatch):
    (site_dir / ".digest-cache").write_text("a file where the cache folder would be\n")
    options = BuildOptions(site_dir / "content")
    first = rendered_by_check(options, monkeypatch)
    assert first and rendered_by_check(options, monkeypatch) == first
    assert (site_dir / ".digest-cache").is_file()


def test_another_version_of_digest_reads_and_renders_everything_again(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    first = build(options)
    for taken in (site_dir / ".digest-cache").glob("*.inputs.pickle"):
        taken.unlink()  # as when digest's files changed: the snapshot includes them
    monkeypatch.setattr(read, "code_digest", lambda: "another version")
    monkeypatch.setattr(render_module, "code_digest", lambda: "another version")
    render_module.inspect_template.cache_clear()  # as in a new process
    templates_parsed = count_calls(monkeypatch, render_module._parser, "parse")
    parsed = []
    load_file = read.load_file
    monkeypatch.setattr(read, "load_file", lambda path, *args: parsed.append(path) or load_file(path, *args))
    report = build(options)
    assert len(parsed) == len(list((site_dir / "content").rglob("*.md"))) + len(list((site_dir / "content").rglob("*.yaml"))) - 1
    assert {path for path in report.made if path.endswith(".html")} == {
        page.relative_to(site_dir / "site").as_posix() for page in (site_dir / "site").rglob("*.html")}
    assert report.written.written == 0 and report.pages == first.pages  # this version makes the same bytes
    assert templates_parsed  # what they use may be found otherwise by another version


def test_missing_output_file_is_rendered_again(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    page = site_dir / "site/actors/southland/index.html"
    expected = page.read_bytes()
    page.unlink()
    build(options)
    assert page.read_bytes() == expected


@pytest.mark.parametrize("damage", ["not a pickle", "cut short"])
def test_corrupt_cache_is_ignored(site_dir, damage):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    for cache_file in (site_dir / ".digest-cache").glob("*.pickle"):
        data = cache_file.read_bytes()
        cache_file.write_bytes(b"not a pickle" if damage == "not a pickle" else data[: len(data) // 2])
    report = build(options)
    assert report.written.unchanged > 0 and report.written.written == 0


def test_the_caches_of_output_directories_that_are_gone_are_deleted_by_the_next_build(site_dir):
    def build_into(name: str) -> set[str]:
        build(BuildOptions(site_dir / "content", site_dir / name, search=False))
        return {p.name for p in (site_dir / ".digest-cache").glob("build-*")}

    first = build_into("site")
    both = build_into("other")
    theirs = both - first
    assert len(first) == 5 and len(theirs) == 5  # files, output, site, snapshot and the folder's note
    assert build_into("site") == both  # the other folder is still there
    shutil.rmtree(site_dir / "other")
    assert build_into("site") == first
    build(BuildOptions(site_dir / "content", site_dir / "other", search=False))  # built again from scratch
    assert (site_dir / "other" / "index.html").is_file()


def test_the_cache_holds_every_file_as_read_and_its_entries_can_be_sent_to_another_process(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    store = snapshot.cache_path(options.content_dir, options.out_dir)
    loaded = cache.load(store)
    content = read.read_content(options.content_dir, None, None)
    assert loaded.files.keys() == content.files.keys()
    for path, entry in loaded.files.items():
        assert entry.result == content.files[path].result and entry.digest == content.files[path].digest
    # Loaded entries keep a view of the cache file's bytes; a read worker may send one back
    entry = next(iter(loaded.files.values()))
    assert isinstance(entry.pickled, memoryview)
    assert pickle.loads(pickle.dumps(entry)).result == entry.result


def test_no_garbage_collection_while_pages_are_planned_and_fingerprinted(site_dir, monkeypatch):
    """Full collections over the planned pages took 6.4 s of a 34 s rebuild at 100,000 launches."""
    seen = []
    for name in ("plan", "page_fingerprints"):
        wrapped = getattr(build_module, name)
        monkeypatch.setattr(build_module, name,
                            lambda *args, _f=wrapped, **kw: seen.append(gc.isenabled()) or _f(*args, **kw))
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    assert seen == [False, False] and gc.isenabled()


def test_records_from_the_cache_share_the_ids_they_name(site_dir):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    loaded = cache.load(snapshot.cache_path(options.content_dir, options.out_dir))
    named = [role.actor for entry in loaded.files.values() if entry.result.kind == "launch" and entry.result.record
             for role in entry.result.record.actors]
    repeated = [actor for actor in named if named.count(actor) > 1]
    assert len(repeated) >= 2
    assert all(actor is next(a for a in repeated if a == actor) for actor in repeated)


def test_a_build_failing_while_reading_keeps_the_last_cache(site_dir, monkeypatch):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    store = snapshot.cache_path(options.content_dir, options.out_dir)
    saved = store.read_bytes()
    (site_dir / "content/launches/2030-04-10-second.md").write_text("---\ntitle: Changed\n---\n")

    def fail(*args):
        raise OSError("disk gone")
    monkeypatch.setattr(read, "_entry", fail)
    with pytest.raises(OSError):
        build(options)
    assert store.read_bytes() == saved
    assert not list(store.parent.glob(".tmp-*"))


def test_a_build_failing_after_it_saved_what_it_read_leaves_its_output_made_again(site_dir, monkeypatch):
    options, _ = built(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    launch.write_text(launch.read_text().replace("Another one.", "Another two."))
    age_new_files(site_dir)

    def fail(*args):  # the content read and saved, the output not yet touched
        raise OSError("disk gone")
    monkeypatch.setattr(build_module, "edited_pages", fail)
    with pytest.raises(OSError):
        build(options)
    monkeypatch.undo()
    # The files' cache names "Another two." now, as the content does: only the output's cache tells
    # that the page shows "Another one."
    build(options)
    assert "Another two." in (site_dir / "site/launches/2030-04-10-second/index.html").read_text()
    assert tree(site_dir / "site") == cold_tree(site_dir)


def output_part(store: Path) -> tuple:
    loaded = cache.load(store)
    return loaded.outputs, loaded.pages, loaded.rows


def test_a_rebuild_after_edits_appends_what_changed_to_the_output_s_cache(site_dir):
    options, store = built(site_dir)
    part = cache.output_path(store)
    inode, size = file_identity(part)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    for edit in ("Another one, at length.", "Another one, at more length."):
        launch.write_text(launch.read_text().replace("Another one", edit.removesuffix("."), 1))
        age_new_files(site_dir)
        build(options)
        assert file_identity(part)[0] == inode and size < file_identity(part)[1] < size + 1000  # appended
        size = file_identity(part)[1]
    appended = output_part(store)
    build(options, incremental=False)  # saves it whole
    assert file_identity(part)[0] != inode and output_part(store) == appended
    assert not list(part.parent.glob("*.aside"))


def test_an_output_s_cache_is_saved_whole_again_once_half_of_it_was_appended(site_dir):
    options, store = built(site_dir)
    part = cache.output_path(store)
    sizes = [file_identity(part)]
    launch = site_dir / "content/launches/2030-04-10-second.md"
    for n in range(20):
        launch.write_text(launch.read_text().replace("Another one", f"Another one ({n})", 1))
        age_new_files(site_dir)
        build(options)
        sizes.append(file_identity(part))
        if sizes[-1][0] != sizes[0][0]:
            break
    assert len(sizes) > 3 and sizes[-1][0] != sizes[0][0], "never saved whole again"
    assert sizes[-2][1] >= 1.5 * sizes[0][1] and sizes[-1][1] < 1.1 * sizes[0][1]
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("change", ["many appended", "every page"])
def test_an_output_s_cache_is_saved_whole_again_after_many_changes_or_large_ones(site_dir, monkeypatch, change):
    monkeypatch.setattr(cache, "MOST_APPENDED", 2)
    options, store = built(site_dir)
    part = cache.output_path(store)
    inode = file_identity(part)[0]
    launch = site_dir / "content/launches/2030-04-10-second.md"
    for n in range(2):
        launch.write_text(launch.read_text().replace("Another one", f"Another one ({n})", 1))
        age_new_files(site_dir)
        build(options)
    assert file_identity(part)[0] == inode  # appended to twice
    if change == "many appended":
        launch.write_text(launch.read_text().replace("Another one", "Another one (2)", 1))
    else:
        monkeypatch.setattr(cache, "MOST_APPENDED", 100)
        site_yaml = site_dir / "content/site.yaml"
        site_yaml.write_text(site_yaml.read_text().replace("Test Digest", "Test Digest, renamed"))
    age_new_files(site_dir)
    build(options)
    assert file_identity(part)[0] != inode
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_an_output_s_cache_cut_short_or_left_aside_is_not_trusted(site_dir, monkeypatch):
    options, store = built(site_dir)
    part = cache.output_path(store)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    monkeypatch.setattr(write.Patch, "apply", lambda patch, held: (_ for _ in ()).throw(OSError("disk full")))
    launch.write_text(launch.read_text().replace("Another one.", "Another one, at length."))
    age_new_files(site_dir)
    with pytest.raises(OSError):
        build(options)  # sets the part aside, and fails before putting it back
    assert not part.exists() and cache.aside_path(store).exists()
    monkeypatch.undo()
    build(options)
    assert tree(site_dir / "site") == cold_tree(site_dir)
    assert not cache.aside_path(store).exists() and cache.load(store).outputs is not None
    launch.write_text(launch.read_text().replace("at length", "at more length"))
    age_new_files(site_dir)
    build(options)
    part.write_bytes(part.read_bytes()[:-3])  # the changes appended last, cut short
    assert cache.load(store).outputs is None


def built(project: Path) -> tuple[BuildOptions, Path]:
    """The project built once (its new files aged first), and where its files' cache is."""
    options = BuildOptions(project / "content", project / "site", search=False)
    age_new_files(project)
    build(options)
    return options, snapshot.cache_path(options.content_dir, options.out_dir)


def file_identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size


def cached_results(store: Path) -> dict[str, object]:
    return {path: entry.result for path, entry in cache.load(store).files.items()}


def read_results(content_dir: Path) -> dict[str, object]:
    return {path: entry.result for path, entry in read.read_content(content_dir, None, None).files.items()}


def test_a_rebuild_appends_to_the_files_cache_only_what_changed(site_dir):
    options, store = built(site_dir)
    inode, size = file_identity(store)
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options)
    assert file_identity(store)[0] == inode  # the same file, appended to
    assert size < file_identity(store)[1] < 2 * size
    assert cached_results(store) == read_results(options.content_dir)


def test_a_few_edits_amend_the_files_cache_s_whole_index(tmp_path):
    project = bulk_site(tmp_path)
    options, store = built(project)
    whole = cache.load(store).stored.index
    edited = set()
    for i in range(3):
        path = project / f"content/launches/2031-01-{1 + i:02d}-bulk-{i}.md"
        path.write_text(path.read_text().replace(f"Text {i}.", f"Text {i}, edited."))
        edited.add(path.name)
        age_new_files(project)
        build(options)
        stored = cache.load(store).stored
        assert stored.index == whole and {Path(p).name for p in stored.amended} == edited  # each edit since
        assert cached_results(store) == read_results(options.content_dir)
    for i in range(3, 20):  # more than a quarter of the files edited since the whole index
        path = project / f"content/launches/2031-01-{1 + i % 28:02d}-bulk-{i}.md"
        path.write_text(path.read_text().replace(f"Text {i}.", f"Text {i}, edited."))
    age_new_files(project)
    build(options)
    stored = cache.load(store).stored
    assert stored.index != whole and not stored.amended
    assert cached_results(store) == read_results(options.content_dir)


def test_a_files_cache_whose_whole_index_is_damaged_under_its_amendment_is_not_used(tmp_path):
    project = bulk_site(tmp_path)
    options, store = built(project)
    path = project / "content/launches/2031-01-01-bulk-0.md"
    path.write_text(path.read_text().replace("Text 0.", "Text 0, edited."))
    age_new_files(project)
    build(options)
    whole_at, length, _ = cache.load(store).stored.index
    data = bytearray(store.read_bytes())
    named = data.index(b"-bulk-30.md", whole_at, whole_at + length)  # a path in it, which unpickles as well changed
    data[named + 6] = ord("9")
    store.write_bytes(bytes(data))
    assert cache.load(store) is None


def test_files_read_again_in_workers_but_unchanged_are_not_appended_again(tmp_path, monkeypatch):
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    project = bulk_site(tmp_path)
    options, store = built(project)
    inode, size = file_identity(store)
    for path in (project / "content/launches").iterdir():  # as a checkout does: new times, the same bytes
        os.utime(path)
    age_new_files(project)
    build(options)
    assert file_identity(store)[0] == inode
    loaded = cache.load(store)
    assert all(entry.at < size for entry in loaded.files.values())  # a new index, no result again
    assert {path: entry.result for path, entry in loaded.files.items()} == read_results(options.content_dir)


def test_a_files_cache_grown_by_appends_is_rewritten_without_what_they_replaced(site_dir, monkeypatch):
    options, store = built(site_dir)
    launch = site_dir / "content/launches/2030-04-10-second.md"
    sizes = [file_identity(store)]
    for n in range(40):
        launch.write_text(launch.read_text().replace("Another one", f"Another one ({n})", 1))
        age_new_files(site_dir)
        build(options)
        sizes.append(file_identity(store))
        if sizes[-1][0] != sizes[-2][0]:
            break
    assert sizes[-1][0] != sizes[-2][0], "never rewritten"
    assert sizes[-1][1] < sizes[-2][1] and sizes[-1][1] < 2 * sizes[0][1]
    assert cached_results(store) == read_results(options.content_dir)
    assert tree(site_dir / "site") == cold_tree(site_dir)
    linked = count_calls(monkeypatch, build_module, "link")
    launch.write_text(launch.read_text().replace("Another one", "Another one, rewritten", 1))
    age_new_files(site_dir)
    build(options)
    assert not linked  # the output's cache names the files' cache as rewritten
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_a_files_cache_replaced_since_it_was_loaded_is_written_anew_not_appended_to(site_dir):
    options, store = built(site_dir)
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options)  # appended: the edited files' entries are at the end
    loaded = cache.load(store)
    cache.compact(store)  # as another build would: where each entry is changes
    with cache.saving_files(store, loaded.stored) as saver:
        for path, entry in loaded.files.items():
            saver.add(path, entry)
        saver.end(loaded.config, loaded.read_at_ns)
    assert cached_results(store) == read_results(options.content_dir)


def test_a_save_failing_after_it_appended_keeps_the_last_cache(site_dir, monkeypatch):
    options, store = built(site_dir)
    saved = store.read_bytes()
    edit_three_bodies(site_dir)
    age_new_files(site_dir)

    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr(cache.FilesSaver, "end", fail)
    with pytest.raises(OSError):
        build(options)
    assert store.read_bytes() == saved


@pytest.mark.parametrize("damage", ["cut short", "index changed"])
def test_a_files_cache_whose_last_save_did_not_reach_the_disk_whole_is_not_used(site_dir, damage):
    options = BuildOptions(site_dir / "content", site_dir / "site", search=False)
    build(options)
    # The next build reads the files again: they changed (a build stopping before the last would read
    # nothing; that one's files not aged, it did when it started in the same tick as they were written).
    edit_three_bodies(site_dir)
    store = snapshot.cache_path(options.content_dir, options.out_dir)
    data = bytearray(store.read_bytes())
    if damage == "cut short":  # killed after writing entries, before the new index
        data += pickle.dumps("an entry") * 3
    else:  # a page of the index not written when the machine stopped: a path in it, say
        at = data.index(b"launches/", int.from_bytes(data[-16:-8], "little"))
        data[at] = ord("L")
    store.write_bytes(bytes(data))
    assert cache.load(store) is None
    build(options)
    assert cached_results(store) == read_results(options.content_dir)


def bulk_site(tmp_path: Path) -> Path:
    """A project with 60 launches more than the minimal site: enough pages to render them in parallel."""
    files = minimal_site()
    for i in range(60):
        files[f"content/launches/2031-01-{1 + i % 28:02d}-bulk-{i}.md"] = launch_text(
            f"Bulk {i}", f"2031-01-{1 + i % 28:02d}", "northland", f"Text {i}.", None)
    return write_tree(tmp_path, files)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_parallel_render_gives_the_same_bytes(tmp_path, monkeypatch):
    project = bulk_site(tmp_path)
    build(BuildOptions(project / "content", project / "serial", search=False), incremental=False)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    build(BuildOptions(project / "content", project / "parallel", search=False), incremental=False)
    assert tree(project / "serial") == tree(project / "parallel")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_a_build_saving_memory_renders_the_lists_here_first_and_gives_the_same_bytes(tmp_path, monkeypatch):
    project = bulk_site(tmp_path)
    build(BuildOptions(project / "content", project / "usual", search=False), incremental=False)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    monkeypatch.setattr(build_module, "SAVE_MEMORY_ABOVE", 0)  # as a build of ~40,000 launches or more
    shared, real = [], build_module.render_pages
    monkeypatch.setattr(build_module, "render_pages", lambda renderer, pages, progress, keep, fresh_every=None, **more:
                        shared.append(({page.template for page in pages}, fresh_every))
                        or real(renderer, pages, progress, keep, fresh_every, **more))
    build(BuildOptions(project / "content", project / "saving", search=False), incremental=False)
    assert tree(project / "usual") == tree(project / "saving")
    assert shared == [({"launch.html", "source.html"}, build_module.FRESH_WORKER_EVERY)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_a_build_saving_memory_writes_the_lists_before_workers_are_forked(tmp_path, monkeypatch):
    # Each worker gets a copy of what this process holds unwritten, and would write it again.
    project = bulk_site(tmp_path)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    monkeypatch.setattr(build_module, "SAVE_MEMORY_ABOVE", 0)
    events, flush, before_workers = [], write.Staging.flush, build_module.ConvertingAhead.stop
    monkeypatch.setattr(write.Staging, "flush", lambda self: events.append(("flush", len(self.held.pages))) or flush(self))
    monkeypatch.setattr(build_module.ConvertingAhead, "stop", lambda self: events.append(("stop", 0)) or before_workers(self))
    build(BuildOptions(project / "content", project / "site", search=False), incremental=False)
    first_stop = events.index(("stop", 0))
    assert first_stop and events[first_stop - 1][0] == "flush" and events[first_stop - 1][1] > 0  # the lists held
    assert tree(project / "site") == cold_tree(project)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
@pytest.mark.parametrize("saving_memory", [False, True])
def test_a_template_edit_stages_the_pages_workers_render_again_and_gives_a_cold_builds_bytes(
        tmp_path, monkeypatch, saving_memory):
    project = bulk_site(tmp_path)
    options = BuildOptions(project / "content", project / "site", search=False)
    age_new_files(project)
    build(options)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    if saving_memory:
        monkeypatch.setattr(build_module, "SAVE_MEMORY_ABOVE", 0)
    own = (default_templates_dir() / "launch.html").read_text(encoding="utf-8")
    write_tree(project, {"templates/launch.html": own.replace("</article>", "<p>Edited.</p></article>")})
    age_new_files(project)
    report = build(options)
    bulk = {path for path in report.made if path.startswith("launches/2031-")}
    assert len(bulk) == 60 and report.written.written >= 62  # every launch's page: 60 here, 2 of the minimal site
    assert b"<p>Edited.</p>" in (project / "site/launches/2031-01-01-bulk-0/index.html").read_bytes()
    assert tree(project / "site") == cold_tree(project)
    assert not [p.name for p in project.iterdir() if ".changes-" in p.name]  # the staged files' folder is gone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_a_check_saving_memory_renders_the_lists_here_first(tmp_path, monkeypatch):
    project = bulk_site(tmp_path)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    monkeypatch.setattr(build_module, "SAVE_MEMORY_ABOVE", 0)
    shared, real = [], build_module.render_pages
    monkeypatch.setattr(build_module, "render_pages", lambda renderer, pages, progress, keep, fresh_every=None, **more:
                        shared.append(({page.template for page in pages}, fresh_every))
                        or real(renderer, pages, progress, keep, fresh_every, **more))
    report = check(BuildOptions(project / "content"))
    assert report.rendered == report.pages > 60
    assert shared == [({"launch.html", "source.html"}, build_module.FRESH_WORKER_EVERY)]


@pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores")
def test_the_preview_keeps_no_pickled_copy_of_what_the_read_workers_sent(tmp_path, monkeypatch):
    project = bulk_site(tmp_path)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    sent = count_calls(monkeypatch, cache.FileEntry, "__setstate__")
    memory = Memory()
    build(BuildOptions(project / "content", project / "site", search=False), memory=memory)
    assert sent  # the entries came from the workers, pickled
    assert all(entry.pickled is None for entry in memory.last.files.values())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel rendering uses fork")
def test_a_template_failing_in_a_parallel_build_leaves_the_old_site_and_no_staging(tmp_path, monkeypatch):
    """Workers write pages into the staging directory: a failure removes it, pages and all."""
    project = bulk_site(tmp_path)
    monkeypatch.setattr("generator.parallel.MIN_ITEMS", 10)
    options = BuildOptions(project / "content", project / "site", search=False)
    build(options, incremental=False)
    before = tree(project / "site")
    write_tree(project, {"templates/launch.html":
                         '{% if launch.id.endswith("-bulk-30") %}{{ launch.no_such_field }}{% endif %}{{ launch.title }}\n'})
    with pytest.raises(ContentError) as failed:
        build(options, incremental=False)
    assert [(p.path, p.line) for p in failed.value.problems] == [("templates/launch.html", 1)]
    assert "no_such_field" in failed.value.problems[0].message
    assert tree(project / "site") == before
    assert sorted(p.name for p in project.iterdir()) == [".digest-cache", "content", "site", "templates"]


def test_a_role_changed_on_an_actor_s_later_page_reaches_its_data_row(site_dir):
    site_yaml = site_dir / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "per_page: 1\n")  # northland: a page per launch
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    first = site_dir / "content/launches/2030-03-01-first.md"  # on northland's second page
    first.write_text(first.read_text().replace("{id: northland, role: launcher}", "{id: northland, role: mentioned}"))
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    assert b'"role": "mentioned"' in (site_dir / "site/data/actors.json").read_bytes()
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.parametrize("memory", [None, Memory()], ids=["command line", "preview"])
def test_the_home_page_counts_launches_it_does_not_list(site_dir, monkeypatch, memory):
    monkeypatch.setattr(routes, "LATEST", 1)  # the home page lists the newest launch alone
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False), memory=memory)
    older = site_dir / "content/launches/2030-03-01-first.md"
    older.write_text(older.read_text().replace("date: 2030-03-01", "date: 2029-03-01"))
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False), memory=memory)
    home = (site_dir / "site/index.html").read_text()
    assert "launches/2029/index.html" in home  # the table by year and the chart count 2029 now
    assert tree(site_dir / "site") == cold_tree(site_dir)


def test_where_the_files_cache_cannot_be_mapped_it_is_read_and_appended_to(site_dir, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("this file system cannot map files")
    monkeypatch.setattr("mmap.mmap", refuse)
    options, store = built(site_dir)
    inode, size = file_identity(store)
    assert isinstance(cache.load(store).files[str(site_dir / "content/launches/2030-04-10-second.md")].pickled.obj,
                      bytes)
    edit_three_bodies(site_dir)
    age_new_files(site_dir)
    build(options)
    assert file_identity(store)[0] == inode and file_identity(store)[1] > size
    assert cached_results(store) == read_results(options.content_dir)
    assert tree(site_dir / "site") == cold_tree(site_dir)


@pytest.mark.skipif(os.name == "nt", reason="Windows has no flock; two builds appending at once are not kept apart")
def test_a_build_appending_to_the_files_cache_locks_it_and_one_that_waited_writes_it_anew(site_dir):
    import fcntl

    options, store = built(site_dir)
    loaded = cache.load(store)
    with cache.saving_files(store, loaded.stored) as saver:
        with store.open("rb") as other:  # another build's
            with pytest.raises(BlockingIOError):
                fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        for path, entry in loaded.files.items():
            saver.add(path, entry)
        saver.end(loaded.config, loaded.read_at_ns)
    inode = file_identity(store)[0]
    with cache.saving_files(store, loaded.stored) as saver:  # as loaded before the save above: written anew
        saver.end(loaded.config, loaded.read_at_ns)
    assert file_identity(store)[0] != inode


def test_a_title_edit_reads_the_launches_of_the_pages_that_show_it_not_every_launch(tmp_path, monkeypatch):
    files = minimal_site()
    files["content/site.yaml"] += "per_page: 5\n"
    for i in range(96):  # eight years, a launch a month
        date = f"{2031 + i // 12}-{1 + i % 12:02d}-15"
        files[f"content/launches/{date}-monthly-{i}.md"] = launch_text(f"Monthly {i}", date, "northland",
                                                                       f"Text {i}.", None)
    project = write_tree(tmp_path, files)
    options = BuildOptions(project / "content", project / "site", search=False)
    age_new_files(project)
    build(options)
    linked = count_calls(monkeypatch, build_module, "link")
    unpickled = count_calls(monkeypatch, cache, "unpickle_result")
    listed = count_calls(monkeypatch, routes, "listing_pages")
    launch = project / "content/launches/2034-06-15-monthly-41.md"
    launch.write_text(launch.read_text().replace("title: Monthly 41", "title: Monthly 41, renamed"))
    age_new_files(project)
    made = build(options).made
    assert not linked
    assert {"launches/2034/index.html", "launches/page/11/index.html"} <= set(made)
    assert not listed  # its year's page and the index's pages are planned, not every listing
    assert 0 < len(unpickled) < 40  # of 102 records: its year's, its pages of lists, its neighbours', its actor
    assert tree(project / "site") == cold_tree(project)
