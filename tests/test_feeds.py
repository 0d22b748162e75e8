"""Atom feeds, the sitemap and robots.txt: parsed with the tools readers and crawlers use."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from generator import feeds
from generator.build import BuildOptions, build, load_site

BASE = "https://example.test/digest/"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}

EXTRA = {
    # A draft: never in a feed or the sitemap, whether or not the build shows drafts.
    "content/launches/2030-06-01-draft.md": """\
        ---
        title: An unfinished launch
        date: 2030-06-01
        draft: true
        actors: [{id: northland, role: launcher}]
        ---
        Not ready.
        """,
    # Updated after the fact, with an old address that redirects.
    "content/launches/2030-04-10-second.md": """\
        ---
        title: Second test launch & more
        date: 2030-04-10
        actors: [{id: northland, role: launcher}]
        aliases: [old/second/]
        updates: [{date: 2030-05-20, note: Corrected the location.}]
        ---
        Another one, with <angle brackets> in the text.
        """,
}


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def built(site_dir: Path) -> Path:
    make(site_dir, EXTRA)
    build(BuildOptions(site_dir / "content", site_dir / "site", base_url=BASE, search=False))
    return site_dir / "site"


def parse(path: Path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_site_feed_parses_with_absolute_links_and_every_published_launch(built):
    feed = parse(built / "feed.xml")
    assert [e.title for e in feed.entries] == ["Second test launch & more", "First test launch"]  # newest first
    assert feed.feed.link == BASE
    assert any(l.rel == "self" and l.href == BASE + "feed.xml" for l in feed.feed.links)
    for entry in feed.entries:
        assert entry.id.startswith("tag:example.test,")
        assert entry.link.startswith(BASE + "launches/")
        for href in [l.href for l in entry.links]:
            assert href.startswith(("https://", "http://")), href
    first = feed.entries[1]
    content = first.content[0].value
    # The facts with their attribution, the narrative with absolute record links, and the sources.
    assert "about 300 km" in content and "Southland Joint Staff" in content
    assert f'href="{BASE}actors/northland/"' in content
    assert "Northland tests a rocket" in content and "Daily Example" in content
    assert 'href="../' not in content and 'href="launches/' not in content


def test_entry_dates_come_from_the_content(built):
    feed = parse(built / "feed.xml")
    second, first = feed.entries
    # 07:30 in Seoul on 1 March is 22:30 UTC the day before.
    assert first.published == "2030-02-28T22:30:00Z"
    assert second.updated.startswith("2030-05-19T15:00:00")  # the update's date, midnight in Seoul
    assert feed.feed.updated == max(e.updated for e in feed.entries)


def test_drafts_never_appear_in_feeds_or_sitemap(site_dir):
    make(site_dir, EXTRA)
    build(BuildOptions(site_dir / "content", site_dir / "site", base_url=BASE, drafts=True, search=False))
    out = site_dir / "site"
    assert (out / "launches/2030-06-01-draft/index.html").is_file()  # shown in a drafts build ...
    assert "unfinished" not in (out / "feed.xml").read_text()  # ... but never published
    assert "unfinished" not in (out / "actors/northland/feed.xml").read_text()
    assert "2030-06-01-draft" not in (out / "sitemap.xml").read_text()


def test_actor_feeds_hold_the_launches_that_name_the_actor(built):
    assert [e.title for e in parse(built / "actors/northland/feed.xml").entries] == [
        "Second test launch & more", "First test launch"]
    assert [e.title for e in parse(built / "actors/south-staff/feed.xml").entries] == ["First test launch"]
    empty = parse(built / "actors/southland/feed.xml")
    assert empty.entries == [] and empty.feed.updated  # still a valid feed with a date


def test_pages_link_their_feeds(built):
    home = (built / "index.html").read_text()
    assert 'rel="alternate" type="application/atom+xml"' in home and 'href="feed.xml"' in home
    actor = (built / "actors/northland/index.html").read_text()
    assert 'href="feed.xml"' in actor  # its own feed, beside the page
    assert 'href="../../feed.xml"' in actor


def test_entry_ids_survive_a_retitled_launch(site_dir, built):
    before = {e.link: e.id for e in parse(built / "feed.xml").entries}
    path = site_dir / "content/launches/2030-03-01-first.md"
    path.write_text(path.read_text().replace("title: First test launch", "title: A renamed launch"))
    build(BuildOptions(site_dir / "content", site_dir / "site", base_url=BASE, search=False))
    after = {e.link: e.id for e in parse(built / "feed.xml").entries}
    assert after == before


def test_feeds_and_sitemap_are_the_same_on_every_build(site_dir, built):
    first = {name: (built / name).read_bytes() for name in ("feed.xml", "sitemap.xml", "robots.txt")}
    build(BuildOptions(site_dir / "content", site_dir / "other", base_url=BASE, search=False))
    assert first == {name: (site_dir / "other" / name).read_bytes() for name in first}


def public_pages(out: Path) -> set[str]:
    """What a crawler should index, read off the built files: HTML pages but 404 and redirects."""
    urls = set()
    for path in out.rglob("*.html"):
        rel = path.relative_to(out).as_posix()
        if rel == "404.html" or rel.startswith("pagefind/") or 'http-equiv="refresh"' in path.read_text():
            continue
        urls.add(BASE + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
    return urls


def test_sitemap_lists_exactly_the_public_pages(built):
    root = ET.fromstring((built / "sitemap.xml").read_bytes())
    entries = {u.findtext("s:loc", namespaces=SITEMAP_NS): u.findtext("s:lastmod", namespaces=SITEMAP_NS)
               for u in root.findall("s:url", SITEMAP_NS)}
    assert set(entries) == public_pages(built)
    assert BASE + "old/second/" not in entries and (built / "old/second/index.html").is_file()
    assert entries[BASE + "launches/2030-04-10-second/"] == "2030-05-20"  # its latest update
    assert entries[BASE + "sources/2030-03-01-daily-example/"] == "2030-03-01"  # it and the launch it reports
    assert entries[BASE] == "2030-05-20"  # the index shows everything: the newest date anywhere
    assert all(len(d) == 10 for d in entries.values())


def test_past_the_protocol_limit_the_sitemap_becomes_an_index_of_sitemaps(site_dir, built, monkeypatch):
    whole = ET.fromstring((built / "sitemap.xml").read_bytes())
    expected = {u.findtext("s:loc", namespaces=SITEMAP_NS): u.findtext("s:lastmod", namespaces=SITEMAP_NS)
                for u in whole.findall("s:url", SITEMAP_NS)}
    monkeypatch.setattr(feeds, "SITEMAP_LIMIT", 3)  # the protocol allows 50,000 URLs in one sitemap file
    # Not incremental: no input changed, so a build could stop before planning (unless the content
    # files were saved in the clock tick the last build began, which made this test pass by chance).
    build(BuildOptions(site_dir / "content", site_dir / "site", base_url=BASE, search=False), incremental=False)
    index = ET.fromstring((built / "sitemap.xml").read_bytes())
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [(s.findtext("s:loc", namespaces=SITEMAP_NS), s.findtext("s:lastmod", namespaces=SITEMAP_NS))
             for s in index.findall("s:sitemap", SITEMAP_NS)]
    assert [loc for loc, _ in parts] == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    found = {}
    for loc, lastmod in parts:
        urls = ET.fromstring((built / loc.removeprefix(BASE)).read_bytes()).findall("s:url", SITEMAP_NS)
        dates = {u.findtext("s:loc", namespaces=SITEMAP_NS): u.findtext("s:lastmod", namespaces=SITEMAP_NS)
                 for u in urls}
        assert 1 <= len(dates) <= 3 and lastmod == max(dates.values())
        found |= dates
    assert found == expected  # every page once, with the same date as in one sitemap
    monkeypatch.setattr(feeds, "SITEMAP_LIMIT", 50_000)
    # A change, or the build would have nothing to do; to what orders the launches, or the build would plan only
    # the pages that show the launch (the limit stands for digest's code, whose change plans everything again).
    edited = site_dir / "content/launches/2030-03-01-first.md"
    edited.write_text(edited.read_text().replace("date: 2030-03-01", "date: 2030-03-02", 1))
    build(BuildOptions(site_dir / "content", site_dir / "site", base_url=BASE, search=False))
    assert ET.fromstring((built / "sitemap.xml").read_bytes()).tag.endswith("}urlset")
    assert not list(built.glob("sitemap-*.xml"))  # back to one sitemap: the parts are gone


def test_robots_points_to_the_sitemap(built):
    robots = (built / "robots.txt").read_text()
    assert "User-agent: *" in robots
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_feeds_list_launches_by_the_moment_they_happened_wherever_that_was(site_dir, monkeypatch):
    def launch(date: str, time: str, timezone: str, draft: bool = False) -> str:
        return (f'---\ntitle: A launch\ndate: {date}\ntime: "{time}"\ntimezone: {timezone}\n'
                f'actors: [{{id: northland, role: launcher}}]\n{"draft: true" if draft else ""}\n---\nText.\n')

    make(site_dir, {  # the first: 16:00 UTC on the 1st, before the second
        "content/launches/2030-05-02-tokyo-morning.md": launch("2030-05-02", "01:00", "Asia/Tokyo"),
        "content/launches/2030-05-01-utc-evening.md": launch("2030-05-01", "20:00", "UTC"),
        "content/launches/2030-05-03-draft.md": launch("2030-05-03", "12:00", "UTC", draft=True),
    })
    site = load_site(site_dir / "content", drafts=True)  # drafts linked, as the preview does: never in feeds
    assert site.newest_first == ("2030-05-01-utc-evening", "2030-05-02-tokyo-morning", "2030-04-10-second",
                                 "2030-03-01-first")
    monkeypatch.setattr(feeds, "FEED_LIMIT", 3)
    listed = feeds.feed_launches(site, [None, "northland", "south-staff"])
    assert listed == {None: list(site.newest_first[:3]), "northland": list(site.newest_first[:3]),
                      "south-staff": ["2030-03-01-first"]}
