"""Search in a real browser: the Pagefind index built by `digest build`, served over http."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.build import BuildOptions, build, load_site
from tests.conftest import shard_search

JANUARY = "launches/2022-01-05-east-coast-ballistic-missile/index.html"
MAY = "launches/2022-05-04-capital-region-ballistic-missile/index.html"


def results_for(page, query: str) -> list[str]:
    """Type a query into the search box; the absolute URLs of the results."""
    box = page.locator(".pagefind-ui__search-input")
    box.fill(query)
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    page.wait_for_function("() => !document.querySelector('.pagefind-ui__loading')")
    return page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")


@pytest.mark.parametrize("query, expected", [("Kishida", JANUARY), ("capital region", MAY)])
def test_search_page_finds_the_launch(browser, bundled_site, serve_dir, query, expected):
    root = serve_dir(bundled_site)
    page = browser.new_page()
    page.goto(root + "search/index.html")
    assert root + expected in results_for(page, query)
    page.close()


def test_a_result_opens_its_page(browser, bundled_site, serve_dir):
    root = serve_dir(bundled_site)
    page = browser.new_page()
    page.goto(root + "search/index.html")
    results_for(page, "Kishida")
    page.locator(".pagefind-ui__result-link", has_text="possible ballistic missile").first.click()
    page.wait_for_load_state()
    assert page.url == root + JANUARY
    assert "Fumio Kishida" in page.locator("main").inner_text()
    page.close()


def test_query_in_the_address_searches_at_once(browser, bundled_site, serve_dir):
    root = serve_dir(bundled_site)
    page = browser.new_page()
    page.goto(root + "search/index.html?q=Kishida")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
    assert page.locator(".pagefind-ui__search-input").input_value() == "Kishida"
    page.close()


def test_only_launches_actors_and_sources_are_indexed(bundled_site):
    meta = [p.name for p in (bundled_site / "pagefind").glob("pagefind.*.pf_meta")]
    assert meta, "no search index was written"
    indexed = [p for p in bundled_site.rglob("index.html") if "data-pagefind-body" in p.read_text()]
    kinds = {p.relative_to(bundled_site).parts[0] for p in indexed}
    assert kinds == {"launches", "actors", "sources"}
    assert "data-pagefind-body" not in (bundled_site / "launches/index.html").read_text()


def test_no_search_builds_and_says_search_is_unavailable(site_dir, browser, serve_dir):
    out = site_dir / "site"
    build(BuildOptions(site_dir / "content", out))  # search is off unless asked for
    assert not (out / "pagefind").exists()
    page = browser.new_page()
    page.goto(serve_dir(out) + "search/index.html")
    page.locator("#search-unavailable").wait_for(state="visible", timeout=10000)
    page.close()


def test_build_indexes_by_default_and_no_search_warns(site_dir, capsys, monkeypatch):
    from generator.cli import main

    monkeypatch.chdir(site_dir)
    assert main(["build"]) == 0
    assert Path("site/pagefind/pagefind-ui.js").is_file()
    assert "warning" not in capsys.readouterr().err
    assert main(["build", "--no-search"]) == 0
    assert "warning: --no-search" in capsys.readouterr().err
    assert not Path("site/pagefind").exists() and Path("site/search/index.html").is_file()


def test_search_index_is_the_same_on_every_build(site_dir):
    bundles = []
    for name in ("one", "two"):
        build(BuildOptions(site_dir / "content", site_dir / name, search=True), incremental=False)
        bundle = site_dir / name / "pagefind"
        bundles.append({p.relative_to(bundle): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()})
    assert bundles[0] and bundles[0] == bundles[1]


def test_unchanged_pages_reuse_the_index_on_disk(site_dir, monkeypatch):
    from generator import search

    options = BuildOptions(site_dir / "content", site_dir / "site", search=True)
    build(options)
    bundle = site_dir / "site/pagefind"
    before = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    calls = []
    real = search.run_pagefind
    monkeypatch.setattr(search, "run_pagefind", lambda root, bundle: calls.append(root) or real(root, bundle))
    build(options)
    assert calls == [] and {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before
    # A damaged bundle is rebuilt, and so is the bundle of changed pages.
    next(bundle.glob("fragment/*")).write_bytes(b"damaged")
    build(options)
    assert len(calls) == 1 and {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before
    page = site_dir / "content/launches/2030-04-10-second.md"
    page.write_text(page.read_text().replace("Another one.", "Another one, with new words."))
    build(options)
    assert len(calls) == 2


def test_a_large_site_s_index_is_in_shards_that_are_searched_together(tmp_path, monkeypatch, browser, serve_dir):
    from generator import routes
    from tests.conftest import REPO

    monkeypatch.setattr(routes, "SEARCH_SHARD_PAGES", 4)  # as if the bundled site were large
    shutil.copytree(REPO / "content", tmp_path / "content")
    # Its launches are of one year, which one bundle takes whole: a copy of one, dated a year later.
    (tmp_path / "content/launches/2023-05-04-capital-region-missile.md").write_text(
        (tmp_path / "content/launches/2022-05-04-capital-region-ballistic-missile.md").read_text()
        .replace("date: 2022-05-04", "date: 2023-05-04"))
    build(BuildOptions(tmp_path / "content", tmp_path / "site", search=True))
    bundles = sorted(p.parent.relative_to(tmp_path / "site").as_posix()
                     for p in (tmp_path / "site/pagefind").rglob("pagefind-entry.json"))
    assert len(bundles) > 1 and bundles[0] == "pagefind"
    page = browser.new_page()
    page.goto(serve_dir(tmp_path / "site") + "search/index.html")
    paths = [url.split("/", 3)[3] for url in results_for(page, "missile")]  # the results' paths on the server
    shard = {path: bundle for bundle, shard in routes.search_bundles(load_site(tmp_path / "content")).items()
             for path in shard}
    assert len({shard[path] for path in paths}) > 1, paths  # found in more than one bundle
    assert any(path.startswith("launches/") for path in paths)
    page.close()


def test_an_edit_indexes_again_only_the_shard_of_the_page_it_changes(site_dir, monkeypatch):
    from generator import routes, search

    shard_search(site_dir, monkeypatch)
    options = BuildOptions(site_dir / "content", site_dir / "site", search=True)
    build(options)
    calls = []
    real = search.run_pagefind
    monkeypatch.setattr(search, "run_pagefind", lambda root, bundle: calls.append(bundle) or real(root, bundle))
    page = site_dir / "content/launches/2030-04-10-second.md"
    page.write_text(page.read_text().replace("Another one.", "Another one, with new words."))
    build(options)
    bundles = routes.search_bundles(load_site(site_dir / "content"))
    assert len(bundles) > 1
    assert calls == [next(b for b, shard in bundles.items() if "launches/2030-04-10-second/index.html" in shard)]


def test_the_scratch_folder_goes_beside_the_site_or_else_where_temporary_files_go(tmp_path):
    from generator.search import scratch_folder

    with scratch_folder(tmp_path) as beside:
        assert Path(beside).parent == tmp_path
    (tmp_path / "a-file").write_text("not a folder\n")
    with scratch_folder(tmp_path / "a-file") as elsewhere:
        assert Path(elsewhere).is_dir() and tmp_path not in Path(elsewhere).parents


def kept_trees(site_dir: Path) -> dict[str, dict[str, Path]]:
    """Each kept folder of pages given to Pagefind (cache.search_trees_path): its files by path."""
    trees = next((site_dir / ".digest-cache").glob("build-*.search"))
    return {tree.name: {p.relative_to(tree).as_posix(): p for p in tree.rglob("*") if p.is_file()}
            for tree in sorted(trees.iterdir())}


def test_the_folders_of_pages_given_to_pagefind_are_kept_and_follow_the_site(site_dir, monkeypatch):
    shard_search(site_dir, monkeypatch)
    third = site_dir / "content/launches/2030-05-01-third.md"
    third.write_text("---\ntitle: Third test launch\ndate: 2030-05-01\n---\nA third one.\n")
    options = BuildOptions(site_dir / "content", site_dir / "site", search=True)
    build(options)
    site = site_dir / "site"
    trees = kept_trees(site_dir)
    assert len(trees) > 1
    for files in trees.values():  # links to the site's pages, not copies
        assert files and all(path.endswith(".html") and tree_file.samefile(site / path)
                             for path, tree_file in files.items())
    edited, removed = "launches/2030-04-10-second/index.html", "launches/2030-05-01-third/index.html"
    tree_of = {path: name for name, files in trees.items() for path in files}
    folder = trees[tree_of[edited]][edited].parent.parent  # launches/ in the edited page's folder of pages
    folder_before = folder.stat().st_ino
    page = site_dir / "content/launches/2030-04-10-second.md"
    page.write_text(page.read_text().replace("Another one.", "Another one, with new words."))
    third.unlink()
    build(options)
    after = kept_trees(site_dir)
    assert after[tree_of[edited]][edited].read_bytes() == (site / edited).read_bytes()
    assert folder.stat().st_ino == folder_before  # changed in place, not made again
    assert removed not in after[tree_of[removed]]  # or Pagefind would index a page that is gone
    # A full build writes every page anew: the folders of the bundles it kept would hold the old site.
    build(options, incremental=False)
    for files in kept_trees(site_dir).values():
        assert all(tree_file.samefile(site / path) for path, tree_file in files.items())


def test_without_a_folder_to_keep_the_pages_in_a_scratch_folder_does(tmp_path):
    from generator.search import page_tree

    (tmp_path / "a-file").write_text("not a folder\n")
    with page_tree(tmp_path / "a-file" / "tree", tmp_path) as root:
        assert root.is_dir() and root.parent == tmp_path
    assert not root.exists()


def test_the_folders_of_pages_of_an_output_directory_that_is_gone_are_deleted(site_dir):
    build(BuildOptions(site_dir / "content", site_dir / "other", search=True))
    kept = list((site_dir / ".digest-cache").glob("build-*.search"))
    assert len(kept) == 1 and any(kept[0].rglob("*.html"))
    shutil.rmtree(site_dir / "other")
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    assert not kept[0].exists()
