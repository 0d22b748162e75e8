"""Stage 3, link: records -> one Site with resolved references, indexes and derived facts."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from generator import feeds, model, routes
from generator.errors import ContentError
from generator.link import link, shape
from generator.load import load_content
from generator.validate import validate
from tests.conftest import minimal_site, write_tree


def launch(date: str, extra: str = "", title: str = "A launch") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}actors: [{{id: northland, role: launcher}}]\n---\n"


def site_of(root: Path, files: dict[str, str], monkeypatch, drafts: bool = False):
    write_tree(root, {**minimal_site(), **files})
    monkeypatch.chdir(root)
    return link(validate(load_content(Path("content"))), include_drafts=drafts)


def problems_of(root: Path, files: dict[str, str], monkeypatch, drafts: bool = False) -> list[str]:
    with pytest.raises(ContentError) as caught:
        site_of(root, files, monkeypatch, drafts)
    return [p.format() for p in caught.value.problems]


def test_launches_are_in_time_order_with_derived_numbers(tmp_path, monkeypatch):
    site = site_of(tmp_path, {
        "content/launches/2029-12-30-late.md": launch("2029-12-30"),
        "content/launches/2030-04-10-evening.md": launch("2030-04-10", 'time: "21:00"\n'),
        "content/launches/2030-04-10-morning.md": launch("2030-04-10", 'time: "06:00"\n'),
    }, monkeypatch)
    ids = [v.launch.id for v in site.launches]
    assert ids == ["2029-12-30-late", "2030-03-01-first", "2030-04-10-morning", "2030-04-10-evening",
                   "2030-04-10-second"]  # a launch without a time comes last on its day
    views = {v.launch.id: v for v in site.launches}
    assert [views[i].number_in_year for i in ids] == [1, 1, 2, 3, 4]
    first = views["2030-03-01-first"]
    assert first.days_since_previous == (dt.date(2030, 3, 1) - dt.date(2029, 12, 30)).days
    assert views["2030-04-10-evening"].days_since_previous == 0
    assert views["2029-12-30-late"].days_since_previous is None and views["2029-12-30-late"].previous is None
    assert first.previous.id == "2029-12-30-late" and first.next.id == "2030-04-10-morning"
    assert views["2030-04-10-second"].next is None
    assert sorted(site.years) == [2029, 2030]
    assert [v.launch.id for v in site.years[2029]] == ["2029-12-30-late"]


def test_local_time_and_utc_are_both_kept_across_the_date_line(tmp_path, monkeypatch):
    site = site_of(tmp_path, {
        "content/launches/2030-01-05-tokyo.md": launch("2030-01-05", 'time: "08:07"\ntimezone: Asia/Tokyo\n'),
        "content/launches/2030-07-04-east.md": launch("2030-07-04", 'time: "22:30"\ntimezone: America/New_York\n'),
    }, monkeypatch)
    tokyo = site.launch_by_id["2030-01-05-tokyo"]
    assert (tokyo.local.date(), tokyo.local.hour, tokyo.local.minute) == (dt.date(2030, 1, 5), 8, 7)
    assert tokyo.utc.tzinfo == dt.timezone.utc
    assert tokyo.utc.replace(tzinfo=None) == dt.datetime(2030, 1, 5, 8, 7) - dt.timedelta(hours=9)
    east = site.launch_by_id["2030-07-04-east"]  # summer time: UTC-4, so the UTC date is the next day
    assert east.utc.replace(tzinfo=None) == dt.datetime(2030, 7, 4, 22, 30) + dt.timedelta(hours=4)
    assert east.launch.date == dt.date(2030, 7, 4)
    second = site.launch_by_id["2030-04-10-second"]
    assert second.local is None and second.utc is None and second.launch.timezone == "Asia/Seoul"


def test_reverse_indexes(tmp_path, monkeypatch):
    site = site_of(tmp_path, {}, monkeypatch)
    assert [(role, v.launch.id) for role, v in site.launches_of_actor["northland"]] == [
        ("launcher", "2030-03-01-first"), ("launcher", "2030-04-10-second")]
    assert [(role, v.launch.id) for role, v in site.launches_of_actor["south-staff"]] == [
        ("reporter", "2030-03-01-first")]
    assert "southland" not in site.launches_of_actor
    assert [v.launch.id for v in site.launches_of_source["2030-03-01-daily-example"]] == ["2030-03-01-first"]
    [statement] = site.statements_of_actor["south-staff"]
    assert statement.quote.text == "We are watching closely." and statement.source.outlet == "Daily Example"
    assert [a.id for a in site.members_of["southland"]] == ["south-staff"]
    first = site.launch_by_id["2030-03-01-first"].launch
    assert [s.quote.speaker for s in site.statements_for(first)] == ["south-staff"]


def test_actors_sorted_by_name_and_sources_newest_first(tmp_path, monkeypatch):
    site = site_of(tmp_path, {
        "content/actors/aardland.yaml": "name: zed state\nkind: state\n",
        "content/sources/2031-01-01-later.md": "---\ntitle: Later\noutlet: Other\npublished: 2031-01-01\n---\n",
    }, monkeypatch)
    assert [a.name for a in site.actors.values()] == ["Northland", "Southland", "Southland Joint Staff", "zed state"]
    assert list(site.sources) == ["2031-01-01-later", "2030-03-01-daily-example"]


def test_drafts_are_left_out_unless_asked_for(tmp_path, monkeypatch):
    files = {"content/launches/2030-06-01-draft.md": launch("2030-06-01", "draft: true\n")}
    published = site_of(tmp_path, files, monkeypatch)
    assert "2030-06-01-draft" not in published.launch_by_id
    with_drafts = site_of(tmp_path, files, monkeypatch, drafts=True)
    assert with_drafts.launch_by_id["2030-06-01-draft"].number_in_year == 3


def test_a_published_record_may_not_link_to_a_draft(tmp_path, monkeypatch):
    files = {
        "content/launches/2030-06-01-draft.md": launch("2030-06-01", "draft: true\n"),
        "content/launches/2030-04-10-second.md": launch("2030-04-10") + "See [it](launch:2030-06-01-draft).\n",
    }
    assert problems_of(tmp_path, files, monkeypatch) == [
        "content/launches/2030-04-10-second.md:6:10: error: body: launch '2030-06-01-draft' is a draft "
        "(publish it by removing 'draft: true', or build with --drafts)"]
    assert "2030-06-01-draft" in site_of(tmp_path, files, monkeypatch, drafts=True).launch_by_id


def test_unknown_references_get_the_closest_id(tmp_path, monkeypatch):
    files = {"content/launches/2030-04-10-second.md": launch("2030-04-10", "sources: [2030-03-01-daily]\n")
             .replace("id: northland", "id: northlandd")}
    assert problems_of(tmp_path, files, monkeypatch) == [
        "content/launches/2030-04-10-second.md:4:11: error: sources[0]: unknown source '2030-03-01-daily' "
        "(did you mean '2030-03-01-daily-example'?)",
        "content/launches/2030-04-10-second.md:5:15: error: actors[0].id: unknown actor 'northlandd' "
        "(did you mean 'northland'?)",
    ]


def test_a_broken_record_causes_no_follow_on_errors(tmp_path, monkeypatch):
    """Three records name south-staff; only its own file is reported."""
    problems = problems_of(tmp_path, {"content/actors/south-staff.yaml": "name: Staff\nkind: military\ncountry: NO\n"},
                           monkeypatch)
    assert [p.split(": error:")[0] for p in problems] == ["content/actors/south-staff.yaml:3:10"]


def test_a_country_must_be_a_state(tmp_path, monkeypatch):
    problems = problems_of(tmp_path, {"content/actors/officer.yaml": "name: O\nkind: person\ncountry: south-staff\n"},
                           monkeypatch)
    assert problems == ["content/actors/officer.yaml:3:10: error: country: 'south-staff' is a military, not a state "
                        "(a country names an actor of kind 'state')"]


def test_each_place_of_a_wrong_reference_is_reported(tmp_path, monkeypatch):
    """Files whose targets are all fine are passed as sets; one that is not has each of its references checked."""
    body = "See [one](actor:nobody), [two](actor:northland) and [three](actor:nobody).\n"
    problems = problems_of(tmp_path, {"content/launches/2030-04-10-second.md": launch("2030-04-10") + body},
                           monkeypatch)
    assert problems == [f"content/launches/2030-04-10-second.md:6:{col}: error: body: unknown actor 'nobody'"
                        for col in (11, 61)]


def test_a_draft_may_link_to_a_draft(tmp_path, monkeypatch):
    files = {
        "content/launches/2030-06-01-draft.md": launch("2030-06-01", "draft: true\n"),
        "content/launches/2030-06-02-draft.md": launch("2030-06-02", "draft: true\n") + "See [it](launch:2030-06-01-draft).\n",
    }
    assert "2030-06-01-draft" not in site_of(tmp_path, files, monkeypatch).launch_by_id


def records(site) -> list:
    return [view.launch for view in site.launches] + [*site.sources.values(), *site.actors.values()]


def planned_structure(site) -> list[tuple]:
    """Every page that plan() and feeds.plan() make, but for its title and context: what it is made of."""
    pages = routes.plan(site)
    pages += feeds.plan(site, pages)
    return [(p.path, p.template, p.depends_on, p.bodies, p.derived, p.absolute_links, p.origin) for p in pages]


# Edits to what a record's shape leaves out (link.shape): the preview then neither links nor plans again.
OUTSIDE_SHAPE = [
    ("launches/2030-03-01-first.md", "title: First test launch", "title: The first test launch"),
    ("launches/2030-03-01-first.md", "location: off the coast", "location: far off the coast"),
    ("launches/2030-03-01-first.md", "name: test rocket, count: 1", "name: test rocket, count: 2"),
    ("launches/2030-03-01-first.md", "value: 300", "value: 320"),
    ("launches/2030-03-01-first.md", "sources: [", "outcome: success\ntags: [test]\nsources: ["),
    ("launches/2030-03-01-first.md", "fired a rocket.", "fired a rocket again."),
    ("sources/2030-03-01-daily-example.md", "title: Northland tests a rocket", "title: A rocket test"),
    ("sources/2030-03-01-daily-example.md", "outlet: Daily Example", "outlet: Example Daily"),
    ("sources/2030-03-01-daily-example.md", "authors: [A. Writer]", "authors: [A. Writer, B. Writer]"),
    ("sources/2030-03-01-daily-example.md", "url: https://news.example.test/rocket", "url: https://example.test/r"),
    ("actors/south-staff.yaml", "kind: military", "kind: military\ntitle: Staff\naliases: [the staff]"),
]


@pytest.mark.parametrize("name, old, new", OUTSIDE_SHAPE)
def test_an_edit_outside_a_record_s_shape_changes_no_planned_page_but_for_titles(tmp_path, monkeypatch,
                                                                                name, old, new):
    before = site_of(tmp_path, {}, monkeypatch)
    path = tmp_path / "content" / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    after = link(validate(load_content(Path("content"))))
    assert records(before) != records(after)  # the edit took
    assert [shape(r) for r in records(before)] == [shape(r) for r in records(after)]
    # If planning comes to read more of a record, link.shape must say so, or the preview shows stale pages.
    assert planned_structure(before) == planned_structure(after)


def test_a_stand_in_is_its_record_once_a_field_is_read_and_fills_in_once(tmp_path, monkeypatch):
    site = site_of(tmp_path, {}, monkeypatch)
    actor = next(iter(site.actors.values()))
    filled = []
    stand_in = model.stand_ins(model.Actor, lambda key: filled.append(key) or actor, ("id",))(actor.id)
    assert isinstance(stand_in, model.Actor) and stand_in.id == actor.id and not filled
    assert stand_in.name == actor.name and stand_in == actor and hash(stand_in) == hash(actor)
    assert filled == [f"actor:{actor.id}"]  # once, for all its fields
    with pytest.raises(AttributeError, match="'Actor' object has no attribute 'draft'"):
        stand_in.draft
    assert pickle.loads(pickle.dumps(stand_in)) == actor
