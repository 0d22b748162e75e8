"""Stage 4, plan: the URL scheme, and `Site` -> the list of pages to render.

Every output path is decided here and nowhere else. Paths are relative to the
output directory and always end in a file name; pages link to each other with
relative URLs that include `index.html`, so the same build works on any host,
under any sub-path, and opened straight from disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .link import Site


@dataclass(frozen=True)
class PageSpec:
    path: str  # output file, e.g. "launches/2022/index.html"
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    # Records whose content the page shows, as "kind:id"; "*" means all of them.
    depends_on: frozenset[str] = frozenset({"*"})
    absolute_links: bool = False  # for pages a host serves at any URL (404)
    origin: str = ""  # the content file a page comes from, for errors about it


def path_of(kind: str, ident: str) -> str:
    """The output path of a record's page."""
    return f"{ {'launch': 'launches', 'actor': 'actors', 'source': 'sources'}[kind]}/{ident}/index.html"


def year_path(year: int) -> str:
    return f"launches/{year}/index.html"


def month_anchor(year: int, month: int) -> str:
    return f"m{year}-{month:02d}"


def pretty_url(path: str) -> str:
    """The public URL form of an output path: 'launches/x/index.html' -> 'launches/x/'."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def plan(site: Site) -> list[PageSpec]:
    """Every page of the site, in a stable order."""
    pages = [
        PageSpec("index.html", "home.html", site.config.title),
        PageSpec("launches/index.html", "launches.html", "All launches"),
        PageSpec("actors/index.html", "actors.html", "Actors"),
        PageSpec("sources/index.html", "sources.html", "Sources"),
        PageSpec("404.html", "404.html", "Page not found", depends_on=frozenset(), absolute_links=True),
    ]
    for year, launches in site.years.items():
        pages.append(PageSpec(year_path(year), "year.html", f"Launches in {year}", {"year": year, "launches": launches},
                              frozenset(f"launch:{v.launch.id}" for v in launches)))
    for view in site.launches:
        launch = view.launch
        deps = {f"launch:{launch.id}"} | {f"source:{s}" for s in launch.sources} | {
            f"actor:{r.actor}" for r in launch.actors}
        for neighbour in (view.previous, view.next):
            if neighbour:
                deps.add(f"launch:{neighbour.id}")
        pages.append(PageSpec(path_of("launch", launch.id), "launch.html", launch.title,
                              {"view": view, "launch": launch}, frozenset(deps)))
        for alias in launch.aliases:
            pages.append(PageSpec(alias + "index.html", "redirect.html", launch.title,
                                  {"target": path_of("launch", launch.id)}, frozenset({f"launch:{launch.id}"}),
                                  origin=launch.path))
    for actor in site.actors.values():
        pages.append(PageSpec(path_of("actor", actor.id), "actor.html", actor.name, {"actor": actor}))
    for source in site.sources.values():
        pages.append(PageSpec(path_of("source", source.id), "source.html", source.title, {"source": source}))
    return pages
