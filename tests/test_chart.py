"""The timeline chart: counts per month and year, bars that link to their month, a text alternative."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import chart
from generator.build import BuildOptions, build, load_site


def add_launch(site_dir: Path, day: str, title: str) -> None:
    path = site_dir / "content/launches" / f"{day}-extra.md"
    path.write_text(textwrap.dedent(f"""\
        ---
        title: {title}
        date: {day}
        actors: [{{id: northland, role: launcher}}]
        ---
        """), encoding="utf-8")


@pytest.fixture
def gap_site(site_dir: Path) -> Path:
    """Launches in March, April and twice in July 2030, and once in February 2032."""
    add_launch(site_dir, "2030-07-02", "Early July")
    (site_dir / "content/launches/2030-07-20-late.md").write_text(
        "---\ntitle: Late July\ndate: 2030-07-20\n---\n", encoding="utf-8")
    add_launch(site_dir, "2032-02-14", "Much later")
    return site_dir


def test_months_run_from_first_to_last_with_empty_months(gap_site):
    months = chart.by_month(load_site(gap_site / "content"))
    counts = {bar.label: bar.count for bar in months.bars}
    assert list(counts)[0] == "March 2030" and list(counts)[-1] == "February 2032"
    assert len(counts) == 24
    assert counts["March 2030"] == 1 and counts["May 2030"] == 0 and counts["July 2030"] == 2
    assert sum(counts.values()) == 5


def test_bar_heights_follow_the_counts(gap_site):
    months = chart.by_month(load_site(gap_site / "content"))
    by_label = {bar.label: bar for bar in months.bars}
    tallest, single, empty = by_label["July 2030"], by_label["March 2030"], by_label["May 2030"]
    assert months.top_count == 2
    assert tallest.height == pytest.approx(2 * single.height) and empty.height == 0
    assert tallest.y + tallest.height == pytest.approx(months.baseline)
    assert all(a.x < b.x for a, b in zip(months.bars, months.bars[1:]))
    assert by_label["July 2030"].anchor == "m2030-07" and by_label["July 2030"].target == "launches/index.html"


def test_years_include_empty_years_and_link_to_year_pages(gap_site):
    years = chart.by_year(load_site(gap_site / "content"))
    assert [(b.label, b.count) for b in years.bars] == [("2030", 4), ("2031", 0), ("2032", 1)]
    assert years.bars[0].target == "launches/2030/index.html"


def test_long_timelines_drop_per_bar_labels_but_keep_years(site_dir):
    add_launch(site_dir, "2033-12-01", "Years later")
    months = chart.by_month(load_site(site_dir / "content"))
    assert len(months.bars) > chart.LABEL_EVERY_BAR and not months.labelled
    assert all(bar.tick == "" for bar in months.bars)
    assert [bar.group for bar in months.bars if bar.group] == ["2030", "2031", "2032", "2033"]


def svg_charts(html: str):
    return BeautifulSoup(html, "html.parser").select(".chart svg")


def test_index_chart_bars_link_to_months_that_exist_on_the_index(gap_site):
    build(BuildOptions(gap_site / "content", gap_site / "site", search=False))
    html = (gap_site / "site/launches/index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    (svg,) = svg_charts(html)
    assert svg.find("title").get_text() == "Launches per month"
    assert "from March 2030 to February 2032" in svg.find("desc").get_text()
    links = svg.find_all("a")
    assert len(links) == 4  # one per month with launches; empty months are not links
    for link in links:
        page, _, anchor = link["href"].partition("#")
        assert page == "index.html" and soup.find(id=anchor) is not None, link["href"]
        assert link.find("title").get_text().endswith(("1 launch", "2 launches"))
    july = [a for a in links if a["href"].endswith("#m2030-07")]
    assert july and july[0].find("title").get_text() == "July 2030: 2 launches"


def test_chart_numbers_are_in_a_table_for_screen_readers(gap_site):
    build(BuildOptions(gap_site / "content", gap_site / "site", search=False))
    soup = BeautifulSoup((gap_site / "site/index.html").read_text(), "html.parser")
    tables = soup.select(".chart table")
    assert [t.caption.get_text() for t in tables] == ["Launches per year", "Launches per month"]
    rows = {tr.th.get_text(): tr.td.get_text() for tr in tables[1].tbody.find_all("tr")}
    assert rows["July 2030"] == "2" and rows["May 2030"] == "0"
    year_links = [a["href"] for a in soup.select(".chart svg")[0].find_all("a")]
    assert year_links == ["launches/2030/index.html", "launches/2032/index.html"]


def test_clicking_the_january_2022_bar_opens_that_month(browser, bundled_site):
    page = browser.new_page()
    page.goto((bundled_site / "index.html").as_uri())
    page.locator(".chart svg a", has=page.locator("title", has_text="January 2022")).click()
    page.wait_for_load_state()
    assert page.url.endswith("launches/index.html#m2022-01")
    heading = page.locator("#m2022-01")
    assert heading.inner_text().startswith("January 2022")
    top = page.evaluate("() => document.getElementById('m2022-01').getBoundingClientRect().top")
    assert 0 <= top < page.viewport_size["height"]  # in view
    page.close()


def test_on_a_paged_index_each_bar_leads_to_the_page_that_lists_its_month(gap_site):
    site_yaml = gap_site / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "per_page: 1\n")
    build(BuildOptions(gap_site / "content", gap_site / "site", search=False))
    out = gap_site / "site"
    first = out / "launches/index.html"
    links = svg_charts(first.read_text())[0].find_all("a")
    assert len(links) == 4
    for link in links:
        page, _, anchor = link["href"].partition("#")
        target = (first.parent / page).resolve()
        assert BeautifulSoup(target.read_text(), "html.parser").find(id=anchor) is not None, link["href"]
    assert [a["href"] for a in links if a["href"].endswith("#m2030-07")] == ["page/2/index.html#m2030-07"]
    # Only the first page draws the chart; every page has one month here, newest first.
    assert [len(svg_charts((out / f"launches/page/{n}/index.html").read_text())) for n in (2, 3, 4)] == [0, 0, 0]
