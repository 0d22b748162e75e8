"""One broken input per row: the exact error line, exit status 1, and the previous build left as it was.

A good site is built once; each row copies that project, breaks it, and runs
`digest build` and `digest check` again. Expected lines are written by hand
from the broken input (file, line, column, field, message and hint).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import BuildOptions, Memory, build
from generator.cli import main
from generator.errors import ContentError
from tests.conftest import REPO, SITE_YAML, minimal_site, write_tree

BROKEN = "content/launches/2030-06-01-broken.md"
WEST = "content/actors/westland.yaml"
BAD_SOURCE = "content/sources/2030-06-01-bad-link.md"


def launch(fields: str = "", body: str = "Text.\n", date: str = "2030-06-01") -> str:
    """A launch file whose `fields` start on line 4 and whose body starts on line 6 (+ field lines - 1)."""
    return f"---\ntitle: Broken launch\ndate: {date}\n{fields}\n---\n{body}"


def source(url: str) -> str:
    return f"---\ntitle: A report\noutlet: Example Wire\npublished: 2030-06-01\nurl: {url}\n---\n"


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes | None]  # None deletes the file
    errors: list[str]
    extra: tuple[str, ...] = field(default=())  # more arguments to `digest build`


CASES = [
    Case("unknown key typo", {BROKEN: launch("soruces: [2030-03-01-daily-example]")},
         [f"{BROKEN}:4:1: error: soruces: unknown field (did you mean 'sources'?)"]),
    Case("unknown key in a nested mapping", {BROKEN: launch("actors: [{id: northland, rol: launcher}]")},
         [f"{BROKEN}:4:10: error: actors[0].role: missing required field (add 'role: ...')",
          f"{BROKEN}:4:26: error: actors[0].rol: unknown field (did you mean 'role'?)"]),
    Case("unknown actor id", {BROKEN: launch("actors: [{id: northlnd, role: launcher}]")},
         [f"{BROKEN}:4:15: error: actors[0].id: unknown actor 'northlnd' (did you mean 'northland'?)"]),
    Case("unknown source id", {BROKEN: launch("sources: [2030-03-01-daily-exampl]")},
         [f"{BROKEN}:4:11: error: sources[0]: unknown source '2030-03-01-daily-exampl' "
          "(did you mean '2030-03-01-daily-example'?)"]),
    Case("unknown quote speaker", {BAD_SOURCE: source("https://wire.example.test/a").replace(
        "url:", 'quotes: [{speaker: nortland, text: "Hello."}]\nurl:')},
         [f"{BAD_SOURCE}:5:20: error: quotes[0].speaker: unknown actor 'nortland' (did you mean 'northland'?)"]),
    Case("unknown launch in a body link", {BROKEN: launch(body="First line.\n\nSee [the first](launch:2030-03-01-frist).\n")},
         [f"{BROKEN}:8:17: error: body: unknown launch '2030-03-01-frist' (did you mean '2030-03-01-first'?)"]),
    Case("unknown actor in a YAML block description",
         {WEST: "name: Westland\nkind: state\ndescription: |\n  Borders [Northland](actor:northlnd).\n"},
         [f"{WEST}:4:23: error: description: unknown actor 'northlnd' (did you mean 'northland'?)"]),
    Case("duplicate id across .md and .yaml",
         {"content/launches/2030-04-10-second.yaml": "title: A copy\ndate: 2030-04-10\n"},
         ["content/launches/2030-04-10-second.yaml:1:1: error: duplicate id '2030-04-10-second' "
          "(also defined in content/launches/2030-04-10-second.md; rename one of the files)"]),
    Case("impossible date", {BROKEN: launch(date="2022-02-30")},
         [f"{BROKEN}:3:7: error: date: '2022-02-30' is not a real calendar date (check the month and day)"]),
    Case("date in another format", {BROKEN: launch(date="05/01/2022")},
         [f"{BROKEN}:3:7: error: date: '05/01/2022' is not a date (write it as YYYY-MM-DD, e.g. 2022-01-05)"]),
    Case("impossible time", {BROKEN: launch('time: "25:00"')},
         [f"{BROKEN}:4:7: error: time: '25:00' is not a real time of day (hours run 00-23, minutes 00-59)"]),
    Case("unquoted time read as a number", {BROKEN: launch("time: 8:07")},
         [f'{BROKEN}:4:7: error: time: YAML read 8:07 as the number 487 (put the time in quotes: "08:07")']),
    Case("unknown timezone", {BROKEN: launch("timezone: Asia/Tokio")},
         [f"{BROKEN}:4:11: error: timezone: unknown timezone 'Asia/Tokio' (did you mean 'Asia/Tokyo'?)"]),
    Case("country NO read as false", {WEST: "name: Westland\nkind: person\ncountry: NO\n"},
         [f'{WEST}:3:10: error: country: expected text, but YAML read NO as the boolean false '
          '(put it in quotes: "NO")']),
    Case("country that is not a state", {WEST: "name: Westland\nkind: person\ncountry: south-staff\n"},
         [f"{WEST}:3:10: error: country: 'south-staff' is a military, not a state "
          "(a country names an actor of kind 'state')"]),
    Case("list where text is expected", {BROKEN: launch("location: [east, west]")},
         [f"{BROKEN}:4:11: error: location: expected text, got a list"]),
    Case("text where a number is expected", {BROKEN: launch("apogee_km: high")},
         [f"{BROKEN}:4:12: error: apogee_km: expected a number, {{value, per, source}} or "
          "{min, max, per, source}, got 'high'"]),
    Case("zero missiles", {BROKEN: launch("missiles: [{type: ballistic, count: 0}]")},
         [f"{BROKEN}:4:37: error: missiles[0].count: expected a whole number of at least 1, got the number 0"]),
    Case("not UTF-8", {WEST: b"name: Caf\xe9\nkind: state\n"},
         [f"{WEST}:1:10: error: file is not UTF-8 text: byte 0xe9 (save it with UTF-8 encoding)"]),
    Case("empty file", {"content/sources/2030-05-01-empty.md": ""},
         ["content/sources/2030-05-01-empty.md:1:1: error: file is empty (add the record's fields, or delete the file)"]),
    Case("broken YAML", {BROKEN: launch().replace("title: Broken launch", "title: Launch: the sequel")},
         [f"{BROKEN}:2:14: error: invalid YAML: mapping values are not allowed in this context "
          "(check indentation, colons and quotes)"]),
    Case("control character in YAML", {BROKEN: launch("location: east\x1f")},
         [f"{BROKEN}:4:15: error: invalid YAML: character U+001F is not allowed (remove the control character)"]),
    Case("YAML that is a list", {WEST: "- name: Westland\n- kind: state\n"},
         [f"{WEST}:1:1: error: expected 'key: value' fields at the top level"]),
    Case("front matter not closed", {BROKEN: "---\ntitle: Open\ndate: 2030-06-01\n\nText.\n"},
         [f"{BROKEN}:1:1: error: front matter is not closed (end the YAML fields with a line '---')"]),
    Case("no front matter", {BROKEN: "title: Bare\ndate: 2030-06-01\n"},
         [f"{BROKEN}:1:1: error: no front matter "
          "(start the file with a line '---', the YAML fields, and another '---')"]),
    Case("javascript: url", {BAD_SOURCE: source("javascript:alert(1)")},
         [f"{BAD_SOURCE}:5:6: error: url: 'javascript:alert(1)' is not an http or https URL "
          "(links must start with http:// or https://)"]),
    Case("ftp: url", {BAD_SOURCE: source("ftp://files.example.test/report.txt")},
         [f"{BAD_SOURCE}:5:6: error: url: 'ftp://files.example.test/report.txt' is not an http or https URL "
          "(links must start with http:// or https://)"]),
    Case("javascript: link in a body", {BROKEN: launch(body="Click [here](javascript:alert(1)).\n")},
         [f"{BROKEN}:6:14: error: body: link scheme 'javascript:' is not allowed "
          "(link with http://, https://, launch:, actor: or source:)"]),
    Case("file name that is not an id", {"content/actors/West_Land.yaml": "name: Westland\nkind: state\n"},
         ["content/actors/West_Land.yaml:1:1: error: file name 'West_Land' is not a valid id "
          "(rename the file with lowercase letters, digits and hyphens)"]),
    Case("missing required field", {BROKEN: "---\ndate: 2030-06-01\n---\nText.\n"},
         [f"{BROKEN}:2:1: error: title: missing required field (add 'title: ...')"]),
    Case("range with min above max", {BROKEN: launch("apogee_km: {min: 90, max: 25}")},
         [f"{BROKEN}:4:12: error: apogee_km: min 90 is larger than max 25"]),
    Case("value and range together", {BROKEN: launch("distance_km: {value: 50, min: 25, max: 90}")},
         [f"{BROKEN}:4:14: error: distance_km: has both 'value' and a range "
          "(give either 'value' or 'min' and 'max', not both)"]),
    Case("fact source the launch does not cite",
         {BROKEN: launch("distance_km: {value: 5, source: 2030-03-01-daily-example}")},
         [f"{BROKEN}:4:33: error: distance_km.source: source '2030-03-01-daily-example' is not in the "
          "launch's sources (add it to 'sources:')"]),
    Case("unknown missile type", {BROKEN: launch("missiles: [{type: balistic}]")},
         [f"{BROKEN}:4:19: error: missiles[0].type: unknown missile type 'balistic' (did you mean 'ballistic'?)"]),
    Case("unknown role", {BROKEN: launch("actors: [{id: northland, role: launch}]")},
         [f"{BROKEN}:4:32: error: actors[0].role: unknown role 'launch' (did you mean 'launcher'?)"]),
    Case("negative number", {BROKEN: launch("flight_time_min: -3")},
         [f"{BROKEN}:4:18: error: flight_time_min: must not be negative"]),
    Case("duplicate YAML key", {BROKEN: launch("location: east\nlocation: west")},
         [f"{BROKEN}:5:1: error: location: key appears twice (keep one of them)"]),
    Case("unknown outcome", {BROKEN: launch("outcome: sucess")},
         [f"{BROKEN}:4:10: error: outcome: unknown outcome 'sucess' (did you mean 'success'?)"]),
    Case("coordinates off the Earth", {BROKEN: launch("coordinates: [91, 200]")},
         [f"{BROKEN}:4:14: error: coordinates: [91, 200] is not on Earth (latitude is -90..90, longitude -180..180)"]),
    Case("alias climbing out of the site", {BROKEN: launch("aliases: [../outside/]")},
         [f"{BROKEN}:4:11: error: aliases[0]: '../outside/' is not a path inside the site "
          "(write an old URL path such as launches/old-name/)"]),
    Case("alias that names a file", {BROKEN: launch("aliases: [old/launch.html]")},
         [f"{BROKEN}:4:11: error: aliases[0]: 'old/launch.html' ends in a file name "
          "(an alias is a folder path such as launches/old-name/)"]),
    Case("launch named like a year", {"content/launches/2030.md": launch()},
         ["content/launches/2030.md:1:1: error: file name '2030' is taken by the page of a year "
          "(name the file after the date and a few words, e.g. 2030-04-10-east-coast)"]),
    Case("launch named like the index's pages", {"content/launches/page.md": launch()},
         ["content/launches/page.md:1:1: error: file name 'page' is taken by the later pages of the list of launches "
          "(name the file after the date and a few words, e.g. 2030-04-10-east-coast)"]),
    Case("source named like the sources' pages", {"content/sources/page.md": source("https://example.test/a")},
         ["content/sources/page.md:1:1: error: file name 'page' is taken by the later pages of the list of sources "
          "(name the file after the date and a few words, e.g. 2030-04-10-east-coast)"]),
    Case("date outside the years a digest holds", {BROKEN: launch('time: "23:59"\ntimezone: America/New_York',
                                                               date="9999-12-31")},
         [f"{BROKEN}:3:7: error: date: '9999-12-31' is not between the years 1900 and 2100 (check the year)"]),
    Case("number that is not finite", {BROKEN: launch("distance_km: .nan")},
         [f"{BROKEN}:4:14: error: distance_km: expected a number, got .nan"]),
    Case("explicit YAML tag that cannot be read", {BROKEN: launch("location: !!int east")},
         [f"{BROKEN}:4:11: error: location: cannot read value: invalid literal for int() with base 10: 'east'"]),
    Case("YAML alias inside itself", {BROKEN: launch("tags: &loop [*loop]")},
         [f"{BROKEN}:4:7: error: tags[0]: value contains itself (remove the YAML alias (*name) here)"]),
    Case("updated before published", {BAD_SOURCE: source("https://wire.example.test/a").replace(
        "url:", "updated: 2030-05-01\nurl:")},
         [f"{BAD_SOURCE}:5:10: error: updated: 2030-05-01 is before the publication date 2030-06-01"]),
    Case("published record linking to a draft", {
        BROKEN: launch(body="See [the draft](launch:2030-07-01-draft).\n"),
        "content/launches/2030-07-01-draft.md": launch("draft: true", date="2030-07-01")},
         [f"{BROKEN}:6:17: error: body: launch '2030-07-01-draft' is a draft "
          "(publish it by removing 'draft: true', or build with --drafts)"]),
    Case("stray file among records", {"content/launches/notes.txt": "to do"},
         ["content/launches/notes.txt:1:1: error: unexpected file in launches/ "
          "(records are .md or .yaml files; move or rename it)"]),
    Case("base_url that is not a web address", {"content/site.yaml": SITE_YAML.replace(
        "https://example.test/", "example.test")},
         ["content/site.yaml:2:11: error: base_url: 'example.test' is not an http or https URL "
          "(links must start with http:// or https://)"]),
    Case("page size that is no whole number", {"content/site.yaml": SITE_YAML + "per_page: 0\n"},
         ["content/site.yaml:8:11: error: per_page: expected a whole number of at least 1, got the number 0"]),
    Case("missing site.yaml", {"content/site.yaml": None},
         ["content/site.yaml:1:1: error: missing site.yaml (create it with at least 'title:' and 'base_url:')"]),
    Case("template with a syntax error", {"templates/launch.html":
                                          "{% extends 'base.html' %}\n{% block main %}\n{% if page %}\n{% endblock %}\n"},
         ["templates/launch.html:4:1: error: template error: Encountered unknown tag 'endblock'. You probably made "
          "a nesting mistake. Jinja is expecting this tag, but currently looking for 'elif' or 'else' or 'endif'. "
          "The innermost block that needs to be closed is 'if'."]),
    Case("template that fails while rendering", {"templates/launch.html":
                                                 "{% extends 'base.html' %}\n{% block main %}\n{{ 1 // 0 }}\n{% endblock %}\n"},
         ["templates/launch.html:3:1: error: template error: integer division or modulo by zero"]),
]


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root, with its bytes and modification time."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project with the minimal site built into site/, made once and copied by each test."""
    root = write_tree(tmp_path_factory.mktemp("built"), minimal_site())
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert main(["build"]) == 0
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture
def project(built, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(built, root)  # copies keep their modification times
    monkeypatch.chdir(root)
    return root


def apply(root: Path, files: dict[str, str | bytes | None]) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
        elif isinstance(text, bytes):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
        else:
            write_tree(root, {name: text})


def test_the_table_is_long_and_its_rows_distinct():
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)
    assert len({tuple(case.errors) for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_input(project, case, capsys):
    before = tree(project / "site")
    apply(project, case.files)
    neighbours = sorted(p.name for p in project.iterdir())
    capsys.readouterr()

    assert main(["build", *case.extra]) == 1
    out, err = capsys.readouterr()
    summary = f"{len(case.errors)} problem(s); nothing was written."
    assert err.splitlines() == [*case.errors, summary]
    assert out == ""
    assert tree(project / "site") == before  # byte for byte, and not even touched
    assert sorted(p.name for p in project.iterdir()) == neighbours  # no staging directory left over

    assert main(["check"]) == 1
    assert capsys.readouterr().err.splitlines() == [*case.errors, summary]

    # The preview's build (`digest serve --no-drafts`), its plan kept in memory, says the same.
    with pytest.raises(ContentError) as raised:
        build(BuildOptions(Path("content"), project / "preview", search=False), memory=Memory())
    assert [problem.format() for problem in raised.value.problems] == case.errors


def test_every_problem_of_a_file_with_many_is_reported_in_one_run(project, capsys):
    apply(project, {BROKEN: """\
        ---
        title: Many problems
        date: 2030-02-30
        time: 8:07
        timezone: Asia/Tokio
        soruces: [2030-03-01-daily-example]
        actors: [{id: northlnd, role: launcher}]
        ---
        [Bad](javascript:alert(1)) and [worse](launch:nowhere).
        """})
    assert main(["check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": error: ")[0] for line in lines[:-1]] == [
        f"{BROKEN}:3:7", f"{BROKEN}:4:7", f"{BROKEN}:5:11", f"{BROKEN}:6:1", f"{BROKEN}:7:15",
        f"{BROKEN}:9:7", f"{BROKEN}:9:40"]
    assert lines[-1] == "7 problem(s); nothing was written."


def test_problems_in_several_files_come_sorted_by_file_and_line(project, capsys):
    apply(project, {WEST: "name: Westland\nkind: stat\n", BROKEN: launch("outcome: sucess")})
    assert main(["check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [WEST, BROKEN]
    assert lines[-1] == "2 problem(s); nothing was written."


SCALARS = ["", "x", "-1", "1.5", "8:07", '"25:00"', "2030-02-30", "[]", "{}", "[a, 1]", "{value: 1}", "{min: 2, max: 1}",
           "~", "NO", "yes", ".nan", "!!binary aGk=", "!!int x", "!!python/object:os.system x", "&a [*a]", "*nowhere",
           "[{id: northland}]", "[{id: x, role: y, z: 1}]", "'", "[../x]", "{? [a]: b}", "!!set {a}", "\"\\x00\""]
KEYS = ["title", "date", "time", "timezone", "location", "coordinates", "missiles", "distance_km", "outcome",
        "actors", "sources", "aliases", "updates", "draft", "name", "kind", "country", "quotes", "url", "publishd"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folder=st.sampled_from(["launches", "sources", "actors"]), suffix=st.sampled_from([".md", ".yaml"]),
       fields=st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(SCALARS), st.text(max_size=12))),
                       max_size=6),
       body=st.one_of(st.sampled_from(["[a](launch:)", "<ftp://x>", "[b]: actor:NO", "![c](javascript:x)"]),
                      st.text(max_size=30)))
def test_no_input_makes_a_traceback(built, tmp_path_factory, folder, suffix, fields, body):
    """Whatever a file holds, `digest check` answers 0 or 1 with one line per problem."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(built / "content", root / "content")
    front = "".join(f"{key}: {value}\n" for key, value in fields)
    text = f"---\n{front}---\n{body}\n" if suffix == ".md" else front + f"body: {body!r}\n"
    (root / "content" / folder / f"2030-09-09-fuzz{suffix}").write_text(text, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["check"])
    finally:
        os.chdir(cwd)
    lines = err.getvalue().splitlines()
    assert code in (0, 1)
    assert code == 0 or (lines[-1].endswith("problem(s); nothing was written.")
                         and all(re.match(r"^[^:\n]+:\d+:\d+: error: ", line) for line in lines[:-1]))


@pytest.mark.parametrize("was_a_file", [False, True], ids=["new link", "file's target removed"])
def test_a_link_to_nothing_is_one_error_line(project, capsys, was_a_file):
    target = project / "elsewhere.md"
    target.write_text(launch())
    (project / BROKEN).symlink_to(target)
    if was_a_file:  # read once, so that the cache knows it
        assert main(["build"]) == 0
    target.unlink()
    before = tree(project / "site")
    capsys.readouterr()
    for command in ("build", "check"):
        assert main([command]) == 1
        assert capsys.readouterr().err.splitlines()[-2:] == [
            f"{BROKEN}:1:1: error: file cannot be read: No such file or directory "
            "(fix the file's permissions or the link, or remove it)",
            "1 problem(s); nothing was written."]
    assert tree(project / "site") == before


@pytest.mark.parametrize("out, message", [
    ("content", "output directory content is the content directory; choose another --out"),
    (".", "output directory . contains the content directory; choose another --out"),
    ("notes", "output directory notes is not empty and was not made by digest; empty it or choose another --out"),
    ("content/site", "output directory content/site is inside the content directory; choose another --out"),
])
def test_refused_output_directories_are_usage_errors(project, capsys, out, message):
    write_tree(project, {"notes/todo.txt": "my own file\n"})
    before = tree(project)
    capsys.readouterr()
    assert main(["build", "--out", out]) == 2
    assert capsys.readouterr().err.splitlines() == [f"digest: error: {message}"]
    assert tree(project) == before


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in ("unquoted time read as a number", "not UTF-8")],
                         ids=lambda case: case.name)
def test_a_real_process_prints_the_same_lines_and_no_traceback(project, case):
    before = tree(project / "site")
    apply(project, case.files)
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [*case.errors, f"{len(case.errors)} problem(s); nothing was written."]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert tree(project / "site") == before
