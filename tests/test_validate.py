"""Stage 2, validate: RawDocs -> typed records, references to check, and every problem at once."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from generator.load import load_content
from generator.model import Fact
from generator.validate import validate
from tests.conftest import SITE_YAML, minimal_site, write_tree


def run(root: Path, files: dict[str, str], monkeypatch, base_url=None):
    """Write the minimal site with `files` added or replaced, and validate it."""
    write_tree(root, {**minimal_site(), **files})
    monkeypatch.chdir(root)
    return validate(load_content(Path("content")), base_url)


def lines(validated) -> list[str]:
    return sorted(p.format() for p in validated.problems)


def test_records_survive_the_cache_whole(tmp_path, monkeypatch):
    """The build cache pickles what validation made; each record, ref and problem comes back equal."""
    result = run(tmp_path, launch_file("time: 99:00\n"), monkeypatch)
    made = [result.launches, result.sources, result.actors, result.refs, result.problems, result.config]
    assert result.problems and result.refs
    assert pickle.loads(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)) == made
    # pickled as constructor calls, not by dataclasses' slow field-by-field state
    assert type(result.launches[0]).__reduce__(result.launches[0])[0] is type(result.launches[0])


def launch_file(fields: str, body: str = "Text.\n") -> dict[str, str]:
    return {"content/launches/2030-05-01-third.md": f"---\ntitle: Third\ndate: 2030-05-01\n{fields}---\n{body}"}


def test_minimal_site_gives_whole_records(tmp_path, monkeypatch):
    result = run(tmp_path, {}, monkeypatch)
    assert result.problems == []
    assert sorted(l.id for l in result.launches) == ["2030-03-01-first", "2030-04-10-second"]
    assert [s.id for s in result.sources] == ["2030-03-01-daily-example"]
    assert sorted(a.id for a in result.actors) == ["northland", "south-staff", "southland"]
    assert result.config.base_url == "https://example.test/"
    assert result.config.vocabularies.roles == ("launcher", "reporter", "responder", "mentioned")


def test_launch_fields_are_typed(tmp_path, monkeypatch):
    result = run(tmp_path, {}, monkeypatch)
    first = next(l for l in result.launches if l.id == "2030-03-01-first")
    assert first.date == dt.date(2030, 3, 1)
    assert first.time == dt.time(7, 30)
    assert first.timezone == "Asia/Seoul"  # the site's default
    assert first.missiles[0].type == "ballistic" and first.missiles[0].count == 1
    assert first.facts == (("distance_km", (Fact(300, approx=True, per="south-staff",
                                                 source="2030-03-01-daily-example"),)),)
    assert [(r.actor, r.role) for r in first.actors] == [("northland", "launcher"), ("south-staff", "reporter")]
    assert first.outcome == "unknown" and first.draft is False
    second = next(l for l in result.launches if l.id == "2030-04-10-second")
    assert second.time is None and second.facts == () and second.sources == ()


def test_every_form_of_a_fact(tmp_path, monkeypatch):
    result = run(tmp_path, launch_file("""\
distance_km: 120
apogee_km: {min: 25, max: 90, per: northland}
flight_time_min:
  - {value: 10, per: northland}
  - {value: 12, approx: true, per: south-staff}
"""), monkeypatch)
    assert result.problems == []
    third = next(l for l in result.launches if l.id == "2030-05-01-third")
    facts = dict(third.facts)
    assert facts["distance_km"] == (Fact(value=120),)
    assert facts["apogee_km"] == (Fact(minimum=25, maximum=90, per="northland"),)
    assert [f.value for f in facts["flight_time_min"]] == [10, 12]
    assert list(facts) == ["distance_km", "apogee_km", "flight_time_min"]  # the page's order


def test_references_are_collected_for_link_with_their_places(tmp_path, monkeypatch):
    result = run(tmp_path, launch_file("actors: [{id: northland, role: launcher}]\n",
                                       "See [the first](launch:2030-03-01-first#facts).\n"), monkeypatch)
    mine = next(refs for refs in result.refs if refs.path.endswith("2030-05-01-third.md")).each()
    assert [(r.kind, r.id, r.line, r.col, r.field) for r in mine] == [
        ("actor", "northland", 4, 15, "actors[0].id"),
        ("launch", "2030-03-01-first", 6, 17, "body"),
    ]


def test_body_links_in_a_yaml_block_point_at_the_file(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/actors/westland.yaml": """\
        name: Westland
        kind: state
        description: |
          A made-up state.
          Next to [Northland](actor:northland).
        """}, monkeypatch)
    ref, = next(refs for refs in result.refs if refs.path.endswith("westland.yaml")).each()
    assert (ref.line, ref.col, ref.field) == (5, 23, "description")


def test_the_site_yaml_defaults_and_overrides(tmp_path, monkeypatch):
    site = SITE_YAML.replace("https://example.test/", "https://example.test/digest").replace(
        "timezone: Asia/Seoul\n", "")
    result = run(tmp_path, {"content/site.yaml": site}, monkeypatch)
    assert result.config.base_url == "https://example.test/digest/"
    assert result.config.timezone == "UTC"
    overridden = run(tmp_path, {}, monkeypatch, base_url="https://mirror.example.test/x")
    assert overridden.config.base_url == "https://mirror.example.test/x/"


def test_all_problems_of_one_file_are_reported_together(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/launches/2030-05-01-third.md": """\
        ---
        title: Third
        date: 2030-02-30
        time: 8:07
        soruces: [2030-03-01-daily-example]
        outcome: sucess
        actors: [{id: northland}]
        ---
        [Bad](javascript:alert(1))
        """}, monkeypatch)
    assert [(p.line, p.field) for p in sorted(result.problems)] == [
        (3, "date"), (4, "time"), (5, "soruces"), (6, "outcome"), (7, "actors[0].role"), (9, "body")]
    assert not any(l.id == "2030-05-01-third" for l in result.launches)  # a broken record is dropped


def test_missing_required_field_names_the_field(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/actors/westland.yaml": "name: Westland\n"}, monkeypatch)
    assert lines(result) == [
        "content/actors/westland.yaml:1:1: error: kind: missing required field (add 'kind: ...')"]


def test_a_number_where_text_is_expected_gets_the_quote_hint(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/actors/westland.yaml": "name: 1999\nkind: state\n"}, monkeypatch)
    assert lines(result) == [
        'content/actors/westland.yaml:1:7: error: name: expected text, got the number 1999 (put it in quotes: "1999")']


def test_a_fact_source_must_be_one_the_launch_cites(tmp_path, monkeypatch):
    result = run(tmp_path, launch_file("distance_km: [{value: 5, source: 2030-03-01-daily-example}]\n"), monkeypatch)
    assert lines(result) == [
        "content/launches/2030-05-01-third.md:4:34: error: distance_km[0].source: source "
        "'2030-03-01-daily-example' is not in the launch's sources (add it to 'sources:')"]


def test_url_must_be_one_piece(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/sources/2030-03-01-daily-example.md": """\
        ---
        title: T
        outlet: O
        published: 2030-03-01
        url: https://news.example.test/a b
        ---
        """}, monkeypatch)
    assert [p.field for p in result.problems] == ["url"]


def test_duplicate_ids_name_both_files_and_keep_the_first(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/actors/northland.md": "---\nname: Northland again\nkind: state\n---\n"},
                 monkeypatch)
    assert lines(result) == [
        "content/actors/northland.yaml:1:1: error: duplicate id 'northland' "
        "(also defined in content/actors/northland.md; rename one of the files)"]
    assert [a.name for a in result.actors if a.id == "northland"] == ["Northland again"]


def test_a_broken_file_still_counts_as_an_existing_id(tmp_path, monkeypatch):
    result = run(tmp_path, {"content/actors/northland.yaml": "name: [\n"}, monkeypatch)
    assert result.known["actor"]["northland"] == "content/actors/northland.yaml"
    assert [p.path for p in result.problems] == ["content/actors/northland.yaml"]
