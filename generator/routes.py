"""Stage 4, plan: the URL scheme, and `Site` -> the list of pages to render.

Every output path is decided here and nowhere else. Paths are relative to the
output directory and always end in a file name; pages link to each other with
relative URLs that include `index.html`, so the same build works on any host,
under any sub-path, and opened straight from disk.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable

from .link import LaunchView, Site
from .model import Actor, Launch, Source, record_key


Keys = tuple[str, ...]  # records' keys ("kind:id", see record_key), sorted, each once


def keys_of(keys: Iterable[str]) -> Keys:
    """Record keys as pages hold them. A sorted tuple takes a fifth of a frozenset's memory:
    4.7 MB against 26 MB at 10,000 launches, and a cold build of 100,000 peaks 180 MB lower (measured)."""
    return tuple(sorted(set(keys)))


@dataclass(frozen=True)
class PageSpec:
    path: str  # output file, e.g. "launches/2022/index.html"
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    # What the page is made of, for incremental builds: the records it shows, as
    # "kind:id", and the derived values it prints. None: it may show anything,
    # so it is rendered every time.
    depends_on: Keys | None = None
    # Whose bodies the page shows, when its template is digest's own (which must show
    # no other); None: those of any record it shows. Editing another record's body
    # leaves the page as it is.
    bodies: Keys | None = None
    derived: tuple = ()
    # What a site's own template may show besides: on the home page and on a page
    # of a listing in pages, whatever the site or the whole listing holds.
    own_template_may_show: Keys = ()
    absolute_links: bool = False  # for pages a host serves at any URL (404)
    origin: str = ""  # the content file a page comes from, for errors about it


LATEST = 10  # launches on the home page


FOLDERS = {"launch": "launches", "actor": "actors", "source": "sources"}
KIND_OF_FOLDER = {folder: kind for kind, folder in FOLDERS.items()}


def path_of(kind: str, ident: str) -> str:
    """The output path of a record's page."""
    return f"{FOLDERS[kind]}/{ident}/index.html"


def record_of(path: str) -> tuple[str, str] | None:
    """(kind, id) of the record whose page path_of would put at `path`, for a path of that
    form; the record may not exist (a year's page or a launch's alias has that form too)."""
    parts = path.split("/")
    if len(parts) == 3 and parts[2] == "index.html" and parts[0] in KIND_OF_FOLDER:
        return KIND_OF_FOLDER[parts[0]], parts[1]
    return None


def year_path(year: int) -> str:
    return f"launches/{year}/index.html"


def paged_path(first: str, number: int) -> str:
    """Page `number` (from 1) of a listing in pages: 'actors/x/index.html', 'actors/x/page/2/index.html', ..."""
    return first if number == 1 else f"{first.removesuffix('index.html')}page/{number}/index.html"


def index_path(number: int) -> str:
    """Page `number` (from 1) of the chronological index, newest launches first."""
    return paged_path("launches/index.html", number)


def month_anchor(year: int, month: int) -> str:
    return f"m{year}-{month:02d}"


# Files beside the pages, at fixed places.
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
SEARCH = "search/index.html"
DATA_DIR = "data/"
SEARCH_BUNDLE = "pagefind/"  # written by the search step
SEARCH_SHARD_PAGES = 2000  # record pages per search bundle at most, but for a year that has more
MAX_SEARCH_BUNDLES = 16  # each search loads every bundle's index


def search_bundles(site: Site) -> dict[str, list[str]]:
    """The Pagefind bundles of a site, each with the records' own pages it indexes.

    One bundle, or on a large site one per period and one for the actors, so that
    an edit indexes few bundles again: a launch's page, its neighbours' and its
    sources' pages mostly fall in one period. Periods are whole years, oldest
    first, each filled with launch and source pages until the next year would
    pass SEARCH_SHARD_PAGES (a year that alone passes it is a period of its own):
    new launches change the last period alone. Past MAX_SEARCH_BUNDLES bundles,
    periods hold twice as many pages, which seldom happens as a site grows.
    (The actors' pages with the last period made a title edit at 10,000 launches
    take 8.06 s against 6.13 s, medians of four in two runs.) Pages of no record go with the
    first bundle (see search.index).
    """
    by_year: defaultdict[int, list[str]] = defaultdict(list)
    for view in site.launches:
        by_year[view.launch.date.year].append(path_of("launch", view.launch.id))
    for source in site.sources.values():
        by_year[source.published.year].append(path_of("source", source.id))
    actors = [path_of("actor", actor_id) for actor_id in site.actors]
    size = SEARCH_SHARD_PAGES
    if sum(map(len, by_year.values())) + len(actors) <= size:
        shards = [[page for year in sorted(by_year) for page in by_year[year]] + actors]
    else:
        while len(shards := periods(by_year, size)) >= MAX_SEARCH_BUNDLES:  # one more for the actors
            size *= 2
        shards = [shard for shard in shards + [actors] if shard]
    return {SEARCH_BUNDLE if number == 0 else f"{SEARCH_BUNDLE}shard-{number}/": shard
            for number, shard in enumerate(shards)}


def periods(by_year: dict[int, list[str]], size: int) -> list[list[str]]:
    """The pages of consecutive years, oldest first: `size` pages or fewer in each list,
    but for a year that has more."""
    shards: list[list[str]] = [[]]
    for year in sorted(by_year):
        if shards[-1] and len(shards[-1]) + len(by_year[year]) > size:
            shards.append([])
        shards[-1] += by_year[year]
    return shards


def sitemap_part(number: int) -> str:
    """One of the sitemaps that a sitemap index at SITEMAP lists, on a site with very many pages."""
    return f"sitemap-{number}.xml"


def feed_path(actor_id: str | None = None) -> str:
    """The Atom feed of the whole site, or of one actor's launches."""
    return f"actors/{actor_id}/feed.xml" if actor_id else FEED


def pretty_url(path: str) -> str:
    """The public URL form of an output path: 'launches/x/index.html' -> 'launches/x/'."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def plan(site: Site) -> list[PageSpec]:
    """Every page of the site, in a stable order."""
    source_keys = cached_source_keys(site)
    pages = listing_pages(site, source_keys)
    for view in site.launches:
        pages += launch_pages(view, source_keys)
    for actor in site.actors.values():
        pages += actor_pages(site, actor, source_keys)
    for source in site.sources.values():
        pages.append(source_page(site, source, source_keys))
    return pages


def listing_pages(site: Site, source_keys: SourceKeys, sources: bool = True) -> list[PageSpec]:
    """The pages that are not a record's own: the home page, the lists and the year pages, 404 and search.

    Without `sources`, not the list of sources, which reads every source (source_keys).
    """
    all_launches = launch_keys(site)
    all_actors = keys_of(record_key("actor", actor_id) for actor_id in site.actors)
    all_sources = keys_of(record_key("source", source_id) for source_id in site.sources)
    latest = tuple(reversed(site.launches[-LATEST:]))
    months = chart_months(site)
    bundles = search_bundles(site)
    pages = [
        # The home page lists the latest launches and counts the rest (charts, a table by year).
        PageSpec("index.html", "home.html", site.config.title, {"latest": latest},
                 keys_of(record_key("launch", view.launch.id) for view in latest),
                 derived=(len(site.actors), len(site.sources), months),
                 own_template_may_show=keys_of([*all_launches, *all_actors, *all_sources])),
        # The list of actors shows how many launches name each, not which: a launch's title is not on it.
        PageSpec("actors/index.html", "actors.html", "Actors", depends_on=all_actors,
                 derived=tuple(len(site.launches_of_actor.get(actor_id, ())) for actor_id in site.actors),
                 own_template_may_show=all_launches),
        PageSpec("404.html", "404.html", "Page not found", depends_on=(), absolute_links=True),
        # The search page names the bundles; the search step indexes the pages of each (see build).
        PageSpec(SEARCH, "search.html", "Search", {"bundles": bundles}, depends_on=(),
                 derived=tuple(bundles)),
    ]
    pages += index_pages(site, all_launches, months)
    pages += sources_pages(site, source_keys) if sources else []
    return pages + year_pages(site)


def launch_keys(site: Site) -> Keys:
    return keys_of(record_key("launch", view.launch.id) for view in site.launches)


def launch_listing_pages(site: Site, paths: Collection[str]) -> list[PageSpec]:
    """Those at `paths` of the years' pages and the index's, which listing_pages plans too: the pages
    a launch's title shows on besides its records' own pages and the home page. Planned alone, as each
    depends on its own launches (at 10,000 launches, a title edit's planning made 66,054 calls so,
    against 148,398 planning all of them, under cProfile)."""
    years = year_pages(site, paths)
    if len(years) == len(paths):
        return years
    months = chart_months(site) if index_path(1) in paths else ()  # which the first page alone shows
    return years + index_pages(site, launch_keys(site), months, paths)


def year_pages(site: Site, only: Collection[str] | None = None) -> list[PageSpec]:
    """The page of each year that has launches (of those at the paths `only` names, if given)."""
    years = tuple(site.years)
    return [PageSpec(year_path(year), "year.html", f"Launches in {year}", {"year": year, "launches": launches},
                     keys_of(record_key("launch", v.launch.id) for v in launches), derived=years)
            for year, launches in site.years.items() if only is None or year_path(year) in only]


def index_pages(site: Site, all_launches: Keys, months: tuple,
                only: Collection[str] | None = None) -> list[PageSpec]:
    """The pages of the chronological index (those at the paths `only` names, if given);
    `months`: chart_months(site), which the first page's chart shows."""
    chunks = index_chunks(site)
    pages = []
    for number, views in enumerate(chunks, 1):
        if only is not None and index_path(number) not in only:
            continue
        years = tuple((year, len(site.years[year]), tuple(group))
                      for year, group in itertools.groupby(views, key=lambda v: v.launch.date.year))
        context = {"page_number": number, "page_count": len(chunks), "years": years}
        title = paged_title("All launches", number, len(chunks))
        # What the page prints beside its launches: the pager, the count of all
        # launches and of each year shown, and on the first page the chart of all months.
        derived = (number, len(chunks), len(site.launches), tuple((y, total) for y, total, _ in years))
        if number == 1:
            derived += (months,)
        pages.append(PageSpec(index_path(number), "launches.html", title, context,
                              keys_of(record_key("launch", v.launch.id) for v in views), derived=derived,
                              own_template_may_show=all_launches))
    return pages


def sources_pages(site: Site, source_keys: SourceKeys) -> list[PageSpec]:
    """The list of sources, newest first, in pages."""
    every_source_and_actor = keys_of([*(record_key("source", i) for i in site.sources),
                                      *(record_key("actor", i) for i in site.actors)])
    chunks = in_pages(list(site.sources.values()), site.config.per_page)
    pages = []
    for number, sources in enumerate(chunks, 1):
        context = {"sources": sources, "page_number": number, "page_count": len(chunks)}
        title = paged_title("Sources", number, len(chunks))
        inputs = keys_of(key for source in sources for key in source_keys(source.id))
        pages.append(PageSpec(paged_path("sources/index.html", number), "sources.html", title, context, inputs,
                              derived=(number, len(chunks)), own_template_may_show=every_source_and_actor))
    return pages


def paged_title(title: str, number: int, count: int) -> str:
    return title if number == 1 else f"{title}, page {number} of {count}"


def in_pages(items: list, per_page: int) -> list[list]:
    """`items` cut into pages of `per_page`; no items make one empty page."""
    return [items[start:start + per_page] for start in range(0, len(items), per_page)] or [[]]


def index_chunks(site: Site) -> list[list[LaunchView]]:
    """The launches on each page of the chronological index, newest first: `per_page`
    or a few more, since a month is never cut in two (so that each page counts whole months)."""
    chunks: list[list[LaunchView]] = [[]]
    for _, month in itertools.groupby(reversed(site.launches), key=_month_of):
        if len(chunks[-1]) >= site.config.per_page:
            chunks.append([])
        chunks[-1] += month
    return chunks


def month_paths(site: Site) -> dict[tuple[int, int], str]:
    """(year, month) -> the page of the index that lists it, for each month with a launch."""
    return {_month_of(view): index_path(number)
            for number, views in enumerate(index_chunks(site), 1) for view in views}


def _month_of(view: LaunchView) -> tuple[int, int]:
    return view.launch.date.year, view.launch.date.month


def chart_months(site: Site) -> tuple[tuple[int, int, int], ...]:
    """(year, month, launches) for every month with a launch: what the chart of months shows."""
    months = itertools.groupby(site.launches, key=_month_of)
    return tuple((year, month, sum(1 for _ in views)) for (year, month), views in months)


def plan_again(site: Site, pages: list[PageSpec], records: list[Launch | Source | Actor]) -> list[PageSpec]:
    """`pages` with the own pages of `records` planned again: after edits that leave
    every record's shape as it was (see link.shape), what else plan() makes is the same."""
    source_keys = cached_source_keys(site)
    again: dict[str, PageSpec] = {}
    for record in records:
        if isinstance(record, Launch) and record.id in site.launch_by_id:  # not a draft left out
            again.update((page.path, page) for page in launch_pages(site.launch_by_id[record.id], source_keys))
        elif isinstance(record, Actor):
            again.update((page.path, page) for page in actor_pages(site, site.actors[record.id], source_keys))
        elif isinstance(record, Source) and record.id in site.sources:
            again[path_of("source", record.id)] = source_page(site, site.sources[record.id], source_keys)
    return [again.get(page.path, page) for page in pages]


def launch_pages(view: LaunchView, source_keys: SourceKeys) -> list[PageSpec]:
    """A launch's page, and a redirect to it from each of its aliases."""
    launch = view.launch
    itself = (record_key("launch", launch.id),)
    pages = [PageSpec(path_of("launch", launch.id), "launch.html", launch.title, {"view": view, "launch": launch},
                      launch_inputs(view, source_keys), bodies=itself,
                      derived=(view.number_in_year, view.days_since_previous))]
    for alias in launch.aliases:
        pages.append(PageSpec(alias + "index.html", "redirect.html", launch.title,
                              {"target": path_of("launch", launch.id)}, itself, origin=launch.path))
    return pages


def actor_pages(site: Site, actor: Actor, source_keys: SourceKeys) -> list[PageSpec]:
    """An actor's page; past `per_page` launches, pages that list the rest follow it.

    The first page shows everything but the other pages' launches. It also tells each
    launch's role (in `derived`): the actor's data row lists them all.
    """
    listed, per_page = actor_launches(site, actor.id), site.config.per_page
    chunks = in_pages(listed, per_page)
    # Each launch's key made once for the first page's inputs and its own page's: the largest actors
    # name every launch (planning 100,000 launches: 5.6-5.7 s against 6.1-6.4 s made for each).
    keys = [record_key("launch", view.launch.id) for _, view in listed]
    first, bodies = path_of("actor", actor.id), (record_key("actor", actor.id),)
    everything = actor_inputs(site, actor, keys, source_keys)
    pages = []
    for number, chunk in enumerate(chunks, 1):
        context = {"actor": actor, "launches": chunk, "page_number": number, "page_count": len(chunks)}
        shown = keys[(number - 1) * per_page:number * per_page]
        if number == 1:
            inputs = everything if len(chunks) == 1 else actor_inputs(site, actor, shown, source_keys)
            derived = (1, len(chunks))
            if len(chunks) > 1:  # the launches of later pages: which, and in which role (two tuples take less room)
                derived += (tuple(role for role, _ in listed), tuple(view.launch.id for _, view in listed))
        else:
            inputs = keys_of([record_key("actor", actor.id), *shown])
            derived = (number, len(chunks))
        title = paged_title(actor.name, number, len(chunks))
        pages.append(PageSpec(paged_path(first, number), "actor.html", title, context, inputs,
                              bodies=bodies if number == 1 else (), derived=derived,
                              own_template_may_show=everything))
    return pages


def actor_launches(site: Site, actor_id: str) -> list[tuple[str, LaunchView]]:
    """(role, launch) for each launch naming the actor: by role in the vocabulary's order, newest first."""
    order = site.config.vocabularies.roles
    newest_first = reversed(site.launches_of_actor.get(actor_id, ()))
    return sorted(newest_first, key=lambda pair: role_rank(order, pair[0]))  # sorted() keeps ties in order


def role_rank(order: tuple[str, ...], role: str) -> tuple[int, str]:
    """Where a role sorts: in the vocabulary's order, then any other by name."""
    return (order.index(role) if role in order else len(order), role)


def source_page(site: Site, source: Source, source_keys: SourceKeys) -> PageSpec:
    return PageSpec(path_of("source", source.id), "source.html", source.title, {"source": source},
                    source_inputs(site, source.id, source_keys), bodies=(record_key("source", source.id),))


SourceKeys = Callable[[str], frozenset[str]]  # source id -> the keys of what showing it shows


def cached_source_keys(site: Site) -> SourceKeys:
    """_source_and_names, remembered: a source is cited by many launches, and its keys are the same each time."""
    return functools.cache(functools.partial(_source_and_names, site))


def _source_and_names(site: Site, source_id: str) -> frozenset[str]:
    """A source, and the actors whose names its citation and quotes show."""
    source = site.sources.get(source_id)
    actor_ids = [*source.contributors, *(q.speaker for q in source.quotes)] if source else []
    return frozenset({record_key("source", source_id)} | {record_key("actor", a) for a in actor_ids})


def launch_inputs(view: LaunchView, source_keys: SourceKeys) -> Keys:
    launch = view.launch
    keys = {record_key("launch", launch.id)} | {record_key("actor", r.actor) for r in launch.actors}
    keys |= {record_key("launch", n.id) for n in (view.previous, view.next) if n}
    for _, reports in launch.facts:
        keys |= {record_key("actor", f.per) for f in reports if f.per}
        for fact in reports:
            keys |= source_keys(fact.source) if fact.source else set()
    for source_id in launch.sources:
        keys |= source_keys(source_id)
    return keys_of(keys)


def actor_inputs(site: Site, actor: Actor, launch_keys: list[str], source_keys: SourceKeys) -> Keys:
    """What an actor's first page shows, with the launches it lists (their `launch_keys`)."""
    keys = {record_key("actor", actor.id)} | ({record_key("actor", actor.country)} if actor.country else set())
    keys.update(launch_keys)
    keys |= {record_key("actor", member.id) for member in site.members_of.get(actor.id, ())}
    for statement in site.statements_of_actor.get(actor.id, ()):
        keys.add(record_key("source", statement.source.id))
    for source in site.contributions_of.get(actor.id, ()):
        keys |= source_keys(source.id)
    return keys_of(keys)


def source_inputs(site: Site, source_id: str, source_keys: SourceKeys) -> Keys:
    keys = set(source_keys(source_id))
    keys |= {record_key("launch", view.launch.id) for view in site.launches_of_source.get(source_id, ())}
    return keys_of(keys)
