"""Plan, for machines: the Atom feeds, the sitemap and robots.txt, as `PageSpec`s.

Takes the linked `Site` and the planned pages; every date comes from the
content (launch dates, updates, source dates), never from the clock, so the
files are the same on every build of the same content.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Callable
from urllib.parse import urlsplit

from . import routes
from .link import LaunchView, Site, midnight, moment
from .model import record, record_key
from .routes import PageSpec

EPOCH = dt.date(1970, 1, 1)  # the date of a site with no dated content at all
FEED_LIMIT = 50  # entries per feed, newest first: readers poll often, the archive is the site
SITEMAP_LIMIT = 50_000  # URLs in one sitemap file: the protocol's limit (sitemaps.org)


@record
class FeedEntry:
    view: LaunchView
    id: str  # a tag: URI that stays the same whatever else changes
    published: str  # RFC 3339
    updated: str


@record
class SitemapEntry:
    path: str
    lastmod: dt.date


def plan(site: Site, pages: list[PageSpec]) -> list[PageSpec]:
    """The feeds (site and per actor), the sitemap of `pages` and robots.txt."""
    newest = newest_dates(site)
    latest = max(newest.values(), default=EPOCH)
    shows = {page.path: page.depends_on for page in pages}  # an entry shows what its launch's page shows
    extra = feed_pages(site, [None, *site.actors], lambda: latest, shows.__getitem__)
    extra += sitemap_pages(sitemap_entries(pages, latest, newest))
    extra.append(PageSpec(routes.ROBOTS, "robots.txt", "robots.txt", depends_on=()))
    return extra


def sitemap_pages(entries: list[SitemapEntry]) -> list[PageSpec]:
    """The sitemap; past SITEMAP_LIMIT entries, an index of sitemaps that hold that many each."""
    if len(entries) <= SITEMAP_LIMIT:
        return [sitemap_page(routes.SITEMAP, "sitemap.xml", entries)]
    parts = [sitemap_page(routes.sitemap_part(number), "sitemap.xml", entries[start:start + SITEMAP_LIMIT])
             for number, start in enumerate(range(0, len(entries), SITEMAP_LIMIT), start=1)]
    index = [SitemapEntry(part.path, max(e.lastmod for e in part.context["entries"])) for part in parts]
    return [sitemap_page(routes.SITEMAP, "sitemap-index.xml", index), *parts]


def sitemap_page(path: str, template: str, entries: list[SitemapEntry]) -> PageSpec:
    # It shows no record, only each entry's path and date: those are its fingerprint (rendering the
    # sitemap took 0.1 s of every rebuild at 10,000 launches).
    return PageSpec(path, template, "Sitemap", {"entries": entries}, depends_on=(),
                    derived=tuple((e.path, e.lastmod.isoformat()) for e in entries))


def feed_pages(site: Site, feeds: list[str | None], latest: Callable[[], dt.date],
               shows: Callable[[str], routes.Keys | None]) -> list[PageSpec]:
    """The site's feed (None) and those of the actors named in `feeds`; `latest`: the site's newest
    content date, asked of a feed with no entries; `shows`: what the page at a path shows (its
    depends_on), asked of launch pages."""
    listed = feed_launches(site, feeds)
    # A launch is in up to one feed per actor, and its entry is the same in all of them.
    entry_of = functools.cache(lambda launch_id: feed_entry(site, site.launch_by_id[launch_id]))
    return [feed_page(site, actor_id, latest, listed[actor_id], entry_of, shows) for actor_id in feeds]


def feed_launches(site: Site, feeds: list[str | None]) -> dict[str | None, list[str]]:
    """The launches each of `feeds` lists, newest first (FEED_LIMIT at most), in site.newest_first's order.

    Only the ids of the launches are read, not the launches: after an edit that keeps every
    record's shape, a rebuild plans the feeds that list the launch edited from the site kept
    beside the cache, whose launches are read from the cache as asked (cache.Kept.site).
    At 10,000 launches the lists of all 331 feeds take 0.028 s (0.048 s when each launch's
    moment was read here; ordering them by moment takes 0.030 s of linking).
    """
    listed: dict[str | None, list[str]] = {}
    if None in feeds:
        listed[None] = list(site.newest_first[:FEED_LIMIT])
    actor_ids = [feed for feed in feeds if feed is not None]
    if actor_ids:
        place = {launch_id: n for n, launch_id in enumerate(site.newest_first)}  # drafts have none
        for actor_id in actor_ids:
            named = {view.launch.id for _, view in site.launches_of_actor.get(actor_id, ()) if view.launch.id in place}
            listed[actor_id] = sorted(named, key=place.__getitem__)[:FEED_LIMIT]
    return listed


def feed_page(site: Site, actor_id: str | None, latest: Callable[[], dt.date], newest: list[str],
              entry_of: Callable[[str], FeedEntry], shows: Callable[[str], routes.Keys | None]) -> PageSpec:
    """One Atom feed: the site's newest launches, or those naming one actor, newest first."""
    title = f"{site.config.title}: {site.actors[actor_id].name}" if actor_id else site.config.title
    entries = [entry_of(launch_id) for launch_id in newest]
    updated = max((e.updated for e in entries), default=None) or _rfc3339(midnight(latest(), "UTC"))
    page = routes.path_of("actor", actor_id) if actor_id else "index.html"
    # What the entries show is what their launch pages show; incremental builds reuse an unchanged feed.
    inputs = set().union(*(shows(routes.path_of("launch", launch_id)) for launch_id in newest))
    inputs |= {record_key("actor", actor_id)} if actor_id else set()
    return PageSpec(routes.feed_path(actor_id), "feed.xml", title,
                    {"entries": entries, "updated": updated, "alternate": page, "actor_id": actor_id},
                    depends_on=routes.keys_of(inputs),
                    bodies=routes.keys_of(record_key("launch", launch_id) for launch_id in newest),
                    derived=(updated, tuple((e.id, e.published, e.updated) for e in entries)),
                    absolute_links=True)


def bodies_in_feeds(pages: list[PageSpec]) -> frozenset[tuple[str, str]]:
    """The launches that feed entries show, as (class name, id): their bodies are shown on their pages too."""
    return frozenset(("Launch", entry.view.launch.id) for page in pages if page.template == "feed.xml"
                     for entry in page.context["entries"])


def feed_entry(site: Site, view: LaunchView) -> FeedEntry:
    launch, happened = view.launch, moment(view)
    changed = max([happened] + [midnight(d, launch.timezone) for d in launch_dates(site, view) if d > launch.date])
    return FeedEntry(view, tag_uri(site, "launch", launch.id, launch.date), _rfc3339(happened), _rfc3339(changed))


def tag_uri(site: Site, kind: str, ident: str, minted: dt.date) -> str:
    """An RFC 4151 tag: URI for a record, from the site's host name."""
    host = urlsplit(site.config.base_url).hostname or "localhost"
    return f"tag:{host},{minted.isoformat()}:{kind}/{ident}"


def sitemap_entries(pages: list[PageSpec], latest: dt.date, newest: dict[str, dt.date]) -> list[SitemapEntry]:
    """The public HTML pages (no 404, no redirect, no draft), each with its last content date."""
    return [SitemapEntry(page.path, page_lastmod(page, latest, newest)) for page in pages if is_public(page)]


def is_public(page: PageSpec) -> bool:
    """A page meant for readers and search engines."""
    if not page.path.endswith(".html") or page.template in ("404.html", "redirect.html"):
        return False
    record = page.context.get("launch") or page.context.get("source")
    return not (record is not None and record.draft)


def page_lastmod(page: PageSpec, latest: dt.date, newest: dict[str, dt.date]) -> dt.date:
    """The newest content date among the records a page shows; `latest` when it may show any."""
    if page.depends_on is None:
        return latest
    return max(filter(None, map(newest.get, page.depends_on)), default=latest)


def record_dates(site: Site, key: str) -> list[dt.date]:
    """The dates a record carries ('launch:id' or 'source:id'); actors carry none."""
    kind, _, ident = key.partition(":")
    if kind == "launch" and ident in site.launch_by_id:
        launch = site.launch_by_id[ident].launch
        return [launch.date] + [u.date for u in launch.updates]
    if kind == "source" and ident in site.sources:
        source = site.sources[ident]
        return [source.published] + ([source.updated] if source.updated else []) + [u.date for u in source.updates]
    return []


def launch_dates(site: Site, view: LaunchView) -> list[dt.date]:
    """A launch's own dates and those of the sources it cites."""
    keys = [record_key("launch", view.launch.id)] + [record_key("source", s) for s in view.launch.sources]
    return [d for key in keys for d in record_dates(site, key)]


def newest_dates(site: Site) -> dict[str, dt.date]:
    """Each launch's and source's newest date, by 'launch:id' and 'source:id'."""
    keys = [record_key("launch", i) for i in site.launch_by_id] + [record_key("source", i) for i in site.sources]
    return {key: max(record_dates(site, key)) for key in keys}


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
