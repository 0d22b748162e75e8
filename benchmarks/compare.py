"""The same corpus as a Pelican project and a Hugo project, for the speed comparison.

Each launch becomes one Markdown post with the facts a digest launch page
shows (location, missiles, a facts table with attribution, the narrative,
statements, sources); actors become tags (the launching state also a category),
so both tools build a page per post, a paginated chronological index, a page
per taxonomy term and feeds. Record links point at the matching post or term.
Sources have no page of their own there, as the issue's comparison has it (about
10,600 HTML files for 10,000 posts); Hugo's project can be written with a page
per source as well (`source_pages`), and so can Pelican's, for turns.py's
`hugo+sources` and `pelican+sources`.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Iterator

from corpus import Actor, Corpus, Launch, Report, Source, num

SITE_TZ = "Asia/Seoul"
PAGE_SIZE = 50  # as digest's index pages (per_page)
FEED_ITEMS = 20
LABELS = {"distance_km": ("Distance", "km"), "apogee_km": ("Apogee", "km"), "altitude_km": ("Altitude", "km"),
          "flight_time_min": ("Flight time", "min"), "speed_mach": ("Speed", "Mach"),
          "round_of_year": ("Round of the year", "")}
RECORD_LINK = re.compile(r"\]\((launch|actor|source):([a-z0-9-]+)\)")

PELICAN_CONF = '''\
AUTHOR = "Bench Desk"
SITENAME = {title!r}
SITEURL = ""
PATH = "content"
TIMEZONE = "{tz}"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = {page_size}
RELATIVE_URLS = True
ARTICLE_URL = "launches/{{slug}}/"
ARTICLE_SAVE_AS = "launches/{{slug}}/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
CATEGORY_URL = "categories/{{slug}}/"
CATEGORY_SAVE_AS = "categories/{{slug}}/index.html"
FEED_DOMAIN = "https://bench.example"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category-{{slug}}.atom.xml"
TAG_FEED_ATOM = "feeds/tag-{{slug}}.atom.xml"
FEED_MAX_ITEMS = {feed_items}
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
PAGE_URL = "sources/{{slug}}/"
PAGE_SAVE_AS = "sources/{{slug}}/index.html"
DISPLAY_PAGES_ON_MENU = False
'''

HUGO_CONF = '''\
baseURL = "https://bench.example/"
title = {title}
languageCode = "en"
timeZone = "{tz}"
buildFuture = true

[pagination]
  pagerSize = {page_size}

[taxonomies]
  tag = "tags"
  category = "categories"

[permalinks.page]
  posts = "/launches/:slug/"
  sources = "/sources/:slug/"

[services.rss]
  limit = {feed_items}
'''

HUGO_LAYOUTS = {
    "baseof.html": """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><a href="{{ "tags/" | relURL }}">Actors</a> <a href="{{ "categories/" | relURL }}">Launching states</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>Benchmark corpus: invented content.</footer>
</body>
</html>
""",
    "single.html": """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006, 15:04 MST" }}</time></p>
{{ .Content }}
<p>Actors: {{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">Older: {{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">Newer: {{ .Title }}</a>{{ end }}</nav>
</article>
{{ end }}
""",
    "list.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ if eq .Kind "taxonomy" }}
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ else }}
{{ $pages := .RegularPages }}{{ if .IsHome }}{{ $pages = where site.RegularPages "Section" "posts" }}{{ end }}
{{ $pager := .Paginate $pages.ByDate.Reverse }}
{{ range $pager.Pages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p></article>
{{ end }}
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }} Page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}
{{ with $pager.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>
{{ end }}
{{ end }}
""",
}


def term_slug(name: str) -> str:
    """The URL slug both tools give a tag name like 'Zenavia Joint Staff'."""
    return name.lower().replace(" ", "-")


def moment(launch: Launch) -> str:
    """The launch's local date and time with its UTC offset, ISO 8601."""
    hour, minute = map(int, launch.time.split(":")) if launch.time else (0, 0)
    zone = zoneinfo.ZoneInfo(launch.timezone or SITE_TZ)
    return dt.datetime.combine(launch.date, dt.time(hour, minute), zone).isoformat()


def post_body(launch: Launch, actors: dict[str, Actor], sources: dict[str, Source], link) -> str:
    """The Markdown a post shows: summary, facts table, narrative, statements, sources."""
    missiles = "; ".join(f"{count or 'several'} x {name or kind} ({kind})" for kind, name, count in launch.missiles)
    lines = [f"**Location:** {launch.location}  ", f"**Missiles:** {missiles}  ",
             f"**Outcome:** {launch.outcome.capitalize()}", ""]
    if launch.facts:
        lines += ["| Measure | Value | Reported by |", "|---|---|---|"]
        for name, reports in launch.facts:
            label, unit = LABELS[name]
            for report in reports:
                lines.append(f"| {label} | {fact_text(report, unit)} | {attribution(report, actors, sources, link)} |")
        lines.append("")
    lines.append(RECORD_LINK.sub(lambda m: "](" + link(m[1], m[2]) + ")", launch.body))
    quotes = [(q, sources[s]) for s in launch.sources for q in sources[s].quotes]
    if quotes:
        lines.append("## Statements\n")
        for quote, source in quotes:
            speaker = actors[quote.speaker]
            lines.append(f'> "{quote.text}"\n>\n> [{speaker.name}]({link("actor", speaker.id)}), '
                         f'in [{source.outlet}]({link("source", source.id)})\n')
    lines.append("## Sources\n")
    lines += [f"- [{sources[s].title}]({link('source', s)}), {sources[s].outlet}, {sources[s].published}"
              for s in launch.sources]
    return "\n".join(lines) + "\n"


def fact_text(report: Report, unit: str) -> str:
    show = (lambda v: f"Mach {num(v)}") if unit == "Mach" else (lambda v: f"{num(v)} {unit}".strip())
    if report.value is not None:
        return ("about " if report.approx else "") + show(report.value)
    return f"between {show(report.minimum)} and {show(report.maximum)}"


def attribution(report: Report, actors: dict[str, Actor], sources: dict[str, Source], link) -> str:
    parts = [f"[{actors[report.per].name}]({link('actor', report.per)})"] if report.per else []
    if report.source:
        parts.append(f"[{sources[report.source].outlet}]({link('source', report.source)})")
    return ", in ".join(parts) or "unattributed"


def source_url(source: Source) -> str:
    return source.url or f"https://bench.example/sources/{source.id}/"


def write_pelican(corpus: Corpus, root: Path, source_pages: bool = False) -> None:
    """A Pelican project (pelicanconf.py, content/*.md) using Pelican's default theme; with
    `source_pages`, a page per source as well (content/pages/*.md), which links go to."""
    actors = {a.id: a for a in corpus.actors}
    sources = {s.id: s for s in corpus.sources}

    def link(kind: str, ident: str) -> str:
        if kind == "launch":
            return "{filename}/" + ident + ".md"
        if kind == "actor":
            return "{tag}" + actors[ident].name
        return "{filename}/pages/" + ident + ".md" if source_pages else source_url(sources[ident])

    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(PELICAN_CONF.format(title=corpus.title, tz=SITE_TZ, page_size=PAGE_SIZE,
                                                             feed_items=FEED_ITEMS), encoding="utf-8")
    for launch in corpus.launches:
        head = [f"Title: {launch.title}", f"Date: {moment(launch)}", f"Slug: {launch.id}",
                f"Category: {actors[launch.actors[0][0]].name}",
                "Tags: " + ", ".join(actors[ident].name for ident, _ in launch.actors)]
        text = "\n".join(head) + "\n\n" + post_body(launch, actors, sources, link)
        (root / "content" / f"{launch.id}.md").write_bytes(text.encode("utf-8"))
    if source_pages:
        (root / "content" / "pages").mkdir()
        for source, citing in sources_citing(corpus):
            head = [f"Title: {source.title}", f"Date: {source.published}", f"Slug: {source.id}"]
            text = "\n".join(head) + "\n\n" + source_body(source, actors, citing, link)
            (root / "content" / "pages" / f"{source.id}.md").write_bytes(text.encode("utf-8"))


def write_hugo(corpus: Corpus, root: Path, source_pages: bool = False) -> None:
    """A Hugo project (hugo.toml, a small layouts set, content/posts/*.md); with `source_pages`,
    a page per source as well (content/sources/*.md), as digest makes, which links go to."""
    actors = {a.id: a for a in corpus.actors}
    sources = {s.id: s for s in corpus.sources}

    def link(kind: str, ident: str) -> str:
        if kind == "launch":
            return '{{< relref "/posts/' + ident + '.md" >}}'
        if kind == "actor":
            return f"/tags/{term_slug(actors[ident].name)}/"
        return f"/sources/{ident}/" if source_pages else source_url(sources[ident])

    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "layouts").mkdir(exist_ok=True)
    (root / "hugo.toml").write_text(HUGO_CONF.format(title=quote_toml(corpus.title), tz=SITE_TZ,
                                                     page_size=PAGE_SIZE, feed_items=FEED_ITEMS), encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (root / "layouts" / name).write_text(text, encoding="utf-8")
    for launch in corpus.launches:
        tags = ", ".join(quote_toml(actors[ident].name) for ident, _ in launch.actors)
        head = ["---", f"title: {quote_toml(launch.title)}", f"date: {moment(launch)}", f"slug: {launch.id}",
                f"categories: [{quote_toml(actors[launch.actors[0][0]].name)}]", f"tags: [{tags}]", "---"]
        text = "\n".join(head) + "\n" + post_body(launch, actors, sources, link)
        (root / "content" / "posts" / f"{launch.id}.md").write_bytes(text.encode("utf-8"))
    if source_pages:
        # A source's page links to launches by URL, without a shortcode (relref) for Hugo to run.
        def plain_link(kind: str, ident: str) -> str:
            return f"/launches/{ident}/" if kind == "launch" else link(kind, ident)

        (root / "content" / "sources").mkdir()
        for source, citing in sources_citing(corpus):
            tags = ", ".join(quote_toml(actors[ident].name) for ident in source.contributors)
            head = ["---", f"title: {quote_toml(source.title)}", f"date: {source.published.isoformat()}",
                    f"slug: {source.id}", f"tags: [{tags}]", "---"]
            text = "\n".join(head) + "\n" + source_body(source, actors, citing, plain_link)
            (root / "content" / "sources" / f"{source.id}.md").write_bytes(text.encode("utf-8"))


def sources_citing(corpus: Corpus) -> Iterator[tuple[Source, list[Launch]]]:
    """Each source, with the launches that cite it."""
    citing: dict[str, list[Launch]] = {source.id: [] for source in corpus.sources}
    for launch in corpus.launches:
        for ident in launch.sources:
            citing[ident].append(launch)
    return ((source, citing[source.id]) for source in corpus.sources)


def source_body(source: Source, actors: dict[str, Actor], citing: list[Launch], link) -> str:
    """The Markdown a source's page shows: outlet and authors, the summary, its quotes, the launches it reports."""
    lines = [f"**Outlet:** {source.outlet}  ", f"**Authors:** {', '.join(source.authors) or 'unnamed'}  ",
             f"**Published:** {source.published}  ", f"[The report]({source_url(source)})", "",
             RECORD_LINK.sub(lambda m: "](" + link(m[1], m[2]) + ")", source.body)]
    for quote in source.quotes:
        speaker = actors[quote.speaker]
        lines.append(f'> "{quote.text}"\n>\n> [{speaker.name}]({link("actor", speaker.id)}), {quote.context}\n')
    lines.append("## Launches reported\n")
    lines += [f"- [{launch.title}]({link('launch', launch.id)}), {launch.date}" for launch in citing]
    return "\n".join(lines) + "\n"


def quote_toml(text: str) -> str:
    """A double-quoted string valid in both TOML and YAML."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
