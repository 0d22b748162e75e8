"""Stage 5, render: `PageSpec`s -> HTML bytes through Jinja2, always autoescaped.

Templates come from the site's own templates directory first, then from the
defaults shipped with the package. Helpers given to templates compute every
internal URL relative to the page being rendered.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import posixpath
import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import jinja2
import jinja2.meta
import jinja2.runtime
import jinja2.utils
from markupsafe import Markup, escape

from . import chart, meta, parallel, routes
from .bodies import KeptBodies, entry_key
from .cache import code_digest, digest, load_pickled, save_pickled
from .errors import Progress, no_progress
from .link import Site
from .markup import MarkdownRenderer
from .model import FACT_FIELDS, Fact, kind_of, record_key

T = TypeVar("T")

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


# Templates that helpers such as feed_entry() render, which any template may use.
HELPER_TEMPLATES = ("_feed_entry.xml",)
# What a template names to show a record's body: the attribute, and the helpers that render one.
BODY_NAMES = frozenset({"body", "feed_entry"})
NAMING_NODES = ((jinja2.nodes.Name, "name"), (jinja2.nodes.Getattr, "attr"), (jinja2.nodes.Const, "value"))


@dataclass(frozen=True)
class TemplateSource:
    source: str
    filename: str | None  # None: not found
    references: tuple[str, ...]  # the templates it extends, includes or imports by name
    shows_bodies: bool


# The Jinja options that decide how templates are parsed and rendered.
SYNTAX = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
              keep_trailing_newline=True)
_parser = jinja2.Environment(**SYNTAX)

# What a template calls that Jinja hands no context unless marked so (pass_context and the like).
DIRECT_CALLS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, jinja2.runtime.Macro)


class DirectCallContext(jinja2.runtime.Context):
    """Jinja's context, calling the functions, methods and macros that take no context straight away.

    Jinja's own `call` asks each callable three times whether it takes the context, which
    for a method raises and catches an AttributeError each time, ~85 calls a launch page (its
    URLs, its macros, `isoformat()`): 380-396 against 451-475 us a launch page this way, the
    pages of 1,000 launches 0.70-0.73 against 0.84-0.88 s (bodies converted before, best of
    five, three runs each). A callable that may be marked to take the context goes to Jinja's own
    `call`: a builtin cannot be, and a function, a method (its function) or a macro is when it has
    `jinja_pass_arg` (jinja2.pass_context and the like).
    """

    @jinja2.utils.internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's names)
        if type(__obj) not in DIRECT_CALLS or hasattr(getattr(__obj, "__func__", __obj), "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)  # what a compiled template passes for a callable that takes the context
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's own call answers it
            return __self.environment.undefined("value was undefined because a callable raised a"
                                                " StopIteration exception")


try:  # the C escaper that markupsafe.escape wraps (a private name: without it, templates escape as Jinja does)
    from markupsafe._speedups import _escape_inner
except ImportError:
    _escape_inner = None


def escape_output(value: Any) -> str:
    """What markupsafe.escape gives, as a plain str rather than a Markup."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class OutputEscapingTemplate(jinja2.Template):
    """A Jinja template whose `{{ }}` are escaped without each value made a Markup.

    A compiled template escapes each value it outputs with markupsafe.escape, which
    makes a Markup of it (a str subclass, made in Python), and then only yields it to
    be joined into the page (or into a block's or macro's text, which is made a Markup
    then): the same text as a plain str does, ~150 times a launch page. The pages of a
    1,000-launch site, bodies converted before: 0.54-0.57 against 0.69-0.74 s, a launch
    page 295-310 against 377-407 us (best of five, three runs each). Where Jinja or
    markupsafe is not as this expects, the template is left as Jinja made it.

    Its globals are a dict, not Jinja's ChainMap over the environment's: each render copies them
    into its context, and a ChainMap is copied in Python (8.8 against 1.4 us a page). The
    environment's globals are all set before a template is loaded (Renderer).
    """

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # noqa: A002 (Jinja's names)
        template = super().from_code(environment, code, dict(globals), uptodate)
        namespace = template.root_render_func.__globals__  # the compiled template's module
        if _escape_inner is not None and namespace.get("escape") is escape:
            namespace["escape"] = escape_output
        return template


@functools.lru_cache(maxsize=256)
def inspect_template(source: str, name: str, filename: str | None) -> TemplateSource:
    """What a template extends, includes or imports, and whether it shows bodies.

    Kept across builds: parsing took 0.15 s of a `digest serve` rebuild at 10,000 launches (under cProfile).
    """
    parsed = _parser.parse(source, name, filename)  # named, so a syntax error shows where
    references = tuple(jinja2.meta.find_referenced_templates(parsed))
    shows_bodies = None in references or not BODY_NAMES.isdisjoint(_names(parsed))
    return TemplateSource(source, filename, tuple(t for t in references if t), shows_bodies)


INSPECTED = "inspected.pickle"  # in the folder of compiled templates


class InspectedTemplates:
    """inspect_template's answers, kept in a file between builds.

    Parsing the templates of the pages that show one edited launch took 0.05-0.07 s
    of each rebuild from the command line at 10,000 launches (cProfile).
    """

    KEEP = 256  # answers, the latest; templates edited again and again leave older ones

    def __init__(self, path: Path | None):
        self.path = path
        stored = load_pickled(path) if path else None
        self.answers = stored if isinstance(stored, dict) else {}
        self.new = False  # answers not in the file yet

    def get(self, source: str, name: str, filename: str | None) -> TemplateSource:
        # Another version of digest may answer otherwise.
        key = digest(f"{code_digest()}\0{name}\0{filename}\0{source}".encode())
        if key in self.answers:
            return TemplateSource(source, filename, *self.answers[key])
        inspected = inspect_template(source, name, filename)
        self.answers[key] = (inspected.references, inspected.shows_bodies)
        self.new = True
        return inspected

    def save(self) -> None:
        """Keep the latest answers, once all the build asks for are known (one file written, not one per template)."""
        if self.path and self.new:
            save_pickled(self.path, dict(list(self.answers.items())[-self.KEEP:]))
            self.new = False


def _names(parsed: jinja2.nodes.Template) -> Iterator[str]:
    """Every variable name, attribute name and string constant in a parsed template."""
    for node_type, attribute in NAMING_NODES:
        for node in parsed.find_all(node_type):
            value = getattr(node, attribute)
            if isinstance(value, str):
                yield value


@dataclass
class Memo:
    """What a Renderer made once for many pages: bodies as HTML, and feed entries.

    `digest serve` hands it from one build to the next after an edit to bodies
    alone (see Renderer.reuse): a feed lists 50 launches, and converting their
    bodies again took 0.27 of 0.93 s of such a rebuild at 10,000 launches (cProfile).
    """

    bodies: dict[tuple[str, str], str] = field(default_factory=dict)  # (class name, id) -> HTML with link markers
    entries: dict[tuple[str, str | bool], Markup] = field(default_factory=dict)  # (launch id, page's folder) -> <entry>


def render_pages(renderer: "Renderer", pages: list[routes.PageSpec], progress: Progress = no_progress,
                 keep: Callable[[str, bytes], T] | None = None, fresh_every: int | None = None,
                 meanwhile: Callable[[], None] | None = None,
                 flush: Callable[[], None] = lambda: None) -> Iterator[tuple[str, bytes | T]]:
    """(path, HTML) for every page as it is done, across all cores when there are many; same bytes either way.

    With `keep`: (path, keep(path, HTML)), `keep` called where the page was rendered,
    so that a worker process need not send the page back; `flush` after each run of
    pages a process rendered, and here at the end (see write.HeldPages).
    `fresh_every`, `meanwhile`: see parallel.imap.
    """
    bar = progress("Rendering", len(pages))
    render = renderer.render if keep is None else lambda page: keep(page.path, renderer.render(page))

    def after_chunk() -> None:
        flush()
        renderer.kept_bodies.save()

    try:
        for index, result in parallel.imap(render, pages, bar, fresh_every, after_chunk=after_chunk,
                                           meanwhile=meanwhile):
            yield pages[index].path, result
        flush()
    finally:
        bar.close()
        renderer.kept_bodies.close()


def default_templates_dir() -> Path:
    """The templates shipped with digest: inside the installed package, or the checkout's."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


class Renderer:
    """One Jinja2 environment and Markdown converter for a whole build."""

    def __init__(self, site: Site, template_dirs: list[Path], compiled_dir: Path | None = None,
                 shown_twice: frozenset[tuple[str, str]] = frozenset(), kept_bodies: KeptBodies | None = None):
        """`compiled_dir`: where compiled templates are kept between builds (each build
        has its own environment; compiling the templates anew took 0.1 s of each).
        `shown_twice`: the records, as (class name, id), whose body more than one page shows.
        `kept_bodies`: bodies converted before, and where to keep those converted now."""
        self.site = site
        self.template_dirs = template_dirs
        self.shown_twice = shown_twice
        self.kept_bodies = kept_bodies or KeptBodies(None)
        self.page_fingerprints: dict[str, str | None] = {}  # of every page, when the build knows them (build.py)
        self.page: routes.PageSpec | None = None  # the page being rendered, which the helpers make URLs for
        self.page_folder: list[str] = []  # the names of the folders its path is in, which each URL starts from
        self.memo = Memo()  # for body(), of the records shown twice, and feed_entry()
        self._sources: dict[str, TemplateSource] = {}  # memo for _template()
        self._inspected = InspectedTemplates(compiled_dir / INSPECTED if compiled_dir else None)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs]),
            **SYNTAX,
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled_dir)) if compiled_dir else None,
            # A Renderer lives for one build: no need to ask the file system, on each page,
            # whether each template it uses has changed (2149 pages: 5.00-5.71 s against 5.13-5.78 s).
            auto_reload=False,
        )
        self.env.context_class = DirectCallContext
        self.env.template_class = OutputEscapingTemplate
        self.env.globals.update(
            site=site, url=self.url, link=self.link, body=self.body, feed_entry=self.feed_entry, routes=routes, FACT_FIELDS=FACT_FIELDS,
            month_name=lambda m: MONTHS[m - 1],
            chart=chart, json_ld=lambda page: meta.json_ld(site, page),
        )
        self.env.filters.update(long_date=long_date, fact_value=fact_value, ordinal=ordinal,
                                utc_offset=utc_offset, facts_differ=facts_differ, by_role=self.by_role,
                                by_role_of_pair=lambda pairs: self.by_role(pairs, lambda pair: pair[0]))

    @functools.cached_property
    def markdown(self) -> MarkdownRenderer:
        """The Markdown converter, made when a body is first converted (setting it up took 4-8 ms
        of a title edit, whose bodies are all kept). Markdown itself is imported with this module,
        while the command line waits for the files it looks at ahead."""
        return MarkdownRenderer()

    def reuse(self, memo: Memo, edited: list, candidates: list[routes.PageSpec]) -> None:
        """Start from what a renderer of the same site and templates made, but for what shows the edited records.

        A feed entry shows what its launch's page shows, and its own launch's body
        alone, unless the site has its own entry template: it is made again when
        its launch's page is among the `candidates`, the pages that may have changed.
        """
        edited_ids = {(type(record).__name__, record.id) for record in edited}
        self.memo.bodies = {key: html for key, html in memo.bodies.items() if key not in edited_ids}
        if self.is_shipped("_feed_entry.xml"):
            changed = {page.context["launch"].id for page in candidates if page.template == "launch.html"}
            self.memo.entries = {key: xml for key, xml in memo.entries.items() if key[0] not in changed}

    def template_digest(self, name: str) -> str:
        """A digest of a template's source and of every template it extends, includes or imports."""
        parts = [f"{current}\0{self._template(current).source}" for current in self._closure(name, *HELPER_TEMPLATES)]
        return digest("\0".join(sorted(parts)).encode())

    def shows_bodies(self, name: str) -> bool:
        """Whether a template may show a record's body (and so depends on more than the rest of the record).

        True when it or a template it uses names a body (the attribute, the `body()`
        or `feed_entry()` helper, or the string), or includes a template named at render time.
        """
        return any(self._template(current).shows_bodies for current in self._closure(name))

    def is_shipped(self, name: str) -> bool:
        """Whether a template, every template it uses and the helpers' templates are digest's own."""
        shipped = os.path.join(default_templates_dir(), "")
        return all((self._template(current).filename or "").startswith(shipped)
                   for current in self._closure(name, *HELPER_TEMPLATES))

    def _closure(self, *names: str) -> set[str]:
        """The templates named and every template they extend, include or import."""
        seen, todo = set(), list(names)
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self._template(current).references)
        return seen

    def _template(self, name: str) -> TemplateSource:
        """A template's source and what it uses, looked up once per build."""
        if name not in self._sources:
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)
            except jinja2.TemplateNotFound:
                source, filename = "", None  # rendering reports the missing template properly
            self._sources[name] = self._inspected.get(source, name, filename)
        return self._sources[name]

    def save_inspections(self) -> None:
        """Keep what the templates this build looked at use, for the next build (see InspectedTemplates)."""
        self._inspected.save()

    def render(self, page: routes.PageSpec) -> bytes:
        """The page's HTML, encoded as UTF-8."""
        template = self.env.get_template(page.template)
        self.page, self.page_folder = page, page.path.split("/")[:-1]
        return template.render(page=page, **page.context).encode("utf-8")

    # The helpers know the page from the renderer, not from Jinja's context: a helper that
    # takes the context is given a copy of it when called in a loop (Context.derived).
    def url(self, target: str) -> str:
        """The URL of an output path as seen from the page being rendered."""
        if self.page.absolute_links:
            return self.site.config.base_url + routes.pretty_url(target)
        return relative_url(self.page_folder, target)

    def link(self, record) -> str:
        """The URL of a record's page (a Launch, Actor or Source)."""
        return self.url(routes.path_of(kind_of(record), record.id))

    def by_role(self, items, role_of=lambda item: item.role) -> list[tuple[str, list]]:
        """Group items by role (an ActorRole's, unless `role_of` says), in the vocabulary's order."""
        order = self.site.config.vocabularies.roles
        groups: dict[str, list] = {}
        for item in items:
            groups.setdefault(role_of(item), []).append(item)
        return [(role, groups[role]) for role in sorted(groups, key=lambda role: routes.role_rank(order, role))]

    def feed_entry(self, entry) -> Markup:
        """One Atom <entry>, rendered once per build: it is the same in every feed that lists it.

        With digest's own entry template, it shows what its launch's page shows: one
        made from the same launch page (its fingerprint) is kept for later builds
        (kept_bodies). A feed rendered again for an edited launch renders its 49 other
        entries no more: at 10,000 launches, in a title edit under cProfile, the 50
        took 0.035 s; the feed takes 2.1 ms now (timed apart).
        """
        page = self.page
        key = (entry.view.launch.id, page.absolute_links or posixpath.dirname(page.path))
        if key not in self.memo.entries:
            kept_as, made_from = entry_key(*key), self._entry_made_from(entry.view.launch.id)
            xml = self.kept_bodies.entry(kept_as, made_from) if made_from else None
            if xml is None:
                xml = self.env.get_template("_feed_entry.xml").render(page=page, entry=entry).strip()
                if made_from:
                    self.kept_bodies.put_entry(kept_as, made_from, xml)
            self.memo.entries[key] = Markup(xml)
        return self.memo.entries[key]

    def _entry_made_from(self, launch_id: str) -> str | None:
        """What a launch's feed entry is made from, or None if not known (then it is not kept)."""
        fingerprint = self.page_fingerprints.get(routes.path_of("launch", launch_id))
        if fingerprint is None or self._own_entry_template is None:
            return None
        return f"{fingerprint}:{self._own_entry_template}"

    @functools.cached_property
    def _own_entry_template(self) -> str | None:
        """The digest of digest's own entry template and what it uses; None for a site's own."""
        return self.template_digest("_feed_entry.xml") if self.is_shipped("_feed_entry.xml") else None

    def body(self, record) -> Markup:
        """A record's Markdown body as HTML, its record links made relative to this page."""
        # Markdown is the costliest step of a build: a body shown twice is converted once,
        # its record links coming out as markers for each page to put in its own relative URLs.
        # Others are not held in memory (all of them took 20 MB per process at 10,000 launches),
        # but every body converted is kept on disk for the builds after this one (kept_bodies).
        key = (type(record).__name__, record.id)
        html = self.memo.bodies.get(key)
        if html is None:
            kept_as = record_key(kind_of(record), record.id)
            html = self.kept_bodies.get(kept_as, lambda: record.body.text)
            if html is None:
                html = self.markdown.render(record.body.text, link_marker)
                self.kept_bodies.put(kept_as, record.body.text, html)
            if key in self.shown_twice:
                self.memo.bodies[key] = html
        if LINK_MARKER_START in html:
            html = LINK_MARKER_RE.sub(lambda match: match[1] + str(escape(self.url(match[2]))), html)
        return Markup(html)


# A record link in converted Markdown, before it is made relative to a page: the
# marked path as the value of an <a href> or <img src>, where content text cannot be.
LINK_MARKER_START, LINK_MARKER_END = "\ue000", "\ue001"
LINK_MARKER_RE = re.compile(f'(<(?:a|img)\\s[^>]*?\\b(?:href|src)="){LINK_MARKER_START}([^{LINK_MARKER_END}"]*){LINK_MARKER_END}')


def link_marker(kind: str, ident: str) -> str:
    return f"{LINK_MARKER_START}{routes.path_of(kind, ident)}{LINK_MARKER_END}"


def relative_url(here: list[str], target: str) -> str:
    """`target`, relative to the output root, seen from the folder whose names are `here` (a
    page's, split once for the 40 URLs of a launch page). posixpath.relpath would do, but it
    asks the OS for the working directory on every one of many calls."""
    there = target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


def long_date(value: dt.date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def fact_value(fact: Fact, unit: str) -> str:
    """'about 500 km', 'between 25 and 90 km', '14th'."""
    show = ordinal if unit == "ordinal" else (lambda v: f"{_number(v)} {unit}".strip())
    if fact.value is not None:
        return ("about " if fact.approx else "") + show(fact.value)
    if unit == "ordinal":
        return f"between {ordinal(fact.minimum)} and {ordinal(fact.maximum)}"
    return f"between {_number(fact.minimum)} and {show(fact.maximum)}"


def facts_differ(reports: tuple[Fact, ...]) -> bool:
    """True when reports of one quantity do not all say the same."""
    return len({(f.value, f.minimum, f.maximum) for f in reports}) > 1


def utc_offset(moment: dt.datetime) -> str:
    """'UTC+09:00'."""
    offset = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
