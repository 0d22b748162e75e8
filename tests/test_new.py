"""`digest new launch|source|actor`: from flags, from answers on stdin, never over a file."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
import yaml

from generator import validate
from generator.cli import main

FILLED = "Written by the editor."


def fill(text: str) -> str:
    """What an editor does with the placeholders: replace each TODO text."""
    return re.sub(r"TODO[^\"\n]*", FILLED, text)


def check(site_dir, capsys) -> tuple[int, list[str]]:
    code = main(["check", "--content", str(site_dir / "content")])
    return code, capsys.readouterr().err.splitlines()


def new(site_dir, capsys, *argv: str, stdin: str = "", monkeypatch=None) -> tuple[int, str, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["new", *argv, "--content", str(site_dir / "content")])
    out = capsys.readouterr()
    return code, out.out, out.err


def front_matter(path) -> dict:
    text = path.read_text()
    return yaml.safe_load(text.split("---\n")[1] if text.startswith("---") else text)


def test_launch_from_flags(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    code, out, _ = new(site_dir, capsys, "launch", "--date", "2030-06-02", "--title", "Northland fires two rockets",
                       "--time", "6:45", "--location", "off the north cape", "--launcher", "northland",
                       "--source", "2030-03-01-daily-example")
    assert code == 0
    path = site_dir / "content/launches/2030-06-02-northland-fires-two-rockets.md"
    assert str(path.relative_to(site_dir)) in out
    data = front_matter(path)
    assert data["title"] == "Northland fires two rockets"
    assert str(data["date"]) == "2030-06-02" and data["time"] == "06:45"
    assert data["location"] == "off the north cape"
    assert data["actors"] == [{"id": "northland", "role": "launcher"}]
    assert data["sources"] == ["2030-03-01-daily-example"]
    # As written, only the placeholder stands between the file and a clean check.
    code, errors = check(site_dir, capsys)
    assert code == 1
    todo_line = path.read_text().splitlines().index(next(l for l in path.read_text().splitlines() if "TODO" in l)) + 1
    assert errors[:-1] == [f"content/launches/2030-06-02-northland-fires-two-rockets.md:{todo_line}:1: error: body: "
                           "placeholder not filled (write this part in your own words)"]
    path.write_text(fill(path.read_text()))
    assert check(site_dir, capsys)[0] == 0


def test_source_and_actor_from_flags_pass_check_once_filled(site_dir, capsys):
    code, _, _ = new(site_dir, capsys, "source", "--published", "2030-06-03", "--outlet", "The Harbour Courier",
                     "--title", "A rocket over the bay, officials say", "--author", "Ann Teller", "--author", "B. Writer",
                     "--url", "https://courier.example.test/rocket")
    assert code == 0
    source = site_dir / "content/sources/2030-06-03-harbour-courier-rocket-over-bay-officials-say.md"
    data = front_matter(source)
    assert (data["outlet"], data["authors"], data["url"]) == (
        "The Harbour Courier", ["Ann Teller", "B. Writer"], "https://courier.example.test/rocket")

    code, _, _ = new(site_dir, capsys, "actor", "--name", "Southland's Coast Watch", "--kind", "government",
                     "--country", "southland", "--alias", "Coast Watch", "--title", "Maritime agency")
    assert code == 0
    actor = site_dir / "content/actors/southland-coast-watch.yaml"
    data = yaml.safe_load(actor.read_text())
    assert data["name"] == "Southland's Coast Watch" and data["kind"] == "government"
    assert data["country"] == "southland" and data["aliases"] == ["Coast Watch"]

    code, errors = check(site_dir, capsys)
    assert code == 1 and len(errors) == 3  # two placeholders and the count
    assert all("placeholder not filled" in line for line in errors[:-1])
    for path in (source, actor):
        path.write_text(fill(path.read_text()))
    code, errors = check(site_dir, capsys)
    assert code == 0, errors


def test_answers_on_stdin(site_dir, capsys, monkeypatch):
    answers = "\n".join([
        "Kestrel Ward",  # name
        "politician",  # kind: wrong, asked again
        "person",
        "",  # title: skipped
        "nowhere",  # country: unknown id, asked again
        "northland",
        "K. Ward, Ward",  # aliases
    ]) + "\n"
    code, out, err = new(site_dir, capsys, "actor", stdin=answers, monkeypatch=monkeypatch)
    assert code == 0, err
    data = yaml.safe_load((site_dir / "content/actors/kestrel-ward.yaml").read_text())
    assert {k: data.get(k) for k in ("name", "kind", "title", "country", "aliases")} == {
        "name": "Kestrel Ward", "kind": "person", "title": None, "country": "northland",
        "aliases": ["K. Ward", "Ward"]}
    assert "unknown kind 'politician'" in err
    assert "unknown actor 'nowhere'" in err
    assert err.count("Kind (") == 2


def test_flags_given_are_not_asked_again(site_dir, capsys, monkeypatch):
    # Title missing: asked for it, and for the optional values not given; the date comes from the flag.
    answers = "Rocket seen from the ferry\n\n\n\n\n"
    code, _, err = new(site_dir, capsys, "launch", "--date", "2030-07-01", stdin=answers, monkeypatch=monkeypatch)
    assert code == 0
    assert "Date of the launch" not in err and "Title" in err
    data = front_matter(site_dir / "content/launches/2030-07-01-rocket-seen-from-ferry.md")
    assert data["title"] == "Rocket seen from the ferry" and data["actors"] == []


def test_stdin_through_the_console_script(site_dir):
    digest = [sys.executable, "-m", "generator"]
    result = subprocess.run([*digest, "new", "source", "--content", "content"], cwd=site_dir, text=True,
                            capture_output=True, input="2030-06-04\nDaily Example\nA second report\n\n\n")
    assert result.returncode == 0, result.stderr
    path = site_dir / "content/sources/2030-06-04-daily-example-second-report.md"
    assert front_matter(path)["authors"] == []


def test_missing_value_without_answers_is_a_usage_error(site_dir, capsys, monkeypatch):
    code, _, err = new(site_dir, capsys, "launch", "--title", "No date", stdin="", monkeypatch=monkeypatch)
    assert code == 2
    assert "digest: error: missing --date (give it as a flag or answer the question)" in err
    assert not list((site_dir / "content/launches").glob("*no-date*"))


@pytest.mark.parametrize("argv, message", [
    (["launch", "--date", "2030-02-30", "--title", "X"], "--date: '2030-02-30' is not a real calendar date"),
    (["launch", "--date", "2030-02-03", "--title", "X", "--time", "25:00"], "--time: '25:00' is not a time"),
    (["launch", "--date", "2030-02-03", "--title", "X", "--launcher", "northlnd"], "--launcher: unknown actor 'northlnd'"),
    (["source", "--published", "2030-02-03", "--outlet", "O", "--title", "T", "--url", "ftp://x"],
     "--url: 'ftp://x' is not an http or https URL"),
    (["actor", "--name", "X", "--kind", "people"], "--kind: unknown kind 'people'"),
    (["launch", "--date", "2030-02-03", "--title", "!!!"], "cannot make a file name"),
])
def test_bad_flags(site_dir, capsys, argv, message):
    before = sorted(p.name for p in (site_dir / "content").rglob("*"))
    code, _, err = new(site_dir, capsys, *argv)
    assert code == 2
    assert message in err
    assert sorted(p.name for p in (site_dir / "content").rglob("*")) == before


def test_never_overwrites(site_dir, capsys):
    existing = site_dir / "content/launches/2030-03-01-first.md"
    before = existing.read_text()
    code, _, err = new(site_dir, capsys, "launch", "--date", "2030-03-01", "--title", "First")
    assert code == 1
    assert f"{existing} already exists; not overwritten" in err
    assert existing.read_text() == before
    # The same id with another suffix counts too: two files may not share an id.
    code, _, err = new(site_dir, capsys, "actor", "--name", "Northland", "--kind", "state")
    assert code == 1 and "northland.yaml already exists" in err


@pytest.mark.parametrize("kind, argv, table", [
    ("launch", ["--date", "2030-01-02", "--title", "T"], validate.LAUNCH_FIELDS),
    ("source", ["--published", "2030-01-02", "--outlet", "O", "--title", "T"], validate.SOURCE_FIELDS),
    ("actor", ["--name", "Someone New", "--kind", "person"], validate.ACTOR_FIELDS),
])
def test_new_files_show_every_field_of_the_schema(site_dir, capsys, kind, argv, table):
    before = set((site_dir / "content").rglob("*"))
    assert new(site_dir, capsys, kind, *argv)[0] == 0
    [path] = set((site_dir / "content").rglob("*")) - before  # the one new file
    keys = set(re.findall(r"^#? ?([a-z_]+):", path.read_text(), re.M))
    assert set(table) <= keys
