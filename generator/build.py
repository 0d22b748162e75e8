"""The whole pipeline: load -> validate -> link -> plan -> render -> write.

Everything is read and checked before anything is written; any problem stops
the build with the list of all problems and leaves the output untouched.
"""

from __future__ import annotations

import contextlib
import gc
import time
import traceback
from array import array
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Collection, Iterator, TypeVar

import jinja2

from . import cache, data, feeds, parallel, routes, search, snapshot
from .bodies import FILE_NAME, ConvertingAhead, KeptBodies
from .errors import ContentError, Problem, Progress, display_path, no_progress
from .link import Site, link, shape, swap_records
from .model import Actor, Launch, Source, kind_of, record_key
from .read import ReadResult, read_again, read_content
from .render import Memo, Renderer, default_templates_dir, render_pages
from .routes import PageSpec, path_of, plan, plan_again, record_of
from .write import MARKER, Patch, WriteReport, check_output_dir, check_relative, patched_site, staged_site

T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("site")
    base_url: str | None = None
    drafts: bool = False
    templates_dir: Path | None = None  # the site's own templates; defaults fill the gaps
    search: bool = False  # index the pages with Pagefind when writing (`digest build` does, unless --no-search)


@dataclass(frozen=True)
class BuildReport:
    pages: int
    files: dict[str, bytes]  # every file, when not writing; a build writes them as they are made instead
    written: WriteReport | None  # None when nothing was written (check)
    seconds: float
    rendered: int | None = None  # the pages a check rendered: those the last check did not render as they are now
    made: frozenset[str] = frozenset()  # the files an incremental build made again, whether their bytes changed or not


@dataclass
class Memory:
    """The last build's cache, kept in memory by `digest serve` instead of in a file.

    Loading and saving the cache file, and the snapshot beside it, cost a third
    of a rebuild after one edit (1.6 of 4.9 s at 10,000 launches, one run).
    """

    last: cache.BuildCache | None = None
    read: ReadResult | None = None  # the last build's read of the content, if it got that far
    plan: Planned | None = None  # the last build's site and pages, if it succeeded


@dataclass(frozen=True)
class Planned:
    """A build's linked site and planned pages, and what they were made from.

    `digest serve` keeps them: after an edit that keeps every record's shape
    (link.shape), nothing that linking and planning make can differ but the
    edited records' fields and titles, and those two stages took 1.2 of the
    2.1 s of a rebuild after a body edit at 10,000 launches (measured).
    """

    site: Site
    pages: list[PageSpec]  # with what each depends on
    setup: str  # build_setup()
    config_digest: str
    files: dict[str, cache.FileEntry]  # content path -> what it validated to
    template_digests: dict[str, str]  # template name -> Renderer.template_digest()
    memo: Memo  # the bodies and feed entries the renderer made
    shown_twice: frozenset[tuple[str, str]]  # the renderer's, see Renderer
    index: ShownIndex  # made with the plan, kept while edits keep every record's shape


@dataclass(frozen=True)
class ShownIndex:
    """Which of a plan's pages show each record (by their numbers in the plan), and which have no
    fingerprint: what pages_showing asks. Edits that keep every record's shape leave it true, as
    they do the PageMap of the command line's quick path."""

    shown: cache.ShownOn
    always: tuple[int, ...]  # the pages rendered on every build


def build(options: BuildOptions, write: bool = True, incremental: bool = True,
          progress: Progress = no_progress, memory: Memory | None = None,
          touched: Collection[str] | None = None, look: snapshot.LookAhead | None = None) -> BuildReport:
    """Build the site; raise ContentError (bad content) or OutputError (bad --out).

    With `incremental`, unchanged files are not parsed again and unchanged pages
    are not rendered again; the result is byte-identical to a full build. The
    cache is kept in `memory` when given, else in a file beside the content;
    `memory` also keeps the linked site and pages for an edit that keeps every record's shape.
    `touched`: every file added, changed or removed since the build before, when
    the caller watches the files (the preview); only those are looked at again.
    `look`: the snapshot being taken ahead of this build (the command line's): its inputs are asked
    for first, its outputs when needed (see snapshot.LookAhead).
    """
    store = snapshot.cache_path(options.content_dir, options.out_dir)
    kept = store.parent / FILE_NAME if write and incremental and not memory else None
    with ConvertingAhead(kept, options.content_dir, options.base_url) as ahead:
        return _build(options, write, incremental, progress, memory, touched, look, store, ahead)


def _build(options: BuildOptions, write: bool, incremental: bool, progress: Progress, memory: Memory | None,
           touched: Collection[str] | None, look: snapshot.LookAhead | None, store: Path, ahead: ConvertingAhead,
           ) -> BuildReport:
    started = time.perf_counter()
    if write:
        check_output_dir(options.out_dir, options.content_dir)
    templates = template_dirs(options)
    with gc_paused():
        taken, last, look = (looked_at(options, store, templates, incremental, look) if write and not memory
                             else (None, None, None))
        started_ns = taken.taken_ns if taken else snapshot.file_system_time(store.parent) if write else 0
        if taken:
            cache.prune(store)
            if last:  # nothing to read, render or write
                report = WriteReport(0, len(last.outputs), 0, frozenset(last.outputs))
                return BuildReport(last.pages, {}, report, time.perf_counter() - started)
        work = plan_work(options, write, incremental, progress, memory, touched, look, store, ahead, templates,
                         taken, started_ns)
    if not write:
        rows = export_rows(work.site, {}, work.fingerprints)
        files = (render_all(work.renderer, work.pages, options.content_dir, progress)
                 | extra_files(work.renderer, work.site, rows))
        return BuildReport(len(work.paths), files, None, time.perf_counter() - started)
    if work.reuse:
        written = patch_output(work, options, store, memory, progress)
    else:
        written = write_output(work, options, store, memory, progress, ahead)
    remember(work, written, options, store, memory, taken)
    return BuildReport(len(work.paths), {}, written.report, time.perf_counter() - started, made=written.made)


@dataclass(frozen=True)
class PagePlan:
    """The pages a build or check planned, and the renderer that makes them."""

    site: Site
    renderer: Renderer
    pages: list[PageSpec]  # every page; or (`partial`) only those that may show an edit
    paths: list[str]  # every page's
    previous: cache.BuildCache | None  # the last build's cache, without its cache bytes if this one linked
    partial: bool  # the other pages' fingerprints are the last build's
    present: dict[str, tuple[int, int]] | None = None  # the output's pages on disk, if the quick path looked
    every_page: list[PageSpec] | None = None  # every page, if the plan has them all (not after the quick path)
    index: ShownIndex | None = None  # the preview's, of every page, if kept from the last build's plan


@dataclass(frozen=True)
class Work:
    """What rendering and writing need of a build's plan, and nothing more: what only planning
    needed (the content as read, what each page depends on) is let go of before the pages render."""

    site: Site
    renderer: Renderer
    pages: list[PageSpec]  # to render: every page, or (`reuse`) those the output may not hold as they are now
    paths: list[str]  # every page's
    fingerprints: dict[str, str | None]  # every page's, by path
    previous: cache.BuildCache | None
    reuse: bool  # the last build's output is patched, not written anew
    only: list[tuple[str, str]] | None = None  # the only records whose rows may differ (records_with_pages)
    # output path -> (size, mtime_ns) of the files this build leaves as they were
    untouched: dict[str, tuple[int, int]] = field(default_factory=dict)
    page_map: cache.PageMap | None = None  # for the cache beside the content (not the preview's)
    shown: cache.ShownOn | None = None
    read_files: cache.BuildCache | None = None  # the preview's: the cache of what was read
    kept: Planned | None = None  # the preview's: this build's plan, kept for its next build if this one succeeds


@dataclass(frozen=True)
class Written:
    """What writing the output made."""

    report: WriteReport
    rows: data.Rows
    starts: dict[str, int]  # data file -> where its first row is
    made: frozenset[str] = frozenset()  # reusing the output: the files made again, whether their bytes changed or not


def plan_work(options: BuildOptions, write: bool, incremental: bool, progress: Progress, memory: Memory | None,
              touched: Collection[str] | None, look: snapshot.LookAhead | None, store: Path,
              ahead: ConvertingAhead, templates: list[Path], taken: snapshot.Snapshot | None,
              started_ns: int) -> Work:
    """Read the content and plan the pages (plan_from_cache, or the preview's plan_from_memory),
    fingerprint them and pick those to render."""
    previous = (memory.last if memory else cache.load(store)) if write and incremental else None
    last_read = None
    if memory:  # taken out until this build's read is done: a build failing before it leaves none to go on from
        last_read, memory.read = memory.read if previous else None, None
    saving_at = store if write and not memory else None
    content, files_saved = read_saving(options, previous, progress, started_ns, saving_at, last_read, touched, taken)
    read_files = cache.BuildCache(content.config_digest, content.files, content.read_at_ns)
    if memory:
        memory.last = read_files if previous is None else replace(
            read_files, outputs=previous.outputs, pages=previous.pages, rows=previous.rows,
            data_files=previous.data_files)
        memory.read = content
    reuse = previous is not None and previous.outputs is not None and (options.out_dir / MARKER).is_file()
    if not reuse:  # every page is rendered: bodies are converted ahead while this process links and plans
        ahead.go()
    if memory:
        page_plan = plan_from_memory(memory, previous, content, options, templates, store, reuse,
                                     fresh=not incremental)
    else:
        page_plan = plan_from_cache(previous, content, options, templates, store if write else None, quick=reuse,
                               fresh=not incremental, look=look)
    fingerprints, page_map, shown = fingerprinted(page_plan, content, options, files_saved)
    work = Work(page_plan.site, page_plan.renderer, page_plan.pages, page_plan.paths, fingerprints,
                page_plan.previous, reuse, page_map=page_map, shown=shown,
                read_files=read_files if memory else None,
                kept=kept_plan(page_plan, content, options) if memory else None)
    if reuse:
        return with_stale_pages(work, page_plan, options.out_dir, look, keep_inputs=memory is not None)
    # The preview keeps the pages for its next build; the command line needs their inputs no more.
    return replace(work, pages=without_inputs(page_plan.pages)) if write and not memory else work


def with_stale_pages(work: Work, page_plan: PagePlan, out_dir: Path, look: snapshot.LookAhead | None,
                     keep_inputs: bool) -> Work:
    """`work` patching the last build's output: the pages to render again (stale_pages) and the files it
    leaves as they are. Unless `keep_inputs`, many pages are let go of what they depend on, as in a full build."""
    present = page_plan.present
    if present is None:
        present = snapshot.stat_files(out_dir, [page.path for page in page_plan.pages], known=outputs_now(look))
    stale = stale_pages(page_plan.pages, work.fingerprints, page_plan.previous, present)
    rendered = {page.path for page in stale}
    if not keep_inputs and len(stale) >= parallel.MIN_ITEMS:
        stale = without_inputs(stale)
    return replace(work, pages=stale, only=records_with_pages(page_plan.pages) if page_plan.partial else None,
                   untouched={path: stat for path, stat in present.items() if path not in rendered})


def read_saving(options: BuildOptions, previous: cache.BuildCache | None, progress: Progress, started_ns: int,
                store: Path | None, last: ReadResult | None = None, touched: Collection[str] | None = None,
                taken: snapshot.Snapshot | None = None) -> tuple[ReadResult, cache.FileIdentity | None]:
    """Read the content (see read), and with a `store`, save what the files validated to into its cache
    as they are read (true whatever happens to the output); with how it was saved."""
    with (cache.saving_files(store, previous and previous.stored, previous and previous.files) if store
          else contextlib.nullcontext()) as saver:
        content = read(options, previous, progress, started_ns, last, touched, saver, taken)
    return content, saver.saved_as if saver else None


def plan_from_cache(previous: cache.BuildCache | None, content: ReadResult, options: BuildOptions,
                    templates: list[Path], store: Path | None, quick: bool, fresh: bool = False,
                    look: snapshot.LookAhead | None = None) -> PagePlan:
    """Link the content and plan every page; or, if `quick` and the edits since `previous` allow it, plan only
    the pages that show the edited records (edited_pages). `store`: the cache's, if any; `fresh`: convert
    every body again."""
    edited = edited_pages(previous, content, options, templates, store, look) if quick else None
    if edited is None:
        prune = files_removed(previous, content)
        previous = without_cache_bytes(content, previous)
        site = link(content.validated, include_drafts=options.drafts)
        pages = every_page = plan_pages(site)
        paths, present = [page.path for page in pages], None
    else:
        prune, (pages, present, site), paths, every_page = False, edited, list(previous.pages), None
    kept_bodies = KeptBodies.beside(store, content.record_digests, content.config_digest, fresh=fresh, prune=prune)
    renderer = Renderer(site, templates, cache.compiled_templates_dir(store) if store else None,
                        feeds.bodies_in_feeds(pages), kept_bodies)
    return PagePlan(site, renderer, pages, paths, previous, partial=edited is not None, present=present,
                    every_page=every_page)


def plan_from_memory(memory: Memory, previous: cache.BuildCache | None, content: ReadResult, options: BuildOptions,
                     templates: list[Path], store: Path, reuse: bool, fresh: bool) -> PagePlan:
    """The preview's plan: after edits that keep every record's shape (edited_records), the last build's with
    the edited records in it, to fingerprint only the pages that may show them; else as plan_from_cache."""
    edited = edited_records(memory.plan, content, options, templates) if memory.plan and reuse else None
    if edited is None:
        return plan_from_cache(previous, content, options, templates, store, quick=False, fresh=fresh)
    # The last build's plan: its templates were checked by edited_records.
    planned = plan_edited(memory, edited)
    kept_bodies = KeptBodies.beside(store, content.record_digests, content.config_digest, fresh=fresh)
    renderer = Renderer(planned.site, templates, cache.compiled_templates_dir(store), planned.shown_twice,
                        kept_bodies)
    candidates = pages_showing(planned.pages, edited, planned.index)
    renderer.reuse(planned.memo, edited.records, candidates)
    return PagePlan(planned.site, renderer, candidates, [page.path for page in planned.pages], previous,
                    partial=True, every_page=planned.pages, index=planned.index)


def kept_plan(page_plan: PagePlan, content: ReadResult, options: BuildOptions) -> Planned:
    """What the preview keeps of a build's plan for its next build (see edited_records). After
    fingerprinted: the digests of the templates are asked of templates already read without a problem."""
    renderer, pages = page_plan.renderer, page_plan.every_page
    return Planned(page_plan.site, pages, build_setup(options), content.config_digest, content.files,
                   {name: renderer.template_digest(name) for name in {page.template for page in pages}},
                   renderer.memo, renderer.shown_twice, page_plan.index or shown_index(pages, renderer))


def fingerprinted(page_plan: PagePlan, content: ReadResult, options: BuildOptions,
                  files_saved: cache.FileIdentity | None,
                  ) -> tuple[dict[str, str | None], cache.PageMap | None, cache.ShownOn | None]:
    """Every page's fingerprint (those `page_plan` did not plan: the last build's), and the PageMap and ShownOn
    to save with the files' part of the cache, if it was saved (`files_saved`; see saved_page_map)."""
    with template_problems(options.content_dir):
        fingerprints = page_fingerprints(page_plan.pages, content, page_plan.renderer, options)
        page_plan.renderer.save_inspections()
        kept = page_plan.previous.page_map if page_plan.partial else None
        page_map, shown = saved_page_map(kept, page_plan.pages, page_plan.renderer, fingerprints, content, options,
                                         files_saved)
    if page_plan.partial:
        fingerprints = page_plan.previous.pages | fingerprints
    page_plan.renderer.page_fingerprints = fingerprints
    return fingerprints, page_map, shown


def patch_output(work: Work, options: BuildOptions, store: Path, memory: Memory | None,
                 progress: Progress) -> Written:
    """Render the pages `work` picked and patch the last build's output with them, the data files,
    static files and search index: only files whose bytes changed are written."""
    site, renderer, fingerprints, maker = work.site, work.renderer, work.fingerprints, data.RowMaker(work.site)
    with patched_site(options.out_dir, work.previous.outputs) as patch, \
            written_data(work.previous, options.out_dir) as last:
        patch.reserve(page.path for page in work.pages)
        # The rows of a few records made again first, the data files spliced of them staged while the
        # pages render (see Patch.add_behind); else made only after, not held while rendering.
        rows_first = work.only is not None and len(work.pages) < parallel.MIN_ITEMS
        if rows_first:
            rows, compared = changed_data(site, last, fingerprints, work.only, patch, maker)
        with template_problems(options.content_dir):
            for path, unchanged in render_site(renderer, work.pages, progress, keep=patch.write_later,
                                               flush=patch.flush):
                patch.note(path, unchanged)
        if not rows_first:
            rows, compared = changed_data(site, last, fingerprints, work.only, patch, maker)
        starts: dict[str, int] = {}
        for path, contents in static_files(renderer.template_dirs).items():
            patch.add(path, contents)
        for path, pieces in data.export_pieces(site, rows, compared, last, starts, maker):
            patch.add(path, pieces)
        searched = search.index({path: patch.holder(path) for path in work.paths if path.endswith(".html")},
                                routes.search_bundles(site), options.out_dir, progress,
                                cache.search_trees_path(store)) if options.search else {}
        for path, contents in searched.items():
            if isinstance(contents, bytes):  # not those kept on disk
                patch.add(path, contents)
        patch.outputs = frozenset(work.paths) | patch.files | frozenset(data.FILES) | frozenset(searched)
        forget_output(store, memory, work.read_files)
    return Written(patch.report, rows, starts, made=frozenset(patch.files))


def write_output(work: Work, options: BuildOptions, store: Path, memory: Memory | None, progress: Progress,
                 ahead: ConvertingAhead) -> Written:
    """Render every page into a new output folder, with the data files, static files and search index,
    then put it in place of the old one. Each page is written by the process that rendered it, never
    all held in memory."""
    forget_output(store, memory, work.read_files)
    site, renderer, maker = work.site, work.renderer, data.RowMaker(work.site)
    with template_problems(options.content_dir), staged_site(options.out_dir) as staging:
        staging.reserve(work.paths)
        # The data files by this process while workers render, each row made as it is written:
        # the rows (~50 MB at 10,000 launches) are never all held at once.
        last, starts = written_data(work.previous, options.out_dir), {}
        rows = export_rows(site, last.rows, work.fingerprints, later=True, maker=maker)

        def write_data() -> None:
            with last:
                for path, contents in [*static_files(renderer.template_dirs).items(),
                                       *data.export_pieces(site, rows, written=last, starts=starts, maker=maker)]:
                    staging.add(path, contents)

        for _, unchanged in render_site(renderer, work.pages, progress, keep=staging.write_later, meanwhile=write_data,
                                        before_workers=ahead.stop, flush=staging.flush):
            staging.count(unchanged)
        if options.search:
            html = {path: staging.root / path for path in work.paths if path.endswith(".html")}
            searched = search.index(html, routes.search_bundles(site), options.out_dir, progress,
                                    cache.search_trees_path(store))
            for path, contents in searched.items():
                staging.add(path, contents if isinstance(contents, bytes) else contents.read_bytes())
    return Written(staging.report, rows, starts)


def remember(work: Work, written: Written, options: BuildOptions, store: Path, memory: Memory | None,
             taken: snapshot.Snapshot | None) -> None:
    """Keep what the next build needs to know of this one: in `memory` (the preview's), else in the cache
    and snapshot beside the content."""
    output = dict(outputs=written.report.outputs, pages={p: f for p, f in work.fingerprints.items() if f},
                  rows=data.written_rows(written.rows), data_files=data_files(options.out_dir, written.starts))
    if memory:
        memory.last = replace(work.read_files, **output)
        memory.plan = work.kept
        return
    if work.shown:  # this build linked the site
        cache.save_site(store, work.site, work.page_map.linked, work.shown)
    cache.save_output(store, cache.BuildCache(**output, page_map=work.page_map), work.previous)
    taken.pages = len(work.paths)
    taken.outputs = snapshot.stat_files(options.out_dir, written.report.outputs, known=work.untouched)
    snapshot.save_snapshot(snapshot.snapshot_path(store), taken)
    cache.note_out_dir(store, options.out_dir)


def check(options: BuildOptions, progress: Progress = no_progress,
          look: snapshot.LookAhead | None = None) -> BuildReport:
    """Validate the content and render every page in memory, writing none (`digest check`);
    raise ContentError listing every problem.

    A page is rendered only if the last check that passed did not render it as it
    is now: the same fingerprint (template, records shown, derived values) makes
    the same bytes, which rendered then. Nor is anything done when no input
    changed since that check. The check keeps its own cache for that, beside the
    builds' (snapshot.check_path); without one, it renders every page. At 10,000
    launches a check that rendered every page took 25-31 s (two runs). After edits
    that keep every record's shape it plans only the pages that show them (edited_pages).
    `look`: as for build().
    """
    started = time.perf_counter()
    store = snapshot.check_path(options.content_dir) if options.content_dir.is_dir() else None
    templates = template_dirs(options)
    with gc_paused():
        taken, last, _ = looked_at(options, store, templates, True, look) if store else (None, None, None)
        if last:
            return BuildReport(last.pages, {}, None, time.perf_counter() - started, rendered=0)
        previous = cache.load(store) if store else None
        content, files_saved = read_saving(options, previous, progress, taken.taken_ns if taken else 0, store,
                                           taken=taken)
        page_plan = plan_from_cache(previous, content, options, templates, store, quick=previous is not None)
        fingerprints, page_map, shown = fingerprinted(page_plan, content, options, files_saved)
    content = None  # what the files validated to, saved: rendering needs none of it
    passed = page_plan.previous.pages if page_plan.previous else {}
    unseen = [page for page in page_plan.pages
              if fingerprints[page.path] is None or passed.get(page.path) != fingerprints[page.path]]
    with template_problems(options.content_dir):
        for _ in render_site(page_plan.renderer, unseen, progress, keep=lambda path, html: None):
            pass
    if store:
        if shown:  # this check linked the site
            cache.save_site(store, page_plan.site, page_map.linked, shown)
        cache.save_output(store, cache.BuildCache(pages={path: f for path, f in fingerprints.items() if f},
                                                  page_map=page_map))
        taken.pages = len(fingerprints)
        snapshot.save_snapshot(snapshot.snapshot_path(store), taken)
    return BuildReport(len(fingerprints), {}, None, time.perf_counter() - started, rendered=len(unseen))


@dataclass(frozen=True)
class Edited:
    """The records edited since the last build, each of the same shape as before (see link.shape)."""

    records: list[Launch | Source | Actor]  # as edited
    heads: frozenset[str]  # the keys ("kind:id") of those edited besides their bodies

    @property
    def keys(self) -> list[str]:
        """The keys ("kind:id") of the records edited."""
        return [record_key(kind_of(record), record.id) for record in self.records]


def edited_records(planned: Planned, content: ReadResult, options: BuildOptions,
                   templates: list[Path]) -> Edited | None:
    """What changed since `planned` was made, if only records keeping their shape; None if anything else did.

    A record may not name a record it did not name before either: what records
    name is checked against the others when linking.
    """
    if (planned.setup != build_setup(options) or planned.config_digest != content.config_digest
            or planned.files.keys() != content.files.keys() or content.problems):
        return None  # the same files as a build that succeeded: no two with one id
    edited = edits_keeping_shape(content.files, planned.files)
    if edited is None:
        return None
    probe = Renderer(planned.site, templates)
    with template_problems(options.content_dir):
        if any(probe.template_digest(name) != value for name, value in planned.template_digests.items()):
            return None
    return edited


def edits_keeping_shape(files: dict[str, cache.FileEntry], before: dict[str, cache.FileEntry]) -> Edited | None:
    """The records edited between `before` and `files` (the same paths), if each keeps its
    shape (link.shape) and names the same records; None if one does not."""
    records, heads = [], set()
    for path, entry in files.items():
        old = before[path]
        if entry is old or entry.digest == old.digest:  # not read again, or the same bytes
            continue
        record, old_record = entry.result.record, old.result.record
        if (record is None or old_record is None or entry.result.problems or shape(record) != shape(old_record)
                or entry.result.refs.targets() != old.result.refs.targets()):
            return None
        records.append(record)
        if entry.head != old.head:
            heads.add(record_key(kind_of(record), record.id))
    return Edited(records, frozenset(heads))


def plan_edited(memory: Memory, edited: Edited) -> Planned:
    """The last build's plan, its site and the edited records' own pages given the edits."""
    planned, memory.plan = memory.plan, None  # its site changes now, and may not make it to the output
    swap_records(planned.site, edited.records)
    if edited.heads:  # a title may have changed
        planned = replace(planned, pages=plan_again(planned.site, planned.pages, edited.records))
    return planned


def pages_showing(pages: list[PageSpec], edited: Edited, index: ShownIndex) -> list[PageSpec]:
    """The pages that may show what was edited, and those rendered on every build, in the plan's order.

    Only their fingerprints can change: the others' are made of what did not
    (page_fingerprints). A listing of launches shows no body: at 10,000 launches,
    fingerprinting every page that shows the record took 0.035-0.045 s, these 0.01 s.
    """
    numbers = index.shown.numbers(edited.keys, bodies=True) | index.shown.numbers(edited.heads, bodies=False)
    return [pages[number] for number in sorted(numbers.union(index.always))]


def shown_index(pages: list[PageSpec], renderer: Renderer) -> ShownIndex:
    """The ShownIndex of the planned `pages`."""
    return ShownIndex(shown_on(pages, renderer), tuple(n for n, page in enumerate(pages) if page.depends_on is None))


def edited_pages(previous: cache.BuildCache, content: ReadResult, options: BuildOptions, templates: list[Path],
                 store: Path, look: snapshot.LookAhead | None = None,
                 ) -> tuple[list[PageSpec], dict[str, tuple[int, int]], Site] | None:
    """After edits that keep every record's shape since the output was made (or the last
    check passed), the pages that show the edited records, planned alone, the output's
    pages on disk (path -> (size, mtime_ns); none for a check, whose cache names no output)
    and the site; else None.

    The quick path of `digest build` and `digest check`, as the preview's (see
    edited_records) but without the last plan in memory. With every record's shape
    as it was (link.shape), naming the same records, and the same files, options,
    config and templates, planning would make the same pages with the same inputs
    again, and only the pages that show an edited record can differ (only those
    that show its body, if nothing else of it changed; see page_fingerprints): the
    last build's PageMap names them. Planning and fingerprinting every page took
    0.8-1.3 s of a rebuild after a body edit at 10,000 launches. A page missing from
    the output is planned too; a page that cannot be planned alone means None. The
    site is the one the cache at `store` keeps, its records read from their files
    only as the pages ask (cache.Kept.site), else linked again. `look`: where the output files'
    stats were taken ahead (looked_at).
    """
    page_map = previous.page_map
    if (page_map is None or page_map.setup != build_setup(options) or content.config_digest != previous.config
            or content.files.keys() != previous.files.keys() or page_map.files_saved != previous.stored.identity
            or content.problems):  # a stray file, which linking reports
        return None
    edited = edits_keeping_shape(content.files, previous.files)
    if edited is None or page_map.templates != templates_digest(templates):
        return None
    kept_site = cache.load_kept(store, page_map.linked)
    if kept_site is None:
        return None
    wanted = kept_site.shown.pages(edited.keys, bodies=True) | kept_site.shown.pages(edited.heads, bodies=False)
    present = {}
    if previous.outputs is not None:  # a build's: a page gone from the output is made again
        present = snapshot.stat_files(options.out_dir, previous.pages, known=outputs_now(look))
        wanted.update(path for path in previous.pages if path not in present)
    kept = show_few_records(wanted) or templates == [default_templates_dir()]
    site = kept_site.site(content.record) if kept else None
    if site is None:
        for files in (content.files, previous.files):  # the same entries, but for the files read again
            cache.unpickle_all(files)
        site = link(content.validated, include_drafts=options.drafts)
    pages = plan_alone(site, wanted)
    return None if pages is None else (pages, present, site)


def show_few_records(paths: Collection[str]) -> bool:
    """Whether the pages at `paths` are records' own pages and feeds, not listings.

    A site's own template of a listing may show every launch: filled in one by one, all
    the stand-ins of the kept site took more memory than linking the records, which lets
    the cache file's bytes go (a title edit at 100,000 launches peaked at 2,089 MB against
    1,459 MB, when digest's own listings read every launch too). Planned alone, digest's
    own listings read the launches they list, each launch's date aside, which stand-ins
    know (cache.KNOWN_FIELDS); a feed reads only the launches it lists (feeds.feed_launches).
    """
    return all(routes.record_of(path) or path == routes.FEED
               or (path.startswith("actors/") and path.endswith("/feed.xml")) for path in paths)


def files_removed(previous: cache.BuildCache | None, content: ReadResult) -> bool:
    """Whether a content file the last build read is gone (deleted or renamed), or that is not known:
    then the bodies kept of its record are forgotten (pruning took 0.034-0.053 s at 10,000 launches)."""
    return previous is None or not previous.files.keys() <= content.files.keys()


def without_cache_bytes(content: ReadResult, previous: cache.BuildCache | None) -> cache.BuildCache | None:
    """Before linking: every result unpickled, and `previous` without its entries (those of files
    changed or gone may hold the cache file's bytes still)."""
    cache.unpickle_all(content.files)
    return replace(previous, files={}) if previous else None


def plan_alone(site: Site, paths: set[str]) -> list[PageSpec] | None:
    """The pages at `paths` as plan_pages plans them, each with those planned with it; None if one is not found."""
    source_keys = routes.cached_source_keys(site)
    feed_of = {routes.feed_path(actor_id): actor_id for actor_id in [None, *site.actors]}
    planned: dict[str, PageSpec] = {}

    def page_at(path: str) -> PageSpec | None:
        if path not in planned:
            planned.update((page.path, page) for page in planned_with(site, path, source_keys))
        return planned.get(path)

    if any(page_at(path) is None for path in paths - feed_of.keys()):
        return None
    pages = [planned[path] for path in sorted(paths - feed_of.keys())]
    wanted_feeds = [feed_of[path] for path in sorted(paths & feed_of.keys())]
    if wanted_feeds:
        latest = lambda: max(feeds.newest_dates(site).values(), default=feeds.EPOCH)  # noqa: E731
        # An entry shows what its launch's page shows.
        pages += feeds.feed_pages(site, wanted_feeds, latest, lambda path: page_at(path).depends_on)
    return pages


def planned_with(site: Site, path: str, source_keys: routes.SourceKeys) -> list[PageSpec]:
    """The pages that plan() plans together with the page at `path`: a launch's page and its
    redirects, an actor's pages, a source's page, the list of sources, the years' pages and the
    index's, or else all the other pages that are not a record's."""
    folder, ident = (path.split("/") + [""])[:2]
    kind = routes.KIND_OF_FOLDER.get(folder)
    if kind == "launch" and ident in site.launch_by_id:
        return routes.launch_pages(site.launch_by_id[ident], source_keys)
    if kind == "actor" and ident in site.actors:
        return routes.actor_pages(site, site.actors[ident], source_keys)
    if kind == "source" and ident in site.sources:
        return [routes.source_page(site, site.sources[ident], source_keys)]
    if folder == "sources":  # the list of sources
        return routes.sources_pages(site, source_keys)
    if kind == "launch":  # a year's page or the index's: not every listing
        return routes.launch_listing_pages(site, {path})
    return routes.listing_pages(site, source_keys, sources=False)


def saved_page_map(kept: cache.PageMap | None, pages: list[PageSpec], renderer: Renderer,
                   fingerprints: dict[str, str | None], content: ReadResult, options: BuildOptions,
                   files_saved: cache.FileIdentity | None) -> tuple[cache.PageMap | None, cache.ShownOn | None]:
    """The PageMap to save, given the files' part of the cache as this build saved it: `kept`, the
    last one (after the quick path, the same pages show the same records); without one, a map of
    `pages`, with which of them show each record (None: a page has no fingerprint, rendered on
    every build, or the files' part was not saved)."""
    if files_saved is None:
        return None, None
    if kept is not None:
        return replace(kept, files_saved=files_saved), None
    if None in fingerprints.values():
        return None, None
    page_map = cache.PageMap(files_saved, build_setup(options), templates_digest(renderer.template_dirs),
                             linked=cache.files_digest(content.files))
    return page_map, shown_on(pages, renderer)


def shown_on(pages: list[PageSpec], renderer: Renderer) -> cache.ShownOn:
    """Which pages show each record and its body, for the next build's quick path (edited_pages) or the
    preview's (pages_showing); a page with no fingerprint shows none, as it is rendered on every build."""
    templates = {name: (renderer.shows_bodies(name), renderer.is_shipped(name)) for name in {p.template for p in pages}}
    bodies: defaultdict[str, array] = defaultdict(lambda: array(cache.PAGE_NUMBER))
    shows: defaultdict[str, array] = defaultdict(lambda: array(cache.PAGE_NUMBER))
    for number, page in enumerate(pages):
        if page.depends_on is None:
            continue
        shows_bodies, shipped = templates[page.template]
        for key in shown_bodies(page, shows_bodies, shipped):
            bodies[key].append(number)
        for key in shown_records(page, shipped):
            shows[key].append(number)
    return cache.ShownOn.of([page.path for page in pages], bodies, shows)


def templates_digest(dirs: list[Path]) -> str:
    """A digest of every file in the template folders: reading them took about 1 ms at every
    build, digests of each page template as Jinja parses it 0.12 s (under cProfile)."""
    return cache.digest(b"\0".join(f"{number}/{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes()
                                    for number, folder in enumerate(dirs)
                                    for path in sorted(folder.rglob("*")) if path.is_file()))


def records_with_pages(pages: list[PageSpec]) -> list[tuple[str, str]]:
    """(kind, id) of each record whose own page is among `pages`."""
    return [key for key in map(record_of, (page.path for page in pages)) if key]


def export_rows(site: Site, previous: data.Rows, fingerprints: dict[str, str | None],
                only: list[tuple[str, str]] | None = None, later: bool = False,
                maker: data.RowMaker | None = None) -> data.Rows:
    """The exported records' rows, those of `previous` kept where the record's page is unchanged.

    `only`: the only records whose pages' fingerprints may have changed since
    `previous` (the preview's quick path, see records_with_pages): asking all
    15,427 took 0.02-0.03 s of a title edit at 10,000 launches. `later`: the new
    rows are made as the data files are written (data.RowToMake). `maker`: the site's data.RowMaker, if made.
    """
    return data.export_rows(site, previous, lambda kind, ident: fingerprints[path_of(kind, ident)], only, later,
                            maker)


def changed_data(site: Site, last: data.WrittenFiles, fingerprints: dict[str, str | None],
                 only: Collection[tuple[str, str]] | None, patch: Patch,
                 maker: data.RowMaker) -> tuple[data.Rows, dict[str, bool]]:
    """The rows, made again for the records whose pages changed (`only`: for these alone), and which data
    files are as the last build left them (True) or differ in some rows alone (False): these are staged
    in `patch` by another thread. `maker`: the site's data.RowMaker."""
    rows = export_rows(site, last.rows, fingerprints, only, later=True, maker=maker)
    compared = data.compare_files(rows, last.rows, only, last, maker)
    patch.add_behind(data.spliced_files(rows, compared, last))
    return rows, compared


def written_data(previous: cache.BuildCache | None, out_dir: Path) -> data.WrittenFiles:
    """The last build's data files, with its rows of each kind whose files are as it wrote them
    (the rows are read back from them)."""
    saved = previous.data_files if previous else {}
    found = snapshot.stat_files(out_dir, saved)
    as_written = {path for path, stat in found.items() if list(stat) == saved[path][:2]}
    rows = {kind: rows for kind, rows in (previous.rows if previous else {}).items()
            if all(path in as_written for (of_kind, _), path in data.FILE_OF.items() if of_kind == kind)}
    return data.WrittenFiles(out_dir, rows, {path: saved[path][2] for path in as_written})


def data_files(out_dir: Path, starts: dict[str, int]) -> dict[str, list[int]]:
    """What the cache keeps of the data files just written: data file -> [size, mtime_ns, where its first row is]."""
    return {path: [*stat, starts.get(path, 0)] for path, stat in snapshot.stat_files(out_dir, data.FILES).items()}


def extra_files(renderer: Renderer, site: Site, rows: data.Rows) -> dict[str, bytes]:
    """The files besides the pages: static files and data exports (see data.export)."""
    return static_files(renderer.template_dirs) | data.export(site, rows)


def forget_output(store: Path, memory: Memory | None, read_files: cache.BuildCache | None) -> None:
    """Drop what the last build's cache knows of the output: the output is about to
    change, and a build stopped halfway must not leave a cache that describes it."""
    if memory:
        memory.last = read_files
    else:
        cache.forget_output(store)


@contextlib.contextmanager
def gc_paused():
    """No garbage collection while the inputs are looked at, the records loaded and the pages planned,
    then none over them.

    Loading and planning make hundreds of thousands of lasting objects and
    little garbage, and each collection on the way would walk them all (two
    thirds of the time of loading the cache; with the pages planned outside
    the pause, 19 full collections took 6.4 s of a 34 s rebuild at 100,000
    launches; measured); frozen, later collections skip them, in the render
    workers too. Unfrozen first, so that `digest serve`, building again and
    again, lets go of the last build's records.
    """
    gc.unfreeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def collect_frozen_garbage() -> None:
    """Collect what builds made and let go of in a process that lives on (the preview).

    gc_paused freezes, with all a build keeps, what it made and let go of by then, and the
    next build unfreezes and freezes it again with garbage collection off: no collection
    ever looked at it: on the bundled site a preview grew by 440 kB a rebuild (40 rebuilds);
    at 10,000 launches ~830 objects stayed frozen a rebuild, and the first build's garbage,
    77,000 objects (measured). A full collection walks every object (0.31 s at 10,000
    launches), so the preview does it when idle.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def looked_at(options: BuildOptions, store: Path, templates: list[Path], incremental: bool,
              look: snapshot.LookAhead | None = None,
              ) -> tuple[snapshot.Snapshot, snapshot.Snapshot | None, snapshot.LookAhead | None]:
    """This build's snapshot of its inputs; the last build's, when nothing changed since it (and `incremental`);
    and `look`, if the snapshot is the one it took ahead (when it looked at this build's folders), else taken now."""
    setup, folders = build_setup(options), [str(folder) for folder in input_folders(options, templates)]
    inputs = look.inputs() if look else None
    if inputs and inputs.store == store and inputs.now.folders == folders:
        inputs.now.setup = setup
        last = None
        if incremental and inputs.inputs_as_left and inputs.last.setup == setup:
            outputs = look.outputs()
            if outputs and outputs.as_left:
                last = replace(inputs.last, inputs=inputs.now.inputs, outputs=outputs.now)
        return inputs.now, last, look
    taken = snapshot.take_snapshot(setup, folders, snapshot.file_system_time(store.parent))
    last = snapshot.unchanged_since(snapshot.snapshot_path(store), taken, options.out_dir) if incremental else None
    return taken, last, None


def outputs_now(look: snapshot.LookAhead | None) -> dict[str, tuple[int, int]] | None:
    """The output files' stats as taken ahead, if they were."""
    outputs = look.outputs() if look else None
    return outputs.now if outputs else None


def input_folders(options: BuildOptions, templates: list[Path]) -> list[Path]:
    """The folders whose files a build reads: digest's own code too, as another version may write other bytes."""
    return [options.content_dir, *templates, Path(__file__).parent]


def build_setup(options: BuildOptions) -> str:
    """Everything besides the files that decides what a build writes."""
    return repr((snapshot.FORMAT, str(Path.cwd()), str(options.content_dir.resolve()),
                 str(options.out_dir.resolve()), options.base_url, options.drafts, options.search,
                 str(options.templates_dir.resolve()) if options.templates_dir else None))


def stale_pages(pages: list[PageSpec], fingerprints: dict[str, str | None], previous: cache.BuildCache,
                present: Collection[str]) -> list[PageSpec]:
    """The pages to render again: new, changed, unfingerprinted, or missing from the output (not `present`)."""
    return [page for page in pages
            if fingerprints[page.path] is None or previous.pages.get(page.path) != fingerprints[page.path]
            or page.path not in present]


def load_site(content_dir: Path, base_url: str | None = None, drafts: bool = False) -> Site:
    """Load, validate and link the content; raise ContentError listing every problem."""
    return link(read(BuildOptions(content_dir, base_url=base_url), None).validated, include_drafts=drafts)


def read(options: BuildOptions, previous: cache.BuildCache | None, progress: Progress = no_progress,
         started_ns: int = 0, last: ReadResult | None = None, touched: Collection[str] | None = None,
         saver: cache.FilesSaver | None = None, taken: snapshot.Snapshot | None = None) -> ReadResult:
    """Read the content: what changed of `last` if the `touched` files say (see read_again), else all;
    into the cache with `saver`; `taken`: the build's snapshot, which lists the files with their sizes and times."""
    if not options.content_dir.is_dir():
        raise ContentError([Problem(str(options.content_dir), 1, 1, "", "content directory not found",
                                    "run from the site's folder or pass --content DIR")])
    if last and touched is not None:
        content = read_again(options.content_dir, options.base_url, last, touched, started_ns)
        if content:
            return content
    content = read_content(options.content_dir, options.base_url, previous, progress, started_ns,
                           saver.add if saver else cache.let_go, taken)
    if saver:
        saver.end(content.config_digest, content.read_at_ns)
    return content


def page_fingerprints(pages: list[PageSpec], content: ReadResult, renderer: Renderer,
                      options: BuildOptions) -> dict[str, str | None]:
    """Each page's fingerprint: its template, the records it shows, what it derives; None: always render.

    A page is made of the records it shows without their bodies, but for those
    whose bodies it shows: editing a body renders the record's own pages and
    feeds again, not the listings. Only digest's own templates are known to show
    just the bodies the page names (PageSpec.bodies); a site's own may show any.
    """
    names = {page.template for page in pages}
    templates = {name: (renderer.template_digest(name), renderer.shows_bodies(name), renderer.is_shipped(name))
                 for name in names}
    setup = f"{content.config_digest}\0{options.drafts}"
    whole, heads = Parts(content.record_digests, "="), Parts(content.head_digests, "~")
    fingerprints: dict[str, str | None] = {}
    for page in pages:
        if page.depends_on is None:
            fingerprints[page.path] = None
            continue
        template_digest, shows_bodies, shipped = templates[page.template]
        bodies = frozenset(shown_bodies(page, shows_bodies, shipped))  # asked of each record shown
        inputs = [setup, template_digest, page.title, repr(page.derived)]
        inputs += [(whole if key in bodies else heads)[key] for key in sorted(shown_records(page, shipped))]
        fingerprints[page.path] = cache.digest("\0".join(inputs).encode())
    return fingerprints


class Parts(dict):
    """A record's part of page fingerprints ("kind:id=digest"), made when first asked for:
    many pages show one record, and a rebuild after a body edit fingerprints a few pages."""

    def __init__(self, digests: dict[str, str], separator: str):
        super().__init__()
        self.digests, self.separator = digests, separator

    def __missing__(self, key: str) -> str:
        self[key] = part = f"{key}{self.separator}{self.digests.get(key, '')}"
        return part


def shown_bodies(page: PageSpec, shows_bodies: bool, shipped: bool) -> Collection[str]:
    """The records whose bodies a page may show: none, those it names (digest's own templates), or any it shows."""
    if not shows_bodies:
        return ()
    if shipped and page.bodies is not None:
        return page.bodies
    return shown_records(page, shipped)


def shown_records(page: PageSpec, shipped: bool) -> Collection[str]:
    """The records a page shows: those it names, and if its template is the site's own, what that may show besides."""
    if shipped or not page.own_template_may_show:
        return page.depends_on
    return frozenset(page.depends_on).union(page.own_template_may_show)


def without_inputs(pages: list[PageSpec]) -> list[PageSpec]:
    """The pages without what each depends on, which their fingerprints now hold.

    Rendering needs none of it: at 10,000 launches those keys take 4.7 MB. Without
    this copy, a rebuild after a template edit at 100,000 launches peaked 31 MB higher
    (1,337 against 1,306 MB, one run each), a cold build no higher (measured).
    Copying the pages takes a few hundredths of a second: not worth it for a few pages.
    """
    return [replace(page, depends_on=None, bodies=None, own_template_may_show=()) for page in pages]


def template_dirs(options: BuildOptions) -> list[Path]:
    """The site's templates (explicit, or `templates/` beside the content) before the defaults.

    A file among the site's own templates that is not UTF-8 text is a problem.
    """
    default = default_templates_dir()
    own = options.templates_dir or options.content_dir.parent / "templates"
    if own.is_dir() and own.resolve() != default.resolve():
        check_encoding(own, options.content_dir)
        return [own, default]
    return [default]


def check_encoding(templates: Path, content_dir: Path) -> None:
    """Raise ContentError for each template (static files aside) that is not UTF-8 text."""
    problems = []
    for path in sorted(templates.rglob("*")):
        if not path.is_file() or path.relative_to(templates).parts[0] == "static":
            continue
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = data[: exc.start].count(b"\n") + 1, exc.start - data.rfind(b"\n", 0, exc.start)
            problems.append(Problem(display_path(path, content_dir), line, col, "",
                                    f"template is not UTF-8 text: byte 0x{data[exc.start]:02x}",
                                    "save it with UTF-8 encoding"))
    if problems:
        raise ContentError(problems)


def plan_pages(site: Site) -> list[PageSpec]:
    """Every page and feed of the site, each at a path of its own."""
    pages = plan(site)
    pages += feeds.plan(site, pages)
    check_unique_paths(pages)
    return pages


# From this size of the build's process on, a full build renders so as to save memory (render_site).
SAVE_MEMORY_ABOVE = 512 << 20  # bytes; the process holds ~165 MB at 10,000 launches, ~1.3 GB at 100,000
FRESH_WORKER_EVERY = 5_000  # pages a worker renders before a fresh one replaces it
OWN_PAGE_TEMPLATES = ("launch.html", "source.html")  # the pages that show one record, not many


def render_site(renderer: Renderer, pages: list[PageSpec], progress: Progress,
                keep: Callable[[str, bytes], T], meanwhile: Callable[[], None] | None = None,
                before_workers: Callable[[], None] = lambda: None,
                flush: Callable[[], None] = lambda: None) -> Iterator[tuple[str, T]]:
    """(path, what `keep` returns) for each page, rendered on all cores; `meanwhile` done by this
    process while workers render (see parallel.imap), or after the pages in a big build;
    `before_workers` done before the pages are shared with workers (stopping ConvertingAhead);
    `flush` as render_pages says, and before workers are forked (they would write what it holds again).

    In a big build, saving memory at the cost of time: a forked worker and this
    process each hold their own copy of every page of memory that either writes to
    (reference counts, too) while they both live. So this process first renders,
    alone, the pages that show many records (lists, actors' pages, feeds), then
    shares the launches' and sources' own pages with workers replaced by fresh ones
    every FRESH_WORKER_EVERY pages. At 100,000 launches: peak 1,493 MB against
    2,133 MB, in 1.07 times the time (measured; every ~9,400 pages, 1,580 MB).
    Before workers are forked, the memory freed so far goes back to the system.
    """
    if len(pages) >= parallel.MIN_ITEMS:
        parallel.return_free_memory()
    if (parallel.memory_held() or 0) <= SAVE_MEMORY_ABOVE:
        before_workers()
        yield from render_pages(renderer, pages, progress, keep, meanwhile=meanwhile, flush=flush)
        return
    own = [page for page in pages if page.template in OWN_PAGE_TEMPLATES]
    bar = progress("Rendering lists", len(pages) - len(own))
    try:
        for page in pages:
            if page.template not in OWN_PAGE_TEMPLATES:
                yield page.path, keep(page.path, renderer.render(page))
                bar.update(1)
    finally:
        bar.close()
    flush()
    before_workers()
    yield from render_pages(renderer, own, progress, keep, FRESH_WORKER_EVERY, flush=flush)
    if meanwhile:
        meanwhile()


def check_unique_paths(pages: list[PageSpec]) -> None:
    seen: dict[str, PageSpec] = {}
    problems = []
    for page in pages:
        check_relative(page.path)
        if page.path in seen:
            problems.append(Problem(page.origin or seen[page.path].origin or "content", 1, 1, "aliases",
                                    f"two pages would be written to {page.path}", "remove or change the alias"))
        seen[page.path] = page
    if problems:
        raise ContentError(problems)


def render_all(renderer: Renderer, pages: list[PageSpec], content_dir: Path,
               progress: Progress = no_progress) -> dict[str, bytes]:
    """Render pages into memory; template mistakes become problems at the template's line."""
    with template_problems(content_dir):
        return dict(render_pages(renderer, pages, progress))


@contextlib.contextmanager
def template_problems(content_dir: Path):
    """Turn a failure inside a template into one problem at the template's line, never a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - a site's own template can fail in any way
        problem = template_problem(exc, content_dir)
        if problem is None:
            raise  # not in a template: a bug in digest itself, worth its traceback
        raise ContentError([problem]) from None


def template_problem(exc: Exception, content_dir: Path) -> Problem | None:
    """Where in which template `exc` happened, and what it means; None if not in a template."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = display_path(Path(exc.filename), content_dir) if exc.filename else exc.name or "templates"
        return Problem(where, exc.lineno or 1, 1, "", f"template error: {exc.message}")
    # Jinja gives the frames of template code the template's file name and line.
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.endswith(".py") and not f.filename.startswith("<")]
    if not frames:
        return None
    where, line = display_path(Path(frames[-1].filename), content_dir), frames[-1].lineno or 1
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(where, line, 1, "", f"template error: template '{exc.name}' not found",
                       "check the name in extends, include or import")
    if isinstance(exc, RecursionError):
        return Problem(where, line, 1, "", "template error: endless recursion",
                       "a template that extends or includes itself? give the site's version another name")
    return Problem(where, line, 1, "", f"template error: {exc}")


def static_files(dirs: list[Path]) -> dict[str, bytes]:
    """Files under each templates dir's static/, the site's own winning by name."""
    files: dict[str, bytes] = {}
    for base in reversed(dirs):
        static = base / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(static).parts):
                files["static/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files
