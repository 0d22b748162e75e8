"""Every href and src in the built bundled site leads to a file in it, and every #fragment to an id there.

Internal links are relative and name the file (`.../index.html`), so the site
works opened from disk; absolute links under the site's base_url (canonical
links, the 404 page, feeds, the sitemap) must lead to a file as well.
"""

from __future__ import annotations

import posixpath
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup


BASE_URL = "https://example.org/"  # the bundled site.yaml's


@pytest.fixture(scope="module")
def site(bundled_site) -> Path:
    """The bundled site as a reader gets it, built once per session (conftest)."""
    return bundled_site


def documents(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.suffix in (".html", ".xml")
                  and not p.relative_to(site).as_posix().startswith("pagefind/"))


def references(site: Path, path: str) -> list[str]:
    """Every href and src in a page or feed, and each <loc> of a sitemap."""
    if path.endswith(".xml"):
        elements = list(ElementTree.parse(site / path).iter())
        return [e.get(a) for e in elements for a in ("href", "src") if e.get(a)] + [
            e.text.strip() for e in elements if e.tag.endswith("}loc") and e.text]
    soup = BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")
    return [element[attribute] for attribute in ("href", "src") for element in soup.find_all(attrs={attribute: True})]


def resolve(path: str, reference: str) -> tuple[str, str] | None:
    """(output file, fragment) a reference leads to; None for the wider web."""
    parts = urlsplit(reference)
    if reference.startswith(BASE_URL):
        target = parts.path[len(urlsplit(BASE_URL).path):]
        target = target + "index.html" if target == "" or target.endswith("/") else target
        return unquote(target), parts.fragment
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return path, parts.fragment
    assert not parts.path.endswith("/"), f"{path}: {reference} names a folder, which does not open from disk"
    assert not parts.path.startswith("/"), f"{path}: {reference} is root-relative, which breaks under a sub-path"
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path))), parts.fragment


def test_the_checker_itself():
    assert resolve("launches/x/index.html", "../../actors/a/index.html#f") == ("actors/a/index.html", "f")
    assert resolve("index.html", "#main") == ("index.html", "main")
    assert resolve("404.html", BASE_URL + "launches/") == ("launches/index.html", "")
    assert resolve("index.html", "https://elsewhere.example/") is None


def test_there_is_something_to_check(site):
    pages = documents(site)
    assert {"index.html", "404.html", "launches/index.html", "feed.xml", "sitemap.xml"} <= set(pages)
    assert sum(len(references(site, p)) for p in pages) > 500


def test_every_reference_leads_to_a_file_and_fragment(site):
    @cache
    def ids(path: str) -> frozenset[str]:
        soup = BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")
        return frozenset(e["id"] for e in soup.find_all(id=True)) | frozenset(
            e["name"] for e in soup.find_all("a", attrs={"name": True}))

    broken = []
    for path in documents(site):
        for reference in references(site, path):
            scheme = urlsplit(reference).scheme
            assert scheme in ("", "http", "https"), f"{path}: unsafe link {reference}"
            where = resolve(path, reference)
            if where is None:
                continue
            target, fragment = where
            if target.startswith("../") or not (site / target).is_file():
                broken.append(f"{path}: {reference} -> {target} (no such file)")
            elif fragment and target.endswith(".html") and fragment not in ids(target):
                broken.append(f"{path}: {reference} -> #{fragment} (no such id in {target})")
    assert broken == []


def test_internal_links_stay_relative(site):
    """Only the 404 page (served at any URL) and machine-read files link absolutely within the site."""
    for path in documents(site):
        if path == "404.html" or path.endswith(".xml"):
            continue
        soup = BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")
        absolute = [a["href"] for a in soup.select("body a[href]") if a["href"].startswith(BASE_URL)]
        assert absolute == [], path
