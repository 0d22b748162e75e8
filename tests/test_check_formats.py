"""`digest check --format text|json|github`, and TODO placeholders reported until filled."""

from __future__ import annotations

import json

from tests.conftest import write_tree

from generator.cli import main
from generator.errors import Problem

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
