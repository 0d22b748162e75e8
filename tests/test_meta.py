"""Page metadata: title, description, canonical, Open Graph, Twitter card; schema.org JSON-LD."""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup

from generator.build import BuildOptions, build

BASE = "https://example.org/"


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def json_ld(soup: BeautifulSoup) -> list[dict]:
    return [json.loads(s.string) for s in soup.find_all("script", type="application/ld+json")]


def meta(soup: BeautifulSoup, key: str) -> str | None:
    tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


def test_every_page_has_title_description_canonical_and_social_tags(bundled_site):
    pages = [p for p in bundled_site.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 10
    for path in pages:
        soup = soup_of(path)
        if soup.find("meta", attrs={"http-equiv": "refresh"}):
            continue
        rel = path.relative_to(bundled_site).as_posix()
        assert soup.title.string.strip(), rel
        assert meta(soup, "description"), rel
        canonical = soup.find("link", rel="canonical")["href"]
        assert canonical == BASE + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        assert meta(soup, "og:url") == canonical, rel
        assert meta(soup, "og:title") and meta(soup, "og:description") == meta(soup, "description"), rel
        assert meta(soup, "og:type") in ("website", "article"), rel
        assert meta(soup, "twitter:card") == "summary" and meta(soup, "twitter:title"), rel


def test_launch_page_is_an_event_with_location_and_citations(bundled_site):
    soup = soup_of(bundled_site / "launches/2022-01-05-east-coast-ballistic-missile/index.html")
    (event,) = json_ld(soup)
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert event["url"] == BASE + "launches/2022-01-05-east-coast-ballistic-missile/"
    assert event["startDate"] == "2022-01-05T08:07:00+09:00"
    assert event["location"] == {"@type": "Place", "name": "off the east coast"}
    (citation,) = event["citation"]
    assert citation["@type"] == "NewsArticle" and citation["publisher"]["name"] == "The Epoch Times"
    assert event["organizer"][0]["name"] == "North Korea"


def test_actor_pages_are_people_or_organizations(bundled_site):
    def thing(actor: str) -> dict:
        (data,) = json_ld(soup_of(bundled_site / f"actors/{actor}/index.html"))
        return data

    kishida = thing("fumio-kishida")
    assert kishida["@type"] == "Person" and kishida["name"] == "Fumio Kishida"
    assert kishida["jobTitle"] == "Prime Minister of Japan" and kishida["affiliation"]["name"] == "Japan"
    assert thing("japan-ministry-of-defense")["@type"] == "GovernmentOrganization"
    assert thing("associated-press")["@type"] == "Organization"


def test_source_page_is_a_news_article(bundled_site):
    path = next((bundled_site / "sources").glob("2022-05-04-*/index.html"))
    (article,) = json_ld(soup_of(path))
    assert article["@type"] == "NewsArticle" and article["datePublished"] == "2022-05-04"
    assert article["publisher"]["name"] == "Newser"
    assert article["about"][0]["@type"] == "Event"


def test_other_pages_have_no_json_ld(bundled_site):
    for rel in ("index.html", "launches/index.html", "search/index.html"):
        assert json_ld(soup_of(bundled_site / rel)) == []


def test_json_ld_cannot_break_out_of_its_script(site_dir):
    hostile = 'Closing </script><script>alert(1)</script> & <!-- tags'
    path = site_dir / "content/launches/2030-03-01-first.md"
    path.write_text(path.read_text().replace("title: First test launch", f"title: '{hostile}'"))
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    html = (site_dir / "site/launches/2030-03-01-first/index.html").read_text()
    block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == hostile
