"""The bundled example site, built end to end, read the way a reader reads it.

Expectations come from the two seed articles (../shared/seeds), not from the
generator: who reported what, when, and who said what.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zoneinfo
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import REPO

JANUARY = "launches/2022-01-05-east-coast-ballistic-missile/index.html"
MAY = "launches/2022-05-04-capital-region-ballistic-missile/index.html"
EPOCH = "sources/2022-01-05-epoch-times-north-korea-fires-possible-ballistic-missile/index.html"
NEWSER = "sources/2022-05-04-newser-north-korea-fires-ballistic-missile/index.html"


@pytest.fixture(scope="module")
def site(bundled_site) -> Path:
    """The bundled site as a reader gets it, built once per session (conftest)."""
    return bundled_site


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def text(element) -> str:
    """An element's inline text as a reader sees it: whitespace collapsed."""
    return " ".join(element.get_text().split())


def target(from_path: str, href: str) -> str:
    """The output path a relative link leads to."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_path), href.split("#")[0]))


def links(site: Path, path: str, selector: str) -> list[tuple[str, str]]:
    """(text, target output path) of the links under `selector`."""
    return [(text(a), target(path, a["href"])) for a in page(site, path).select(f"{selector} a[href]")]


def launch_dates(site: Path) -> dict[str, dt.date]:
    """Each launch page's local date, as the page states it in its <time> element."""
    return {path: dt.date.fromisoformat(page(site, path).select_one(".when time")["datetime"][:10])
            for path in (JANUARY, MAY)}


def test_january_launch_says_when_in_local_time_and_utc(site):
    when = page(site, JANUARY).select_one(".when")
    local_time, utc_time = when.select("time")
    local = dt.datetime(2022, 1, 5, 8, 7, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))  # "around 8:07 a.m." in Japan
    utc = local.astimezone(dt.timezone.utc)
    assert dt.datetime.fromisoformat(local_time["datetime"]) == local
    assert dt.datetime.fromisoformat(utc_time["datetime"]) == utc
    assert text(local_time) == "5 January 2022, 08:07"
    assert "Asia/Tokyo" in text(when) and "UTC+09:00" in text(when)
    assert text(utc_time) == f"{utc.day} January 2022, {utc:%H:%M} UTC" == "4 January 2022, 23:07 UTC"


def test_may_launch_keeps_its_local_date(site):
    when = page(site, MAY).select_one(".when")
    assert when.time["datetime"] == "2022-05-04"
    assert text(when).startswith("4 May 2022") and "Asia/Seoul" in text(when)


def test_facts_carry_their_attribution(site):
    rows = page(site, JANUARY).select("table.facts tbody tr")
    [distance] = [row for row in rows if "Distance" in text(row)]
    assert text(distance.select("td")[0]) == "about 500 km"
    assert links(site, JANUARY, "table.facts") == [
        ("Japanese Ministry of Defense", "actors/japan-ministry-of-defense/index.html"),
        ("The Epoch Times, 5 January 2022", EPOCH.removesuffix("/index.html") + "/index.html"),
    ]
    [round_row] = page(site, MAY).select("table.facts tbody tr")
    assert text(round_row.th) == "Round of weapons launches that year"
    assert text(round_row.select("td")[0]) == "14th"
    assert links(site, MAY, "table.facts") == [("Newser, 4 May 2022", NEWSER)]


def test_derived_facts_number_in_year_and_days_since_previous(site):
    dates = launch_dates(site)
    days = (dates[MAY] - dates[JANUARY]).days
    january = " ".join(text(dd) for dd in page(site, JANUARY).select(".summary dd"))
    may = " ".join(text(dd) for dd in page(site, MAY).select(".summary dd"))
    assert "The 1st launch of 2022." in january and "after" not in january
    assert f"The 2nd launch of 2022, {days} days after the previous one." in may
    assert days == 119


def actors_by_role(site: Path, path: str) -> dict[str, list[str]]:
    roles = {}
    for group in page(site, path).select("dl.roles > div"):
        roles[text(group.dt)] = [text(a) for a in group.select("dd a")]
    return roles


def test_launch_pages_list_actors_by_role(site):
    assert actors_by_role(site, JANUARY) == {
        "Launcher": ["North Korea"],
        "Reporter": ["Japanese Ministry of Defense", "South Korea's Joint Chiefs of Staff"],
        "Responder": ["Fumio Kishida"],
        "Mentioned": ["Kim Jong Un", "Moon Jae-in", "United States"],
    }
    assert actors_by_role(site, MAY) == {
        "Launcher": ["North Korea"],
        "Reporter": ["South Korea's Joint Chiefs of Staff", "Japanese Ministry of Defense", "Associated Press"],
        "Responder": ["South Korean military", "Japanese coast guard", "Government of Japan"],
        "Mentioned": ["Kim Jong Un", "United States"],
    }


def statements(site: Path, path: str) -> list[tuple[str, str]]:
    """(quote, caption) of each statement on a page."""
    return [(text(figure.blockquote), text(figure.figcaption)) for figure in page(site, path).select("figure.statement")]


def test_kishida_is_quoted_with_his_name_on_the_launch_and_on_his_page(site):
    quote = "We find it truly regrettable that North Korea has continued to fire missiles from last year"
    on_launch = dict(statements(site, JANUARY))
    assert on_launch[quote].startswith("— Fumio Kishida, in The Epoch Times, 5 January 2022")
    speaker_links = [a for a in page(site, JANUARY).select("figure.statement figcaption a")
                     if text(a) == "Fumio Kishida"]
    assert target(JANUARY, speaker_links[0]["href"]) == "actors/fumio-kishida/index.html"
    on_his_page = dict(statements(site, "actors/fumio-kishida/index.html"))
    assert on_his_page[quote].startswith("— in The Epoch Times, 5 January 2022")
    assert ("The Epoch Times, 5 January 2022", EPOCH) in links(site, "actors/fumio-kishida/index.html",
                                                              "section[aria-labelledby=statements]")


def test_every_quote_is_verbatim_from_its_seed_article(site, seeds):
    def plain(value: str) -> str:
        return " ".join(value.replace("“", '"').replace("”", '"').replace("’", "'").split())
    articles = {EPOCH: plain((seeds / "epoch-times-2022-01-05.txt").read_text()),
                NEWSER: plain((seeds / "newser-2022-05-04.txt").read_text())}
    for path, article in articles.items():
        quotes = [quote for quote, _ in statements(site, path)]
        assert quotes
        for quote in quotes:
            assert plain(quote) in article, quote


def test_the_seed_facts_are_the_ones_shown(seeds):
    """The figures on the launch pages are the ones the articles give."""
    epoch = (seeds / "epoch-times-2022-01-05.txt").read_text()
    newser = (seeds / "newser-2022-05-04.txt").read_text()
    assert "8:07 a.m. on Jan. 5" in epoch and "about 500 kilometers" in epoch
    assert "Japanese Ministry of Defense" in epoch and "14th round" in newser


def launches_by_role(site: Path, actor: str) -> dict[str, list[str]]:
    path = f"actors/{actor}/index.html"
    section = page(site, path).select_one("section[aria-labelledby=launches]")
    result, role = {}, None
    for element in section.find_all(["h3", "li"]):
        if element.name == "h3":
            role = text(element).removeprefix("As ")
            result[role] = []
        else:
            result[role].append(target(path, element.a["href"]))
    return result


@pytest.mark.parametrize("actor, expected", [
    ("north-korea", {"launcher": [MAY, JANUARY]}),
    ("japan-ministry-of-defense", {"reporter": [MAY, JANUARY]}),
    ("south-korea-joint-chiefs-of-staff", {"reporter": [MAY, JANUARY]}),
    ("associated-press", {"reporter": [MAY]}),
    ("fumio-kishida", {"responder": [JANUARY]}),
    ("japan-coast-guard", {"responder": [MAY]}),
    ("japan-government", {"responder": [MAY]}),
    ("south-korean-military", {"responder": [MAY]}),
    ("kim-jong-un", {"mentioned": [MAY, JANUARY]}),
    ("moon-jae-in", {"mentioned": [JANUARY]}),
    ("united-states", {"mentioned": [MAY, JANUARY]}),
    ("japan", {}),
    ("south-korea", {}),
])
def test_actor_pages_list_their_launches_by_role_newest_first(site, actor, expected):
    assert launches_by_role(site, actor) == expected


def test_states_list_their_people_and_bodies(site):
    members = [name for name, _ in links(site, "actors/japan/index.html", "section[aria-labelledby=members]")]
    assert sorted(members) == ["Fumio Kishida", "Government of Japan", "Japanese Ministry of Defense",
                               "Japanese coast guard"]
    members = [name for name, _ in links(site, "actors/south-korea/index.html", "section[aria-labelledby=members]")]
    assert sorted(members) == ["Moon Jae-in", "South Korea's Joint Chiefs of Staff", "South Korean military"]


def test_previous_and_next_links_lead_to_each_other(site):
    january, may = page(site, JANUARY), page(site, MAY)
    assert january.select_one('a[rel="prev"]') is None and may.select_one('a[rel="next"]') is None
    forward = target(JANUARY, january.select_one('a[rel="next"]')["href"])
    back = target(MAY, may.select_one('a[rel="prev"]')["href"])
    assert (forward, back) == (MAY, JANUARY)
    assert (site / forward).is_file() and (site / back).is_file()
    assert text(page(site, forward).h1) in text(january.select_one('a[rel="next"]'))


def test_the_index_groups_by_year_and_month_newest_first(site):
    index = page(site, "launches/index.html")
    [year] = index.select("main section[aria-labelledby^=y]")
    assert text(year.h2).startswith("2022")
    months = [(text(section.h3), [target("launches/index.html", a["href"]) for a in section.select("li a")])
              for section in year.select("section[aria-labelledby^=m]")]
    assert months == [("May 2022 (1)", [MAY]), ("January 2022 (1)", [JANUARY])]
    assert index.select_one(".pager") is None  # two launches fit on one page


def test_the_year_page_and_the_home_page(site):
    year = page(site, "launches/2022/index.html")
    assert text(year.h1) == "Launches in 2022"
    assert [target("launches/2022/index.html", a["href"]) for a in year.select("main li a")] == [JANUARY, MAY]
    latest = page(site, "index.html").select_one("section[aria-labelledby=latest]")
    assert [target("index.html", a["href"]) for a in latest.select("li a")] == [MAY, JANUARY]  # newest first


def test_source_pages_cite_fully_and_list_the_launches_they_report(site):
    citation = text(page(site, EPOCH).select_one("cite"))
    assert citation.startswith("Aldgra Fredly.")
    assert "The Epoch Times" in citation and "5 January 2022" in citation and "Associated Press" in citation
    reported = [t for _, t in links(site, EPOCH, "section[aria-labelledby=launches]")]
    assert reported == [JANUARY]
    assert [t for _, t in links(site, NEWSER, "section[aria-labelledby=launches]")] == [MAY]
    speakers = [caption for _, caption in statements(site, EPOCH)]
    assert [s.split(".")[0] for s in speakers] == ["— Fumio Kishida", "— Moon Jae-in", "— Kim Jong Un"]


def test_indexes_name_every_record(site):
    actor_links = {t for _, t in links(site, "actors/index.html", "main")}
    assert {f"actors/{p.stem}/index.html" for p in (REPO / "content/actors").iterdir()} <= actor_links
    source_links = {t for _, t in links(site, "sources/index.html", "main")}
    assert {EPOCH, NEWSER} <= source_links
    assert (site / "404.html").is_file()
    counts = {text(div.dt): text(div.dd) for div in page(site, "index.html").select("dl.counts > div")}
    assert counts == {"Launches": "2", "Sources": "2",
                      "Actors": str(len(list((REPO / "content/actors").glob("*.yaml"))))}
