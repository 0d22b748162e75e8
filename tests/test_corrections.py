"""The corrections log: `updates: [{date, note}]` on launches and sources shows on pages, feeds and sitemap."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.build import BuildOptions, build
from generator.model import Body, Launch, Source, Update
from tests.conftest import write_tree

LAUNCH = "content/launches/2030-03-01-first.md"
SOURCE = "content/sources/2030-03-01-daily-example.md"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def add_updates(site_dir, path: str, lines: str) -> None:
    """Put an `updates:` list into the front matter of a file of the minimal site."""
    text = (site_dir / path).read_text()
    head, body = text.split("\n---\n", 1)
    write_tree(site_dir, {path: f"{head}\n{lines}---\n{body}"})


@pytest.fixture
def corrected(site_dir):
    """The minimal site, with a two-entry log on the first launch and one entry on the source."""
    add_updates(site_dir, LAUNCH, "updates:\n"
                                  "  - {date: 2030-05-09, note: The distance was corrected from 350 to 300 km.}\n"
                                  "  - {date: 2030-03-02, note: Added the time of the launch.}\n")
    add_updates(site_dir, SOURCE, "updates:\n  - {date: 2030-03-05, note: Linked the launch.}\n")
    build(BuildOptions(site_dir / "content", site_dir / "site"))
    return site_dir / "site"


def page(site, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(), "html.parser")


def test_launch_page_says_updated_near_the_top_and_lists_the_log(corrected):
    soup = page(corrected, "launches/2030-03-01-first/index.html")
    note = soup.select_one("article header .updated-note")
    assert note is not None
    assert note.time["datetime"] == "2030-05-09"  # the latest entry, whatever the order in the file
    assert note.a["href"] == "#updates"
    log = soup.select_one("section#updates, section[aria-labelledby=updates]")
    assert [li.time["datetime"] for li in log.select("li")] == ["2030-03-02", "2030-05-09"]
    assert "corrected from 350 to 300 km" in log.get_text()
    assert soup.find(id="updates") is not None


def test_source_page_says_updated(corrected):
    soup = page(corrected, "sources/2030-03-01-daily-example/index.html")
    note = soup.select_one(".updated-note")
    assert note.time["datetime"] == "2030-03-05"
    assert "Linked the launch." in soup.select_one("section.updates").get_text()


def test_no_note_without_a_log(corrected):
    soup = page(corrected, "launches/2030-04-10-second/index.html")
    assert soup.select_one(".updated-note") is None
    assert soup.select_one("section.updates") is None


def test_feed_entry_is_marked_updated(corrected):
    feed = feedparser.parse((corrected / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.endswith("launches/2030-03-01-first/"))
    assert entry.published.startswith("2030-02-28T22:30")  # 07:30 in Seoul
    assert entry.updated.startswith("2030-05-08T15:00")  # midnight of 9 May in Seoul, in UTC
    other = next(e for e in feed.entries if e.link.endswith("launches/2030-04-10-second/"))
    assert other.updated == other.published


def lastmods(files: dict[str, bytes]) -> dict[str, str]:
    root = ET.fromstring(files["sitemap.xml"])
    return {u.find("s:loc", SITEMAP_NS).text: u.find("s:lastmod", SITEMAP_NS).text
            for u in root.findall("s:url", SITEMAP_NS)}


def test_sitemap_lastmod_follows_the_log(site_dir):
    page_url = "https://example.test/launches/2030-03-01-first/"
    before = lastmods(build(BuildOptions(site_dir / "content"), write=False).files)[page_url]
    add_updates(site_dir, LAUNCH, "updates: [{date: 2030-05-09, note: Corrected the distance.}]\n")
    after = lastmods(build(BuildOptions(site_dir / "content"), write=False).files)[page_url]
    assert (before, after) == ("2030-04-10", "2030-05-09")  # the next launch's date (its page links it), then the log


def test_last_updated():
    body = Body("", 1, "")
    launch = Launch("x", "", "T", dt.date(2030, 1, 1), None, "UTC", "", None, (), (), "unknown", (), (), (),
                    False, (), (Update(dt.date(2030, 1, 9), "a"), Update(dt.date(2030, 1, 3), "b")), body)
    assert launch.last_updated == dt.date(2030, 1, 9)
    source = Source("s", "", "T", "O", (), (), dt.date(2030, 1, 1), dt.date(2030, 1, 4), None, "en", (), False, (),
                    body)
    assert source.last_updated == dt.date(2030, 1, 4)
    assert dataclasses.replace(source, updated=None).last_updated == dt.date(2030, 1, 1)
