"""Stage 4, plan: the URL scheme in one place, and Site -> the pages to render."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import routes
from generator.build import check_unique_paths, load_site, plan_pages
from generator.errors import ContentError
from generator.link import link
from generator.load import load_content
from generator.validate import validate
from tests.conftest import minimal_site, write_tree


def planned(root: Path, monkeypatch, files: dict[str, str] | None = None) -> list[routes.PageSpec]:
    write_tree(root, {**minimal_site(), **(files or {})})
    monkeypatch.chdir(root)
    return routes.plan(link(validate(load_content(Path("content")))))


def test_url_scheme():
    assert routes.path_of("launch", "2030-03-01-first") == "launches/2030-03-01-first/index.html"
    assert routes.path_of("actor", "northland") == "actors/northland/index.html"
    assert routes.path_of("source", "s") == "sources/s/index.html"
    assert routes.year_path(2030) == "launches/2030/index.html"
    assert routes.index_path(1) == "launches/index.html"
    assert routes.index_path(2) == "launches/page/2/index.html"
    assert routes.month_anchor(2030, 3) == "m2030-03"
    assert routes.pretty_url("launches/x/index.html") == "launches/x/"
    assert routes.pretty_url("index.html") == ""
    assert routes.pretty_url("404.html") == "404.html"


def test_every_record_and_index_gets_one_page(tmp_path, monkeypatch):
    pages = planned(tmp_path, monkeypatch)
    by_path = {page.path: page for page in pages}
    assert len(by_path) == len(pages)  # no path twice
    expected = {
        "index.html": "home.html",
        "launches/index.html": "launches.html",
        "launches/2030/index.html": "year.html",
        "launches/2030-03-01-first/index.html": "launch.html",
        "launches/2030-04-10-second/index.html": "launch.html",
        "actors/index.html": "actors.html",
        "actors/northland/index.html": "actor.html",
        "actors/southland/index.html": "actor.html",
        "actors/south-staff/index.html": "actor.html",
        "sources/index.html": "sources.html",
        "sources/2030-03-01-daily-example/index.html": "source.html",
        "404.html": "404.html",
    }
    assert {path: by_path[path].template for path in expected} == expected
    assert by_path["launches/2030-03-01-first/index.html"].title == "First test launch"
    assert by_path["launches/2030-03-01-first/index.html"].context["view"].number_in_year == 1
    assert by_path["launches/2030/index.html"].context["year"] == 2030
    assert by_path["404.html"].absolute_links  # served at any URL, so its links cannot be relative
    assert not by_path["index.html"].absolute_links


def test_paths_are_all_relative_files(tmp_path, monkeypatch):
    for page in planned(tmp_path, monkeypatch):
        assert not page.path.startswith("/") and ".." not in page.path.split("/")
        assert page.path.rsplit("/", 1)[-1].count(".") == 1, page.path  # ends in a file name


def test_plan_is_stable(tmp_path, monkeypatch):
    first = [(p.path, p.template, p.title) for p in planned(tmp_path, monkeypatch)]
    second = [(p.path, p.template, p.title) for p in planned(tmp_path, monkeypatch)]
    assert first == second


def test_aliases_become_redirect_pages(tmp_path, monkeypatch):
    pages = planned(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md":
                                            "---\ntitle: Second\ndate: 2030-04-10\naliases: [old/second/]\n---\n"})
    [redirect] = [p for p in pages if p.template == "redirect.html"]
    assert redirect.path == "old/second/index.html"
    assert redirect.context["target"] == "launches/2030-04-10-second/index.html"
    assert redirect.origin == "content/launches/2030-04-10-second.md"


def test_an_alias_onto_a_real_page_is_refused(tmp_path, monkeypatch):
    pages = planned(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md":
                                            "---\ntitle: Second\ndate: 2030-04-10\naliases: [actors/northland/]\n---\n"})
    with pytest.raises(ContentError) as caught:
        check_unique_paths(pages)
    [problem] = caught.value.problems
    assert problem.path == "content/launches/2030-04-10-second.md"
    assert problem.message == "two pages would be written to actors/northland/index.html"


def dated_launches(dates: list[str]) -> dict[str, str]:
    return {f"content/launches/{date}-x{i}.md": f"---\ntitle: Launch {i}\ndate: {date}\n---\nText.\n"
            for i, date in enumerate(dates)}


def test_the_index_is_cut_into_pages_of_whole_months_newest_first(tmp_path, monkeypatch):
    # With the two launches of minimal_site (March and April 2030): 3 in May, 1 in June,
    # 2 in July, 1 in August 2030, 1 in January 2031.
    dates = ["2030-05-01", "2030-05-09", "2030-05-20", "2030-06-02", "2030-07-03", "2030-07-04", "2030-08-01",
             "2031-01-15"]
    site_yaml = minimal_site()["content/site.yaml"] + "per_page: 2\n"
    pages = planned(tmp_path, monkeypatch, {"content/site.yaml": site_yaml, **dated_launches(dates)})
    index = [page for page in pages if page.template == "launches.html"]
    assert [page.path for page in index] == ["launches/index.html"] + [
        f"launches/page/{n}/index.html" for n in range(2, 5)]
    shown = [[view.launch.date.isoformat() for _, _, views in page.context["years"] for view in views]
             for page in index]
    # Each page holds at least two launches, or more to end a month; the last holds what is left.
    assert shown == [["2031-01-15", "2030-08-01"], ["2030-07-04", "2030-07-03"],
                     ["2030-06-02", "2030-05-20", "2030-05-09", "2030-05-01"], ["2030-04-10", "2030-03-01"]]
    assert [(year, total) for year, total, _ in index[0].context["years"]] == [(2031, 1), (2030, 9)]
    assert [page.context["page_number"] for page in index] == [1, 2, 3, 4]
    assert {page.context["page_count"] for page in index} == {4}
    assert len({page.title for page in index}) == 4
    for page, dates_shown in zip(index, shown):  # a page shows its own launches
        assert len(page.depends_on) == len(dates_shown)
        assert len(page.own_template_may_show) == 10  # a site's own template may show them all
    site = link(validate(load_content(Path("content"))))
    assert routes.month_paths(site)[(2030, 5)] == "launches/page/3/index.html"  # where the chart's bar leads


def test_a_year_s_page_or_an_index_page_planned_alone_is_as_planned_with_the_others(tmp_path, monkeypatch):
    dates = ["2030-05-01", "2030-05-09", "2030-06-02", "2031-01-15"]
    site_yaml = minimal_site()["content/site.yaml"] + "per_page: 2\n"
    pages = {page.path: page for page in planned(tmp_path, monkeypatch,
                                                 {"content/site.yaml": site_yaml, **dated_launches(dates)})}
    site = link(validate(load_content(Path("content"))))
    for paths in (["launches/2030/index.html"], ["launches/index.html"], ["launches/page/3/index.html"],
                  ["launches/2031/index.html", "launches/page/2/index.html"], ["launches/2029/index.html"]):
        alone = routes.launch_listing_pages(site, set(paths))
        assert alone == [pages[path] for path in paths if path in pages]  # no year 2029: none


def test_a_site_without_launches_has_one_empty_index_page(tmp_path, monkeypatch):
    files = {name: text for name, text in minimal_site().items() if "/launches/" not in name}
    files["content/sources/2030-03-01-daily-example.md"] = files["content/sources/2030-03-01-daily-example.md"].replace(
        "[the launch](launch:2030-03-01-first)", "the launch")
    write_tree(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    pages = routes.plan(link(validate(load_content(Path("content")))))
    [index] = [page for page in pages if page.template == "launches.html"]
    assert index.path == "launches/index.html" and index.context["years"] == () and index.depends_on == ()


def test_an_actor_with_more_launches_than_a_page_holds_gets_pages(tmp_path, monkeypatch):
    dates = ["2030-05-01", "2030-06-01", "2030-07-01"]
    launches = {f"content/launches/{date}-x.md": f"---\ntitle: On {date}\ndate: {date}\n"
                "actors: [{id: northland, role: mentioned}]\n---\n" for date in dates}
    site_yaml = minimal_site()["content/site.yaml"] + "per_page: 2\n"
    pages = planned(tmp_path, monkeypatch, {"content/site.yaml": site_yaml, **launches})
    northland = [page for page in pages if page.path.startswith("actors/northland/")]
    assert [page.path for page in northland] == ["actors/northland/index.html", "actors/northland/page/2/index.html",
                                                 "actors/northland/page/3/index.html"]
    # By role in the vocabulary's order (launcher before mentioned), newest first within a role.
    shown = [[(role, view.launch.id[:10]) for role, view in page.context["launches"]] for page in northland]
    assert shown == [[("launcher", "2030-04-10"), ("launcher", "2030-03-01")],
                     [("mentioned", "2030-07-01"), ("mentioned", "2030-06-01")], [("mentioned", "2030-05-01")]]
    first, second, _ = northland
    assert "launch:2030-07-01-x" not in first.depends_on and "launch:2030-07-01-x" in first.own_template_may_show
    assert second.depends_on == ("actor:northland", "launch:2030-06-01-x", "launch:2030-07-01-x")
    assert second.bodies == () and first.bodies == ("actor:northland",)  # its description is on the first
    roles, ids = first.derived[2:]  # the actor's data row lists every launch and role
    assert ("mentioned", "2030-05-01-x") in zip(roles, ids)
    assert second.title == "Northland, page 2 of 3"


def test_the_sources_are_listed_in_pages_newest_first(tmp_path, monkeypatch):
    newer = "---\ntitle: A later report\noutlet: Example Wire\npublished: 2030-04-11\ncontributors: [southland]\n---\n"
    site_yaml = minimal_site()["content/site.yaml"] + "per_page: 1\n"
    pages = planned(tmp_path, monkeypatch, {"content/site.yaml": site_yaml,
                                            "content/sources/2030-04-11-wire.md": newer})
    listing = [page for page in pages if page.template == "sources.html"]
    assert [page.path for page in listing] == ["sources/index.html", "sources/page/2/index.html"]
    assert [[source.id for source in page.context["sources"]] for page in listing] == [
        ["2030-04-11-wire"], ["2030-03-01-daily-example"]]
    # A page is made of its sources and the actors their citations name (or quote).
    assert listing[0].depends_on == ("actor:southland", "source:2030-04-11-wire")
    assert listing[1].depends_on == ("actor:south-staff", "source:2030-03-01-daily-example")
    assert listing[1].title == "Sources, page 2 of 2"


def test_what_each_page_shows_is_held_as_sorted_keys_each_once():
    """Fingerprints and the plan's memory count on it (routes.keys_of): the bundled site, feeds included."""
    pages = plan_pages(load_site(Path(__file__).resolve().parent.parent / "content"))
    held = [keys for page in pages for keys in (page.depends_on, page.bodies, page.own_template_may_show)
            if keys is not None]
    assert {page.template for page in pages} >= {"launch.html", "actor.html", "feed.xml", "home.html"}
    assert sum(map(len, held)) > 300
    assert [keys for keys in held if type(keys) is not tuple or list(keys) != sorted(set(keys))] == []


def test_record_of_undoes_path_of_and_knows_no_other_page():
    for kind in ("launch", "actor", "source"):
        assert routes.record_of(routes.path_of(kind, "2031-05-06-test")) == (kind, "2031-05-06-test")
    for path in ["index.html", "launches/index.html", "launches/page/2/index.html", "actors/a/page/2/index.html",
                 "actors/a/feed.xml", "feed.xml", "data/launches.json", "search/index.html", "launches/a/b.html"]:
        assert routes.record_of(path) is None, path


def test_a_large_site_s_search_bundles_are_periods_of_whole_years_and_the_actors(tmp_path, monkeypatch):
    monkeypatch.setattr(routes, "SEARCH_SHARD_PAGES", 3)
    dates = ["2026-01-05", "2026-06-01", "2027-02-02", "2028-03-03", "2028-04-04", "2028-05-05", "2028-06-06"]
    files = dated_launches(dates)
    write_tree(tmp_path, {**minimal_site(), **files})
    monkeypatch.chdir(tmp_path)
    site = link(validate(load_content(Path("content"))))
    bundles = routes.search_bundles(site)
    pages = [page for shard in bundles.values() for page in shard]
    expected = {routes.path_of("launch", v.launch.id) for v in site.launches} | {
        routes.path_of("actor", i) for i in site.actors} | {routes.path_of("source", i) for i in site.sources}
    assert sorted(pages) == sorted(expected)  # each record's page in one bundle
    years = [{page.split("/")[1][:4] for page in shard if not page.startswith("actors/")} for shard in bundles.values()]
    # 2026 and 2027 together (3 pages), 2028 alone though it has more, 2030 (two launches and a source), the actors.
    assert years == [{"2026", "2027"}, {"2028"}, {"2030"}, set()]
    assert all(page.startswith("actors/") for page in bundles["pagefind/shard-3/"])
    assert list(bundles) == ["pagefind/", "pagefind/shard-1/", "pagefind/shard-2/", "pagefind/shard-3/"]
    # Launches in the latest year change its period's bundle alone (and the actors').
    write_tree(tmp_path, dated_launches(["2030-07-07"] * 8))
    after = routes.search_bundles(link(validate(load_content(Path("content")))))
    assert [shard for shard in after.values()][:2] == [shard for shard in bundles.values()][:2]
    # At most MAX_SEARCH_BUNDLES: past that, periods hold twice as many pages.
    monkeypatch.setattr(routes, "MAX_SEARCH_BUNDLES", 3)
    fewer = routes.search_bundles(site)
    assert len(fewer) <= 3 and max(len(shard) for shard in fewer.values()) > 3
