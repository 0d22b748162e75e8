"""Page metadata for search engines and link previews: schema.org JSON-LD for record pages.

Takes the `Site` and a `PageSpec`; returns a `<script type="application/ld+json">`
block (or nothing) that base.html places in the head. Every URL is absolute.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from . import routes
from .link import LaunchView, Site
from .model import Actor, Source

# A state acts through its government, so it is described as one.
ACTOR_TYPES = {"person": "Person", "state": "GovernmentOrganization", "government": "GovernmentOrganization",
               "military": "GovernmentOrganization", "organization": "Organization"}


def json_ld(site: Site, page: routes.PageSpec) -> Markup:
    """The page's JSON-LD script element, or an empty string for pages that are not records."""
    if "view" in page.context:
        data = launch_event(site, page.context["view"])
    elif "actor" in page.context:
        data = actor_thing(site, page.context["actor"])
    elif "source" in page.context:
        data = news_article(site, page.context["source"])
    else:
        return Markup("")
    return Markup('<script type="application/ld+json">' + script_json(data) + "</script>")


def script_json(data: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early: every '<' (and '>', '&') escaped.

    On one line: json's C encoder does not indent (indented: 33 µs a launch against 12).
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def absolute(site: Site, kind: str, ident: str) -> str:
    return site.config.base_url + routes.pretty_url(routes.path_of(kind, ident))


def launch_event(site: Site, view: LaunchView) -> dict[str, Any]:
    """A launch as a schema.org Event, its place and its sources as citations."""
    launch = view.launch
    place: dict[str, Any] = {"@type": "Place", "name": launch.location or "unknown"}
    if launch.coordinates:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": launch.coordinates[0],
                        "longitude": launch.coordinates[1]}
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Event",
        "@id": absolute(site, "launch", launch.id), "url": absolute(site, "launch", launch.id),
        "name": launch.title,
        "startDate": view.local.isoformat() if view.local else launch.date.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "location": place,
        "citation": [citation(site, site.sources[s]) for s in launch.sources],
    }
    organizers = [r.actor for r in launch.actors if r.role == "launcher"]
    if organizers:
        data["organizer"] = [actor_ref(site, site.actors[a]) for a in organizers]
    if launch.tags:
        data["keywords"] = ", ".join(launch.tags)
    return data


def citation(site: Site, source: Source) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "NewsArticle", "@id": absolute(site, "source", source.id),
                            "headline": source.title, "datePublished": source.published.isoformat(),
                            "publisher": {"@type": "Organization", "name": source.outlet}}
    if source.url:
        data["sameAs"] = source.url
    return data


def actor_ref(site: Site, actor: Actor) -> dict[str, Any]:
    return {"@type": ACTOR_TYPES.get(actor.kind, "Organization"), "@id": absolute(site, "actor", actor.id),
            "name": actor.name}


def actor_thing(site: Site, actor: Actor) -> dict[str, Any]:
    """An actor as a schema.org Person, Country, GovernmentOrganization or Organization."""
    data = {"@context": "https://schema.org", **actor_ref(site, actor), "url": absolute(site, "actor", actor.id)}
    if actor.aliases:
        data["alternateName"] = list(actor.aliases)
    if actor.title:
        data["jobTitle" if actor.kind == "person" else "description"] = actor.title
    if actor.country and actor.country in site.actors:
        country = actor_ref(site, site.actors[actor.country])
        if actor.kind == "person":
            data["affiliation"] = country
        elif actor.kind in ("government", "military"):
            data["parentOrganization"] = country
    return data


def news_article(site: Site, source: Source) -> dict[str, Any]:
    """A source as a schema.org NewsArticle: its headline, outlet, authors and dates."""
    data = {"@context": "https://schema.org", **citation(site, source), "url": absolute(site, "source", source.id),
            "inLanguage": source.language}
    if source.updated:
        data["dateModified"] = source.updated.isoformat()
    if source.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in source.authors]
    launches = site.launches_of_source.get(source.id, ())
    if launches:
        data["about"] = [{"@type": "Event", "@id": absolute(site, "launch", v.launch.id), "name": v.launch.title}
                         for v in launches]
    return data
