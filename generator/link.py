"""Stage 3, link: validated records -> one read-only `Site` with indexes and derived facts.

Checks every reference between records, orders launches in time, and
derives what editors never type: a launch's number within its year, the days
since the previous launch, its UTC instant, and the reverse indexes that
actor, source and year pages list.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from .errors import ContentError, Problem, closest
from .model import Actor, Launch, Quote, SiteConfig, Source, record
from .validate import Ref, Validated


@record
class LaunchView:
    launch: Launch
    number_in_year: int
    days_since_previous: int | None
    previous: Launch | None
    next: Launch | None
    local: dt.datetime | None  # aware, in the launch's timezone; None without a time
    utc: dt.datetime | None


@record
class Statement:
    quote: Quote
    source: Source


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    launches: tuple[LaunchView, ...]  # oldest first
    launch_by_id: dict[str, LaunchView]
    actors: dict[str, Actor]  # sorted by name
    sources: dict[str, Source]  # newest first
    years: dict[int, tuple[LaunchView, ...]]
    launches_of_actor: dict[str, tuple[tuple[str, LaunchView], ...]]  # actor id -> (role, launch)
    launches_of_source: dict[str, tuple[LaunchView, ...]]
    statements_of_actor: dict[str, tuple[Statement, ...]]
    members_of: dict[str, tuple[Actor, ...]]  # country id -> actors whose country it is
    contributions_of: dict[str, tuple[Source, ...]]  # actor id -> sources it contributed to
    # The ids of the launches that are not drafts, in the feeds' order: newest first, by the
    # moment each happened, wherever that was. Kept, so that a rebuild after an edit that keeps
    # every record's shape plans a feed without reading every launch (see build.edited_pages).
    newest_first: tuple[str, ...]

    def __getattr__(self, name: str):  # asked only for a field not set: a kept site's, loaded when first read
        fill = self.__dict__.get("_fill")
        if fill is None or name not in self.__dataclass_fields__:
            raise AttributeError(f"'Site' object has no attribute {name!r}")
        fill(name)  # see cache.Kept.site
        return self.__dict__[name]

    def statements_for(self, launch: Launch) -> tuple[Statement, ...]:
        """The quotes in the sources a launch cites, in source order."""
        return tuple(Statement(q, self.sources[s]) for s in launch.sources for q in self.sources[s].quotes)


def link(validated: Validated, include_drafts: bool = False) -> Site:
    """Resolve ids and build the indexes; raise ContentError listing every problem."""
    problems = list(validated.problems)
    tables = {
        "launch": _index(validated.launches),
        "source": _index(validated.sources),
        "actor": _index(validated.actors),
    }
    draft_paths = {r.path for table in tables.values() for r in table.values() if getattr(r, "draft", False)}
    fine = _fine_targets(tables, include_drafts)
    for refs in validated.refs:
        if refs.targets() <= fine:
            continue  # the common case, checked as sets: each reference only where one is wrong
        drafts_allowed = include_drafts or refs.path in draft_paths
        found = (_ref_problem(ref, tables, validated.known, drafts_allowed) for ref in refs.each())
        problems.extend(problem for problem in found if problem)
    if problems or validated.config is None:
        raise ContentError(problems)

    launches = [r for r in tables["launch"].values() if include_drafts or not r.draft]
    sources = [r for r in tables["source"].values() if include_drafts or not r.draft]
    return _build_site(validated.config, launches, sources, list(tables["actor"].values()))


def shape(record: Launch | Source | Actor) -> tuple:
    """What linking and planning read of a record: what orders, indexes, counts and dates it.

    An edit that leaves a record's shape as it was leaves the linked site as it
    was but for the record's own fields, and the planned pages but for the
    record's own titles (see swap_records). Quotes are whole: a Statement holds one.
    """
    if isinstance(record, Launch):
        facts = tuple((name, tuple((f.per, f.source) for f in reports)) for name, reports in record.facts)
        return (record.date, record.time, record.timezone, record.actors, record.sources, record.draft,
                record.aliases, tuple(u.date for u in record.updates), facts)
    if isinstance(record, Source):
        return (record.published, record.updated, tuple(u.date for u in record.updates), record.contributors,
                record.quotes, record.draft)
    return record.name, record.kind, record.country


def swap_records(site: Site, records: list[Launch | Source | Actor]) -> None:
    """Give the site's records the fields of `records`, their edited versions of the same shape, in place.

    The one change made to a linked site, for `digest serve` after an edit that
    leaves every record's shape as it was. Every launch view, index, page and
    feed entry holds the same record objects: with their fields swapped, the
    site is the one that linking the edited records would give, without
    linking and planning all of it again.
    """
    in_site = {Launch: lambda i: site.launch_by_id[i].launch if i in site.launch_by_id else None,
               Source: site.sources.get, Actor: site.actors.get}
    for edited in records:
        shown = in_site[type(edited)](edited.id)
        if shown is not None:  # else a draft, which the site leaves out
            for name in edited.__slots__:  # frozen against mistakes, not against this
                object.__setattr__(shown, name, getattr(edited, name))


def _fine_targets(tables: dict[str, dict], include_drafts: bool) -> set[tuple[str, str, bool]]:
    """The targets (kind, id, named as a country) that any file may name without a problem."""
    fine = set()
    for kind, table in tables.items():
        for record_ in table.values():
            if include_drafts or not getattr(record_, "draft", False):
                fine.add((kind, record_.id, False))
                if kind == "actor" and record_.kind == "state":
                    fine.add((kind, record_.id, True))
    return fine


def _ref_problem(ref: Ref, tables: dict[str, dict], known: dict[str, dict[str, str]],
                 drafts_allowed: bool) -> Problem | None:
    """What is wrong with one reference, if anything."""
    table = tables[ref.kind]
    known_ids = known.get(ref.kind, {}) or table
    if ref.id not in known_ids:
        return ref.problem(f"unknown {ref.kind} '{ref.id}'", closest(ref.id, known_ids))
    if ref.id not in table:
        return None  # its file failed to validate, and that problem is reported already
    if ref.field == "country" and table[ref.id].kind != "state":
        return ref.problem(f"'{ref.id}' is a {table[ref.id].kind}, not a state",
                           "a country names an actor of kind 'state'")
    if getattr(table[ref.id], "draft", False) and not drafts_allowed:
        return ref.problem(f"{ref.kind} '{ref.id}' is a draft",
                           "publish it by removing 'draft: true', or build with --drafts")
    return None


def _index(records) -> dict:
    """Records by id; `validate.collect` has already refused a second file with the same id."""
    return {record.id: record for record in records}


def _build_site(config: SiteConfig, launches: list[Launch], sources: list[Source], actors: list[Actor]) -> Site:
    launches.sort(key=lambda l: (l.date, l.time or dt.time.max, l.id))
    views = _launch_views(launches)
    sources_by_id = {s.id: s for s in sorted(sources, key=lambda s: (s.published, s.id), reverse=True)}

    years: dict[int, list[LaunchView]] = defaultdict(list)
    of_actor: dict[str, list] = defaultdict(list)
    of_source: dict[str, list] = defaultdict(list)
    for view in views:
        years[view.launch.date.year].append(view)
        for role in view.launch.actors:
            of_actor[role.actor].append((role.role, view))
        for source_id in view.launch.sources:
            if source_id in sources_by_id:
                of_source[source_id].append(view)

    statements: dict[str, list[Statement]] = defaultdict(list)
    contributions: dict[str, list[Source]] = defaultdict(list)
    for source in sorted(sources_by_id.values(), key=lambda s: (s.published, s.id)):
        for quote in source.quotes:
            statements[quote.speaker].append(Statement(quote, source))
        for actor_id in source.contributors:
            contributions[actor_id].append(source)

    members: dict[str, list[Actor]] = defaultdict(list)
    actors_by_id = {a.id: a for a in sorted(actors, key=lambda a: (a.name.casefold(), a.id))}
    for actor in actors_by_id.values():
        if actor.country:
            members[actor.country].append(actor)

    freeze = lambda d: {k: tuple(v) for k, v in sorted(d.items())}  # noqa: E731
    published = sorted((v for v in views if not v.launch.draft), key=lambda v: (moment(v), v.launch.id), reverse=True)
    return Site(
        config=config, launches=tuple(views), launch_by_id={v.launch.id: v for v in views},
        actors=actors_by_id, sources=sources_by_id, years=freeze(years),
        launches_of_actor=freeze(of_actor), launches_of_source=freeze(of_source),
        statements_of_actor=freeze(statements), members_of=freeze(members),
        contributions_of=freeze(contributions),
        newest_first=tuple(view.launch.id for view in published),
    )


def moment(view: LaunchView) -> dt.datetime:
    """When a launch happened, wherever that was: its time, or else the midnight starting its day."""
    return view.local or midnight(view.launch.date, view.launch.timezone)


def midnight(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), zoneinfo.ZoneInfo(timezone))


def _launch_views(launches: list[Launch]) -> list[LaunchView]:
    views = []
    number_in_year = 0
    for i, launch in enumerate(launches):
        previous = launches[i - 1] if i else None
        following = launches[i + 1] if i + 1 < len(launches) else None
        same_year = previous is not None and previous.date.year == launch.date.year
        number_in_year = number_in_year + 1 if same_year else 1
        local = utc = None
        if launch.time is not None:
            local = dt.datetime.combine(launch.date, launch.time, zoneinfo.ZoneInfo(launch.timezone))
            utc = local.astimezone(dt.timezone.utc)
        views.append(LaunchView(
            launch=launch, number_in_year=number_in_year,
            days_since_previous=(launch.date - previous.date).days if previous else None,
            previous=previous, next=following, local=local, utc=utc,
        ))
    return views
