"""A site built for a sub-path and served from it: every href and src of every page resolves."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from generator.build import BuildOptions, build

REPO = Path(__file__).resolve().parents[1]
PUBLIC = "https://example.org/some/sub/path/"
SUBPATH = "some/sub/path/"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The bundled site built for PUBLIC, in a web root at /some/sub/path/."""
    webroot = tmp_path_factory.mktemp("webroot")
    content = shutil.copytree(REPO / "content", tmp_path_factory.mktemp("project") / "content")  # the cache goes beside it
    build(BuildOptions(content, webroot / SUBPATH, base_url=PUBLIC, search=True))
    return webroot


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def links_in(content_type: str, body: bytes) -> tuple[list[str], set[str]]:
    """The URLs a document points to, and the ids it defines (for fragments)."""
    if content_type == "text/html":
        soup = BeautifulSoup(body, "html.parser")
        urls = [tag[attr] for attr in ("href", "src") for tag in soup.find_all(attrs={attr: True})]
        urls += [tag["data-bundle"] + name for tag in soup.find_all(attrs={"data-bundle": True})
                 for name in ("pagefind-ui.js", "pagefind-ui.css")]
        return urls, {tag["id"] for tag in soup.find_all(id=True)}
    if content_type in ("application/xml", "text/xml", "application/atom+xml") or body.startswith(b"<?xml"):
        root = ET.fromstring(body)
        urls = [el.get("href") for el in root.iter() if el.get("href")]
        urls += [el.text for el in root.iter() if el.tag.endswith("}loc")]
        return urls, set()
    return [], set()


def crawl(local: str) -> tuple[set[str], list[str], int]:
    """Follow every link from the home page, the 404 page and the sitemap: (seen, broken, fragments checked)."""
    to_visit, seen, broken = [local + "index.html", local + "404.html", local + "sitemap.xml"], set(), []
    fragments: list[tuple[str, str, str]] = []
    ids: dict[str, set[str]] = {}
    while to_visit:
        url = to_visit.pop()
        if url in seen:
            continue
        seen.add(url)
        status, content_type, body = fetch(url)
        if status != 200:
            broken.append(f"{url}: {status}")
            continue
        urls, ids[url] = links_in(content_type, body)
        for raw in urls:
            if raw.startswith(PUBLIC):  # absolute links to the public site: check them here
                raw = local + raw[len(PUBLIC):]
            target = urljoin(url, raw)
            if urlsplit(target).netloc != urlsplit(local).netloc:
                continue  # the outside world: not ours to check offline
            target, fragment = urldefrag(target)
            if not target.startswith(local):
                broken.append(f"{url}: {raw} leaves the sub-path")
                continue
            if fragment:
                fragments.append((url, target, fragment))
            to_visit.append(target)
    for page, target, fragment in fragments:
        if target in ids and fragment not in ids[target]:
            broken.append(f"{page}: #{fragment} not found in {target}")
    return seen, broken, len(fragments)


def test_every_link_and_asset_resolves_under_the_sub_path(served, serve_dir):
    local = serve_dir(served) + SUBPATH
    seen, broken, fragments = crawl(local)
    assert broken == []
    assert len(seen) > 30 and fragments > 0
    assert local + "launches/2022-01-05-east-coast-ballistic-missile/index.html" in seen
    assert local + "data/launches.csv" in seen and local + "actors/fumio-kishida/feed.xml" in seen
    assert local + "pagefind/pagefind-ui.js" in seen


def test_the_crawl_finds_a_missing_file_and_a_missing_anchor(site_dir, serve_dir):
    out = site_dir / "web" / SUBPATH
    build(BuildOptions(site_dir / "content", out, base_url=PUBLIC, search=False))
    (out / "actors/southland/index.html").unlink()
    index = out / "launches/index.html"
    index.write_text(index.read_text().replace('id="m2030-03"', 'id="elsewhere"'))
    _, broken, _ = crawl(serve_dir(site_dir / "web") + SUBPATH)
    assert any("actors/southland/index.html: 404" in b for b in broken)
    assert any("#m2030-03 not found" in b for b in broken)


def test_search_works_under_the_sub_path(served, serve_dir, browser):
    local = serve_dir(served) + SUBPATH
    page = browser.new_page()
    page.goto(local + "search/index.html")
    page.locator(".pagefind-ui__search-input").fill("Kishida")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")
    assert local + "launches/2022-01-05-east-coast-ballistic-missile/index.html" in hrefs
    assert all(h.startswith(local) and fetch(h)[0] == 200 for h in hrefs)
    page.close()


def test_canonical_and_feed_urls_use_the_sub_path(served):
    page = (served / SUBPATH / "launches/index.html").read_text()
    assert f'<link rel="canonical" href="{PUBLIC}launches/">' in page
    assert f"<id>{PUBLIC}feed.xml</id>" in (served / SUBPATH / "feed.xml").read_text()
