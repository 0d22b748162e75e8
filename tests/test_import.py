"""`digest import`: pasted article text -> a source file with metadata and attributed quotes.

The two seed articles, and a dozen article shapes written for these tests
(tests/import_samples/: invented outlets, people and places).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from tests.conftest import REPO, SITE_YAML, write_tree

from generator.cli import main
from generator.importer import import_article, load_cast, make_cast, read_article

SAMPLES = Path(__file__).parent / "import_samples"

# The invented world of the samples, as a site's actors.
SAMPLE_ACTORS = {
    "associated-press.yaml": "name: Associated Press\nkind: organization\naliases: [The Associated Press, AP]\n",
    "meridian-news-agency.yaml": "name: Meridian News Agency\nkind: organization\naliases: [Meridian]\n",
    "coastal-wire-service.yaml": "name: Coastal Wire Service\nkind: organization\naliases: [Coastal Wire, CWS]\n",
    "northland.yaml": "name: Northland\nkind: state\n",
    "southland.yaml": "name: Southland\nkind: state\n",
    "southland-joint-staff-command.yaml": "name: Southland's Joint Staff Command\nkind: military\ncountry: southland\n",
    "ilse-varga.yaml": "name: Ilse Varga\nkind: person\ntitle: Foreign Minister of Southland\ncountry: southland\n",
    "tomas-brenn.yaml": "name: Tomas Brenn\nkind: person\ntitle: Defense Minister of Southland\n",
    "han-seo-yun.yaml": "name: Han Seo-yun\nkind: person\ntitle: President of Southland\n",
    "oskar-vell.yaml": "name: Oskar Vell\nkind: person\ntitle: Leader of Northland\n",
    "port-elsin-harbor-authority.yaml": "name: Port Elsin Harbor Authority\nkind: organization\n",
}

D = dt.date
# For each sample: the fields it must yield. `quotes` lists (speaker id or None, named, text) in order.
EXPECTED = {
    "wire-dateline": dict(
        title="Northland fires two rockets toward the Varn Strait, Southland says", outlet="Associated Press",
        authors=("Mara Quill", "Dev Ostrom"), published=D(2030, 3, 2), updated=D(2030, 3, 3),
        dateline="ELSIN, Southland", contributors=(), url=None,
        quotes=[("ilse-varga", "We are tracking every launch and sharing what we learn with our partners")]),
    "agency-wire-no-year": dict(
        title="Northland tests new rocket engine, state media says", outlet="Meridian News Agency",
        authors=("Lena Fosse", "Piet Ardo"), published=D(2030, 3, 5), updated=None, dateline="TOKYO",
        contributors=(), url=None,
        quotes=[("tomas-brenn", "a serious step toward longer-range weapons"),
                ("tomas-brenn", "We do not yet know whether the engine works as claimed")]),
    "dateline-date-only": dict(
        title="Southland lodges protest over overnight launch", outlet="Coastal Wire Service",
        authors=("Yoon Ha-rim",), published=D(2030, 1, 5), updated=None, dateline="SEOUL", contributors=(),
        url=None, quotes=[("ilse-varga", "This launch threatens the safety of ships and aircraft in the region")]),
    "pipe-byline": dict(
        title="Rocket debris washes up near Port Elsin", outlet="The Harbour Gazette", authors=("Dana Ruiz",),
        published=D(2030, 4, 11), updated=D(2030, 4, 12), dateline=None, contributors=(), url=None,
        quotes=[("port-elsin-harbor-authority",
                 "Nobody should touch anything metallic on the sand until our teams have cleared it")]),
    "written-by-dmy": dict(
        title="What the latest Northland test tells us", outlet="Northwatch Blog", authors=("Ola Brandt",),
        published=D(2030, 3, 5), updated=None, dateline=None, contributors=(), url=None,
        quotes=[("tomas-brenn", "We will respond calmly and in step with our partners"),
                ("one retired officer", "Every test teaches them something")]),
    "originally-published": dict(
        title="Fishing fleets stay in port after rocket warning", outlet="The Evening Ledger",
        authors=("Jo Rask", "Lee Min-ho", "Priya Nand"), published=D(2030, 3, 3), updated=D(2030, 9, 4),
        dateline=None, contributors=(), url=None,
        quotes=[("Arno Pell", "We lose a day's catch every time this happens"),
                ("Arno Pell", "But nobody wants to be out there when one comes down")]),
    "url-and-copyright": dict(
        title="Northland launch lights up the night sky over the border hills", outlet="The Valley Herald",
        authors=(), published=D(2030, 6, 1), updated=None, dateline=None, contributors=(),
        url="https://www.valleyherald.example/world/2030/06/01/northland-launch-night/",
        quotes=[("southland-joint-staff-command", "It was an unusually high trajectory")]),
    "colon-quotes": dict(
        title="Southland and its neighbours call for talks after launch", outlet="Daily Relay",
        authors=("Nika Stern",), published=D(2030, 4, 20), updated=None, dateline=None, contributors=(), url=None,
        quotes=[("ilse-varga", "We call on Northland to return to talks without conditions."),
                ("han-seo-yun", "Our door remains open, but our guard remains up."),
                ("oskar-vell", "never bargain away its defences")]),
    "agencies-named": dict(
        title="Northland rocket falls short of target, analysts say", outlet="The Morning Star Review",
        authors=("Kai Mendez",), published=D(2030, 8, 9), updated=None, dateline=None,
        contributors=("meridian-news-agency", "coastal-wire-service", "associated-press"), url=None,
        quotes=[("Iris Boland", "Failure is part of testing")]),
    "no-metadata": dict(
        title=None, outlet=None, authors=(), published=None, updated=None, dateline=None, contributors=(), url=None,
        quotes=[("a command spokesperson", "We are studying the data with our partners"),
                ("ilse-varga", "a deliberate provocation")]),
    "page-noise": dict(
        title="Northland rocket test prompts emergency meeting in Elsin", outlet=None, authors=("Nell Archer",),
        published=D(2030, 11, 13), updated=D(2030, 11, 13), dateline=None, contributors=(), url=None,
        quotes=[("han-seo-yun", "This is a new kind of threat and it needs a new kind of answer")]),
    "reporter-said-before": dict(
        title="Inside the control room that tracks Northland's rockets", outlet="Meridian News Agency",
        authors=("Tove Lind", "Ruben Ocampo"), published=D(2030, 12, 14), updated=None, dateline="ELSIN",
        contributors=(), url=None,
        quotes=[("Rhea Moss", "Most nights nothing happens"), ("Rhea Moss", "Then everything happens at once."),
                ("tomas-brenn", "the country's early warning")]),
}


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A project whose content holds only site.yaml and the samples' actors."""
    return write_tree(tmp_path, {"content/site.yaml": SITE_YAML,
                                 **{f"content/actors/{name}": text for name, text in SAMPLE_ACTORS.items()}})


@pytest.fixture
def bundled_actors(tmp_path: Path) -> Path:
    """A project with the bundled site's settings and actors, but no launches or sources."""
    (tmp_path / "content").mkdir()
    shutil.copy(REPO / "content/site.yaml", tmp_path / "content/site.yaml")
    shutil.copytree(REPO / "content/actors", tmp_path / "content/actors")
    return tmp_path


def run_import(site: Path, capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["import", *argv, "--content", str(site / "content")])
    out = capsys.readouterr()
    return code, out.out, out.err


def check(site: Path, capsys) -> tuple[int, str]:
    code = main(["check", "--content", str(site / "content")])
    return code, capsys.readouterr().err


def fill(path: Path) -> None:
    path.write_text(re.sub(r"TODO[^\"\n]*", "Written by the editor.", path.read_text()))


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---\n")[1])


def quotes_of(result) -> list[tuple[str, str]]:
    return [(q.speaker or q.named, q.text) for q in result.quotes]


# --- the dozen shapes ---


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_fields(name, sample_site):
    result = import_article((SAMPLES / f"{name}.txt").read_text(), load_cast(sample_site / "content"))
    expected = EXPECTED[name]
    got = {key: getattr(result.article, key) for key in ("title", "outlet", "authors", "published", "updated",
                                                         "dateline", "url")}
    got["contributors"] = result.contributors
    got["quotes"] = quotes_of(result)
    assert got == expected


def test_every_sample_has_expectations():
    assert sorted(p.stem for p in SAMPLES.glob("*.txt")) == sorted(EXPECTED)


def test_samples_import_into_files_that_check_accepts_once_filled(sample_site, capsys):
    for name, expected in sorted(EXPECTED.items()):
        flags = [] if expected["outlet"] else ["--outlet", "The Test Outlet"]
        flags += [] if expected["published"] else ["--published", "2030-12-31"]
        flags += [] if expected["title"] else ["--title", "A title the editor chose"]
        code, out, err = run_import(sample_site, capsys, str(SAMPLES / f"{name}.txt"), *flags)
        assert code == 0, (name, err)
    written = sorted((sample_site / "content/sources").glob("*.md"))
    assert len(written) == len(EXPECTED)
    code, errors = check(sample_site, capsys)
    assert code == 1
    assert errors.count("placeholder not filled") == len(EXPECTED)  # one summary each
    for path in written:
        fill(path)
    assert check(sample_site, capsys) == (0, "")


# --- the seed articles ---


def test_epoch_times_seed(seeds, bundled_actors, capsys):
    code, out, _ = run_import(bundled_actors, capsys, str(seeds / "epoch-times-2022-01-05.txt"))
    assert code == 0
    path = bundled_actors / "content/sources/2022-01-05-epoch-times-north-korea-fires-possible-ballistic-missile.md"
    data = front_matter(path)
    assert data["title"] == ("North Korea Fires Possible Ballistic Missile Into Sea After Kim Jong-un Vows to "
                             "Bolster Military Capabilities")
    assert data["outlet"] == "The Epoch Times"
    assert data["authors"] == ["Aldgra Fredly"]
    assert data["contributors"] == ["associated-press"]
    assert (str(data["published"]), str(data["updated"])) == ("2022-01-05", "2022-01-05")
    said = {(q["speaker"], q["text"][:40]) for q in data["quotes"]}
    assert ("fumio-kishida", "We find it truly regrettable that North ") in said
    assert ("moon-jae-in", "The government will pursue normalization") in said
    assert {q["speaker"] for q in data["quotes"]} <= {"fumio-kishida", "moon-jae-in", "kim-jong-un", "united-states"}
    assert "Could not find: url." in out
    assert check(bundled_actors, capsys)[0] == 1  # the summary is still a placeholder
    fill(path)
    assert check(bundled_actors, capsys) == (0, "")


def test_newser_seed_from_stdin(seeds, bundled_actors, capsys, monkeypatch):
    text = (seeds / "newser-2022-05-04.txt").read_text()
    code, out, _ = run_import(bundled_actors, capsys, "-", stdin=text, monkeypatch=monkeypatch)
    assert code == 0
    [path] = (bundled_actors / "content/sources").glob("2022-05-04-newser-*.md")
    data = front_matter(path)
    assert data["outlet"] == "Newser"
    assert str(data["published"]) == "2022-05-04"
    assert data["authors"] == []
    assert data["contributors"] == ["associated-press"]  # "per the AP"
    assert data["quotes"] == [{"speaker": "kim-jong-un", "text": "at the fastest possible pace"}]
    assert data["title"].startswith("TODO")  # the pasted text has no headline
    assert "Could not find: title, authors, url." in out
    code, errors = check(bundled_actors, capsys)
    assert code == 1 and errors.count("placeholder not filled") == 2  # title and summary
    fill(path)
    assert check(bundled_actors, capsys) == (0, "")


def test_seed_texts_are_not_copied_beyond_quotes(seeds, bundled_actors, capsys):
    for name in ("epoch-times-2022-01-05.txt", "newser-2022-05-04.txt"):
        article = (seeds / name).read_text().replace("’", "'").replace("“", '"').replace("”", '"')
        assert run_import(bundled_actors, capsys, str(seeds / name))[0] == 0
    for path in (bundled_actors / "content/sources").glob("*.md"):
        kept = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("text:"))
        runs = re.findall(r"(?=((?:\w+\W+){7}\w+))", kept)
        assert not [run for run in runs if run in article and not run.startswith("North Korea Fires")]


# --- the command ---


def test_never_overwrites(sample_site, capsys):
    sample = str(SAMPLES / "pipe-byline.txt")
    assert run_import(sample_site, capsys, sample)[0] == 0
    [path] = (sample_site / "content/sources").glob("*.md")
    path.write_text(path.read_text().replace("TODO", "Mine"))
    before = path.read_text()
    code, _, err = run_import(sample_site, capsys, sample)
    assert code == 1
    assert "already exists; not overwritten" in err
    assert path.read_text() == before


def test_without_outlet_or_date_nothing_is_written(sample_site, capsys):
    code, out, err = run_import(sample_site, capsys, str(SAMPLES / "no-metadata.txt"))
    assert code == 2
    assert "Could not find: title, outlet, authors, published, url." in out
    assert "pass --outlet and --published" in err
    assert not (sample_site / "content/sources").exists()


def test_flags_win_over_the_text_and_unknown_speakers_are_listed(sample_site, capsys):
    code, out, _ = run_import(sample_site, capsys, str(SAMPLES / "originally-published.txt"), "--title", "Boats stay in",
                              "--url", "https://ledger.example.test/boats", "--published", "2030-03-04")
    assert code == 0
    assert "Unknown speakers (add them with `digest new actor`, then move their quotes up): Arno Pell." in out
    [path] = (sample_site / "content/sources").glob("*.md")
    assert path.name == "2030-03-04-evening-ledger-boats-stay-in.md"
    data = front_matter(path)
    assert data["url"] == "https://ledger.example.test/boats"
    assert "quotes" not in data  # Arno Pell's quotes wait, commented, until he is an actor
    assert "#  - speaker: ACTOR-ID  # Arno Pell" in path.read_text()


def test_bad_flag_and_missing_file(sample_site, capsys):
    assert run_import(sample_site, capsys, str(SAMPLES / "pipe-byline.txt"), "--published", "2030-13-01")[0] == 2
    code, _, err = run_import(sample_site, capsys, str(sample_site / "nothing.txt"))
    assert code == 2 and "nothing.txt" in err


# --- datelines and dates in the common shapes ---


@pytest.mark.parametrize("first_paragraph, place, agency_outlet", [
    ("SEOUL, South Korea (AP) — North Korea fired a missile, officials said.", "SEOUL, South Korea", "AP"),
    ("TOKYO (Kyodo) -- The ministry said a missile fell into the sea today.", "TOKYO", "Kyodo"),
    ("WASHINGTON — The talks ended without a deal on Friday afternoon, officials said.", "WASHINGTON", None),
    ("PORT ELSIN, Southland, Jan. 5 (Meridian) - A rocket flew over the bay on Sunday.", "PORT ELSIN, Southland",
     "Meridian"),
    ("North Korea launched a missile on Wednesday, officials said.", None, None),
])
def test_datelines(first_paragraph, place, agency_outlet):
    article, body = read_article(f"A headline for the test\n\nJan. 5, 2022\n\n{first_paragraph}\n", make_cast([]))
    assert article.dateline == place
    assert article.outlet == agency_outlet
    assert article.published == dt.date(2022, 1, 5)
    assert not body[0].startswith(place or "\0")


@pytest.mark.parametrize("line, published, updated", [
    ("Jan. 5, 2022", dt.date(2022, 1, 5), None),
    ("5 January 2022", dt.date(2022, 1, 5), None),
    ("January 5, 2022Updated: January 6, 2022", dt.date(2022, 1, 5), dt.date(2022, 1, 6)),
    ("Published Sept. 30, 2022 at 10:00 a.m. | Updated Oct. 1, 2022", dt.date(2022, 9, 30), dt.date(2022, 10, 1)),
    ("Posted: 2022-05-04 | Updated: 2022-05-03", dt.date(2022, 5, 4), None),  # an update cannot come first
    ("Updated 3 hours ago", None, None),
    ("February 30, 2022", None, None),
])
def test_dates(line, published, updated):
    article, _ = read_article(f"A headline for the test\n{line}\n\nThe first paragraph says something here.\n",
                              make_cast([]))
    assert (article.published, article.updated) == (published, updated)
