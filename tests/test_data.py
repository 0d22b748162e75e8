"""Open data: launches.json against its published JSON Schema, the CSV round trip, actors and sources."""

from __future__ import annotations

import copy
import csv
import errno
import io
import json
import os
import textwrap
from pathlib import Path

import jsonschema
import pytest

from generator import data as data_module
from generator.build import BuildOptions, build
from generator.model import FACT_FIELDS
from generator.write import write_pieces

REPO = Path(__file__).resolve().parents[1]
BASE = "https://example.test/"

EXTRA = {
    "content/launches/2030-05-02-third.md": """\
        ---
        title: 'A "third" launch, with a comma'
        date: 2030-05-02
        time: "23:50"
        location: "inland; near the border"
        coordinates: [40.5, 127.25]
        missiles:
          - {type: ballistic, name: short-range rocket, count: 2}
          - {type: cruise, count: 1}
        distance_km:
          - {value: 250, per: south-staff, source: 2030-03-01-daily-example}
          - {min: 25, max: 90, per: southland}
        apogee_km: {value: 50.5, approx: true}
        actors: [{id: northland, role: launcher}, {id: south-staff, role: reporter}, {id: southland, role: responder}]
        sources: [2030-03-01-daily-example]
        tags: [test]
        ---
        A third one.
        """,
    "content/launches/2030-06-01-draft.md": """\
        ---
        title: An unfinished launch
        date: 2030-06-01
        draft: true
        ---
        """,
}


@pytest.fixture
def data(site_dir: Path) -> Path:
    for name, text in EXTRA.items():
        (site_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False))
    return site_dir / "site" / "data"


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_launches_json_validates_against_the_published_schema(data):
    schema = load(data / "launches.schema.json")
    document = load(data / "launches.json")
    validator(schema).validate(document)
    assert schema["$id"] == BASE + "data/launches.schema.json" == document["schema"]
    assert [l["id"] for l in document["launches"]] == ["2030-03-01-first", "2030-04-10-second", "2030-05-02-third"]


def test_the_schema_rejects_what_it_should(data):
    check = validator(load(data / "launches.schema.json"))
    good = load(data / "launches.json")
    breakages = [
        lambda d: d["launches"][0].update(date="2030-3-1"),
        lambda d: d["launches"][0]["facts"][0].update(min=1),  # both a value and a range
        lambda d: d["launches"][0].update(outcome="exploded"),
        lambda d: d["launches"][0].pop("sources"),
        lambda d: d["launches"][0]["actors"][0].update(id="Not An Id"),
    ]
    for breakage in breakages:
        broken = copy.deepcopy(good)
        breakage(broken)
        assert list(check.iter_errors(broken)), breakage


def test_schema_names_every_measure_the_model_knows(data):
    fact = load(data / "launches.schema.json")["$defs"]["launch"]["properties"]["facts"]["items"]
    assert fact["properties"]["measure"]["enum"] == list(FACT_FIELDS)
    assert set(fact["properties"]["unit"]["enum"]) == {unit for _, unit in FACT_FIELDS.values()}


def test_a_launch_record_carries_facts_attribution_actors_and_sources(data):
    third = load(data / "launches.json")["launches"][2]
    assert third["datetime_utc"] == "2030-05-02T14:50:00Z"
    assert third["coordinates"] == {"lat": 40.5, "lon": 127.25}
    distance = [f for f in third["facts"] if f["measure"] == "distance_km"]
    assert distance == [
        {"measure": "distance_km", "unit": "km", "value": 250, "min": None, "max": None, "approx": False,
         "reported_by": "south-staff", "source": "2030-03-01-daily-example"},
        {"measure": "distance_km", "unit": "km", "value": None, "min": 25, "max": 90, "approx": False,
         "reported_by": "southland", "source": None},
    ]
    assert {(a["id"], a["role"]) for a in third["actors"]} == {
        ("northland", "launcher"), ("south-staff", "reporter"), ("southland", "responder")}
    assert third["sources"][0]["url"] == "https://news.example.test/rocket"
    assert third["number_in_year"] == 3


def test_drafts_are_not_exported(data):
    for name in ("launches.json", "launches.csv", "actors.json", "sources.json"):
        assert "2030-06-01-draft" not in (data / name).read_text()


def split(cell: str) -> list[str]:
    return cell.split("; ") if cell else []


def number(text: str) -> float | None:
    return float(text) if text else None


def test_csv_round_trips_to_the_json(data):
    launches = load(data / "launches.json")["launches"]
    with (data / "launches.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["id"] for r in rows] == [l["id"] for l in launches]
    for row, launch in zip(rows, launches):
        for key in ("url", "title", "date", "timezone", "outcome"):
            assert row[key] == launch[key]
        assert row["location"] == (launch["location"] or "")
        assert split(row["sources"]) == [s["id"] for s in launch["sources"]]
        assert split(row["missile_types"]) == [m["type"] for m in launch["missiles"]]
        roles = ("launcher", "reporter", "responder", "mentioned")
        for role in roles:
            assert split(row[f"actors_{role}"]) == [a["id"] for a in launch["actors"] if a["role"] == role]
        assert split(row["actors_other"]) == [f"{a['id']} ({a['role']})" for a in launch["actors"]
                                              if a["role"] not in roles]
        for measure in FACT_FIELDS:
            reports = [f for f in launch["facts"] if f["measure"] == measure]
            approx = split(row[f"{measure}_approx"])
            assert approx == [str(f["approx"]).lower() for f in reports]
            if not reports:
                continue
            values = row[f"{measure}_value"].split("; ")
            assert [number(v) for v in values] == [f["value"] for f in reports]
            assert [number(v) for v in row[f"{measure}_min"].split("; ")] == [f["min"] for f in reports]
            assert [v or None for v in row[f"{measure}_reported_by"].split("; ")] == [f["reported_by"] for f in reports]


def test_csv_quotes_awkward_text(data):
    text = (data / "launches.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(r) == len(rows[0]) for r in rows)
    assert any(r[2] == 'A "third" launch, with a comma' for r in rows)


def test_actors_and_sources_files(data):
    actors = {a["id"]: a for a in load(data / "actors.json")["actors"]}
    assert set(actors) == {"northland", "southland", "south-staff"}
    assert actors["south-staff"]["country"] == "southland"
    assert {"id": "2030-03-01-first", "role": "reporter"} in actors["south-staff"]["launches"]
    sources = load(data / "sources.json")["sources"]
    assert sources[0]["original_url"] == "https://news.example.test/rocket"
    assert sources[0]["quotes"][0]["speaker"] == "south-staff"
    assert sources[0]["launches"] == ["2030-03-01-first", "2030-05-02-third"]


def test_a_full_build_writes_the_data_files_as_they_are_made(site_dir, monkeypatch):
    """Never held whole in memory, nor all their rows (51 MB at 10,000 launches; see data.export_pieces)."""
    built = build(BuildOptions(site_dir / "content", site_dir / "site", search=False), write=False)
    expected = {path: contents for path, contents in built.files.items() if path.startswith("data/")}

    def whole(*args, **kwargs):
        raise AssertionError("a full build joined the data files, or made whole rows before writing them")
    monkeypatch.setattr(data_module, "export", whole)
    monkeypatch.setattr(data_module.RowMaker, "row", whole)
    made, real_part = [], data_module.RowMaker.part
    monkeypatch.setattr(data_module.RowMaker, "part", lambda self, *args: made.append(args) or real_part(self, *args))
    build(BuildOptions(site_dir / "content", site_dir / "site", search=False), incremental=False)
    written = {p.relative_to(site_dir / "site").as_posix(): p.read_bytes() for p in (site_dir / "site/data").iterdir()}
    assert written == expected and len(written) == 5
    launches = [ident for kind, part, ident in made if kind == "launch" and part == "json"]
    assert launches == [launch["id"] for launch in load(site_dir / "site/data/launches.json")["launches"]]
    assert len(launches) == 2  # each made once (its CSV row apart), as it is written


def test_bundled_site_data_validates(bundled_site):
    data = bundled_site / "data"
    validator(load(data / "launches.schema.json")).validate(load(data / "launches.json"))
    assert len(load(data / "launches.json")["launches"]) == len(list((REPO / "content/launches").glob("*.*")))


def test_rows_still_to_make_are_made_to_be_compared_all_of_them_and_kept():
    previous = {"launch": {"a": data_module.Row("f1", b'{"id": "a"}', b"a\r\n"),
                           "b": data_module.Row("f2", b'{"id": "b"}', b"b\r\n")}}
    made = []

    class Maker:
        def row(self, kind, ident, made_from):
            made.append(ident)
            return data_module.Row(made_from, b'{"id": "%s", "new": 1}' % ident.encode(), previous[kind][ident].csv)

    rows = {"launch": {"a": data_module.RowToMake("f3"), "b": data_module.RowToMake("f4")}}
    assert data_module.compare_files(rows, previous, maker=Maker()) == {} and made == []  # none kept: none compared
    assert data_module.compare_files(rows, previous, only=[("launch", "a"), ("launch", "b")], maker=Maker()) == {
        "data/launches.json": False, "data/launches.csv": True}
    assert made == ["a", "b"]  # "b" too, after "a" differed; once each, for both files
    assert [row.made_from for row in rows["launch"].values() if isinstance(row, data_module.Row)] == ["f3", "f4"]


def test_data_files_are_told_from_rows_that_say_the_same_or_otherwise_in_the_same_order():
    first, second = data_module.Row("f1", b'{"id": "a"}', b"a\r\n"), data_module.Row("f2", b'{"id": "b"}', b"b\r\n")
    previous = {"launch": {"a": first, "b": second}, "actor": {"a": first}, "source": {}}
    compare = data_module.compare_files
    assert compare(previous, previous) == {"data/launches.json": True, "data/launches.csv": True,
                                           "data/actors.json": True}  # no source rows: the settings are not known
    reordered = {"launch": {"b": second, "a": first}}
    assert compare(reordered, previous) == {}
    new_body = {"launch": {"a": data_module.Row("f3", b'{"id": "a", "narrative": "x"}', b"a\r\n"), "b": second}}
    assert compare(new_body, previous) == {"data/launches.json": False, "data/launches.csv": True}
    everything_again = {"launch": {"a": data_module.Row("f4", first.json, first.csv),
                                   "b": data_module.Row("f5", second.json, second.csv)}}
    assert compare(everything_again, previous) == {}  # the settings may have changed
    assert compare({"source": {}}, {"launch": {}}) == {}  # no rows known of that kind
    # `only`: every other row is the last build's, and so are the settings
    assert compare(everything_again, previous, only=[("launch", "a"), ("launch", "b")]) == {
        "data/launches.json": True, "data/launches.csv": True}
    assert compare(new_body | {"source": {}}, previous, only=[("launch", "a")]) == {
        "data/launches.json": False, "data/launches.csv": True, "data/sources.json": True}
    assert compare({"launch": {"a": first, "b": data_module.Row("f6", b"{}", b"\r\n")}}, previous,
                   only=[("launch", "a")]) == {"data/launches.json": True, "data/launches.csv": True}


@pytest.mark.parametrize("copied", ["by the system", "here"])
def test_a_data_file_is_spliced_from_the_last_one_with_the_rows_made_again(tmp_path, monkeypatch, copied):
    calls, copy_file_range = [], getattr(os, "copy_file_range", None)  # Linux's
    if copied == "here":  # where the system cannot copy between the files
        monkeypatch.setattr(os, "copy_file_range", lambda *args: (_ for _ in ()).throw(OSError(errno.EXDEV, "")))
    elif copy_file_range:
        monkeypatch.setattr(os, "copy_file_range", lambda *args: calls.append(args) or copy_file_range(*args))
    rows = [b'{"id": "a"}', b'{"id": "b"}', b'{"id": "c"}']
    text = b'{\n"actors": [\n' + b",\n".join(rows) + b"\n]\n}\n"
    (tmp_path / "data").mkdir()
    (tmp_path / "data/actors.json").write_bytes(text)
    old = {"actor": {ident: data_module.WrittenRow(("f", len(row), 0)) for ident, row in zip("abc", rows)}}
    new = {"a": data_module.Row("g", b'{"id": "a", "longer": 1}'), "b": old["actor"]["b"],
           "c": data_module.Row("h", b"{}")}
    with data_module.WrittenFiles(tmp_path, old, {"data/actors.json": text.index(rows[0])}) as written:
        assert [bytes(written.bytes_of("actor", "json", ident, old["actor"][ident])) for ident in "abc"] == rows
        with open(tmp_path / "made.json", "wb") as made:
            write_pieces(made, written.spliced("data/actors.json", new))
    assert len(calls) == (3 if copied == "by the system" and copy_file_range else 0)  # before "a", "b", the end
    assert (tmp_path / "made.json").read_bytes() == b'{\n"actors": [\n{"id": "a", "longer": 1},\n{"id": "b"},\n{}\n]\n}\n'


def test_a_data_file_cut_short_since_the_rows_in_it_were_counted_is_an_output_error(tmp_path):
    from generator.write import OutputError

    (tmp_path / "data").mkdir()
    (tmp_path / "data/actors.json").write_bytes(b'{\n"actors": [\n{"id": "a"}')  # the rest is gone
    old = {"actor": {"a": data_module.WrittenRow(("f", 11, 0)), "b": data_module.WrittenRow(("f", 11, 0))}}
    with data_module.WrittenFiles(tmp_path, old, {"data/actors.json": 14}) as written:
        assert bytes(written.bytes_of("actor", "json", "a", old["actor"]["a"])) == b'{"id": "a"}'
        with pytest.raises(OutputError, match="changed while this build read it"):
            written.bytes_of("actor", "json", "b", old["actor"]["b"])
