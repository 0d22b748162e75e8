"""Shared fixtures: tiny sites written inline, the seed texts, a headless browser."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
CHROMIUM = "/usr/bin/chromium"

SITE_YAML = """\
title: Test Digest
base_url: https://example.test/
language: en
timezone: Asia/Seoul
vocabularies:
  missile_types: [ballistic, cruise, unknown]
  roles: [launcher, reporter, responder, mentioned]
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root (text is dedented); return root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def shard_search(site_dir: Path, monkeypatch) -> None:
    """Make the minimal site's search index come in two bundles: a launch a year before its others,
    and two pages a bundle at most (routes.search_bundles puts each year's pages in one)."""
    from generator import routes

    monkeypatch.setattr(routes, "SEARCH_SHARD_PAGES", 2)
    write_tree(site_dir, {"content/launches/2029-06-01-earlier.md": "---\ntitle: An earlier launch\ndate: 2029-06-01\n---\nText.\n"})


def minimal_site() -> dict[str, str]:
    """A small valid site of our own words: two launches, one source, three actors."""
    return {
        "content/site.yaml": SITE_YAML,
        "content/actors/northland.yaml": "name: Northland\nkind: state\n",
        "content/actors/southland.yaml": "name: Southland\nkind: state\n",
        "content/actors/south-staff.yaml": "name: Southland Joint Staff\nkind: military\ncountry: southland\n",
        "content/sources/2030-03-01-daily-example.md": """\
            ---
            title: Northland tests a rocket
            outlet: Daily Example
            authors: [A. Writer]
            published: 2030-03-01
            url: https://news.example.test/rocket
            quotes:
              - {speaker: south-staff, text: "We are watching closely.", context: in a statement}
            ---
            A made-up report about [the launch](launch:2030-03-01-first).
            """,
        "content/launches/2030-03-01-first.md": """\
            ---
            title: First test launch
            date: 2030-03-01
            time: "07:30"
            location: off the coast
            missiles: [{type: ballistic, name: test rocket, count: 1}]
            distance_km: {value: 300, approx: true, per: south-staff, source: 2030-03-01-daily-example}
            actors: [{id: northland, role: launcher}, {id: south-staff, role: reporter}]
            sources: [2030-03-01-daily-example]
            ---
            [Northland](actor:northland) fired a rocket.
            """,
        "content/launches/2030-04-10-second.md": """\
            ---
            title: Second test launch
            date: 2030-04-10
            actors: [{id: northland, role: launcher}]
            ---
            Another one.
            """,
    }


@pytest.fixture(autouse=True)
def build_as_a_small_process(monkeypatch):
    """Render as a process holding less than a big build does, whatever this test process holds
    by now (it passes 512 MB in some runs, and a big build renders its pages in another order);
    the tests of the big build's way set build.SAVE_MEMORY_ABOVE themselves."""
    from generator import build

    monkeypatch.setattr(build, "SAVE_MEMORY_ABOVE", float("inf"))


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A temporary project folder holding the minimal valid site under content/."""
    return write_tree(tmp_path, minimal_site())


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"seed articles missing at {SEEDS} (CI must have ../shared beside the checkout)")
        pytest.skip(f"seed articles not found at {SEEDS}; they live in ../shared beside the checkout")
    return SEEDS


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright; a missing browser fails under CI."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def serve_dir():
    """serve_dir(root) -> 'http://127.0.0.1:PORT/': a quiet static server on loopback, stopped after the test."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    servers = []

    def start(root: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory) -> Path:
    """The bundled example site, built once with its search index, for validators and browsers."""
    from generator.build import BuildOptions, build

    # A copy, so that the build cache lands in the temporary folder, not in the repository.
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(REPO / "content", root / "content")
    build(BuildOptions(root / "content", root / "site", search=True))
    return root / "site"
