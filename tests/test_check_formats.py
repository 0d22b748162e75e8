"""`digest check --format text|json|github`, TODO placeholders, and the git workflow files that run check."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from generator.cli import main
from generator.errors import Problem
from tests.conftest import REPO, write_tree

BAD_LAUNCH = """\
    ---
    title: Broken launch
    date: 2030-02-30
    actors: [{id: northlnd, role: launcher}]
    ---
    Text.
    """


def run_check(site_dir, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["check", "--content", str(site_dir / "content"), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_lists_every_problem_with_its_position(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    write_tree(site_dir, {"content/launches/2030-05-01-broken.md": BAD_LAUNCH})
    code, out, err = run_check(site_dir, capsys, "--format", "json")
    assert code == 1
    assert err == ""
    problems = json.loads(out)
    assert [(p["file"], p["line"], p["column"], p["field"]) for p in problems] == [
        ("content/launches/2030-05-01-broken.md", 3, 7, "date"),
        ("content/launches/2030-05-01-broken.md", 4, 15, "actors[0].id")]
    assert problems[0]["message"] == "'2030-02-30' is not a real calendar date"
    assert problems[0]["hint"] == "check the month and day"
    assert set(problems[0]) == {"file", "line", "column", "field", "message", "hint"}


def test_json_on_a_good_site_is_an_empty_array(site_dir, capsys):
    code, out, _ = run_check(site_dir, capsys, "--format", "json")
    assert code == 0
    assert json.loads(out) == []


def test_github_annotations(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    write_tree(site_dir, {"content/launches/2030-05-01-broken.md": BAD_LAUNCH.replace("2030-02-30", "2030-05-01")})
    code, out, _ = run_check(site_dir, capsys, "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        "::error file=content/launches/2030-05-01-broken.md,line=4,col=15,title=actors[0].id"
        "::unknown actor 'northlnd' (did you mean 'northland'?)"]


def test_github_escapes_data_and_properties():
    problem = Problem("a,b:c.md", 2, 3, "x:y,z", "100% wrong\r\nsecond line", "")
    assert problem.format_github() == (
        "::error file=a%2Cb%3Ac.md,line=2,col=3,title=x%3Ay%2Cz::100%25 wrong%0D%0Asecond line")
    assert Problem("f.md", 1, 1, "", "m", "h").format_github() == "::error file=f.md,line=1,col=1,title=digest check::m (h)"


def test_text_stays_the_default(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    write_tree(site_dir, {"content/launches/2030-05-01-broken.md": BAD_LAUNCH})
    code, out, err = run_check(site_dir, capsys)
    assert code == 1 and out == ""
    assert err.splitlines()[0] == ("content/launches/2030-05-01-broken.md:3:7: error: date: "
                                   "'2030-02-30' is not a real calendar date (check the month and day)")


def test_placeholders_are_reported_until_filled(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    write_tree(site_dir, {
        "content/actors/new-person.yaml": 'name: New Person\nkind: person\ndescription: "TODO: who they are"\n',
        "content/launches/2030-05-01-third.md": "---\ntitle: Third\ndate: 2030-05-01\n---\n\nTODO: what happened\n",
    })
    code, _, err = run_check(site_dir, capsys)
    assert code == 1
    assert err.splitlines()[:2] == [
        "content/actors/new-person.yaml:3:14: error: description: placeholder not filled "
        "(replace the TODO text with the real value)",
        "content/launches/2030-05-01-third.md:6:1: error: body: placeholder not filled "
        "(write this part in your own words)",
    ]
    write_tree(site_dir, {
        "content/actors/new-person.yaml": "name: New Person\nkind: person\ndescription: A person.\n",
        "content/launches/2030-05-01-third.md": "---\ntitle: Third\ndate: 2030-05-01\n---\n\nIt happened; a TODO for later.\n",
    })
    assert run_check(site_dir, capsys)[0] == 0


# --- the git workflow: the pre-commit hook and the example CI workflow run `digest check` ---


def test_pre_commit_hook_runs_check_on_content_changes():
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "digest-check"
    assert hook["entry"] == "digest check" and hook["language"] == "python" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "content/launches/2030-01-01-x.md")
    assert not re.search(hook["files"], "README.md")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["digest"] == "generator.cli:run"  # what `language: python` installs and `entry` calls


def test_example_pages_workflow_checks_builds_and_publishes(tmp_path):
    """Run the workflow's own shell steps on a copy of the bundled site, as the runner would."""
    workflow = yaml.safe_load((REPO / "docs/examples/github-pages.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    build_steps = workflow["jobs"]["build"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in build_steps]
    assert "actions/upload-pages-artifact" in uses
    assert next(s for s in build_steps if "upload-pages-artifact" in s.get("uses", ""))["with"]["path"] == "site"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")

    kept = next(s for s in build_steps if s.get("uses", "").startswith("actions/cache@"))["with"]["path"].split()
    assert kept == [".digest-cache", "site"]

    shutil.copytree(REPO / "content", tmp_path / "content")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    commands = [s["run"] for s in build_steps if "run" in s and "pip install" not in s["run"]]
    assert [c.split()[:2] for c in commands] == [["digest", "check"], ["digest", "build"]]
    for run in ("first", "with what the cache step kept"):
        if run != "first":  # a new checkout: every content file has a new time, the same bytes
            for path in (tmp_path / "content").rglob("*"):
                os.utime(path)
        outputs = []
        for command in commands:
            command = command.replace("${{ steps.pages.outputs.base_url }}", "https://someone.github.io/digest")
            result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
            assert result.returncode == 0, (command, result.stderr)
            outputs.append(result.stdout)
        assert (tmp_path / "site/index.html").is_file()
        assert "<loc>https://someone.github.io/digest/launches/" in (tmp_path / "site/sitemap.xml").read_text()
    assert " 0 written, " in outputs[-1]  # the second build only confirmed what the first wrote
