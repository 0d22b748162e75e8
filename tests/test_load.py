"""Stage 1, load: files -> RawDocs that remember the line, column and text of every value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from generator import snapshot
from generator.errors import display_path
from generator.load import _Loader, content_files, listed_as, load_content
from tests.conftest import SITE_YAML, write_tree


def load(root: Path, files: dict[str, str], monkeypatch):
    """Write a content folder holding site.yaml plus `files`, and load it."""
    write_tree(root, {"content/site.yaml": SITE_YAML, **files})
    monkeypatch.chdir(root)
    return load_content(Path("content"))


def problems_of(loaded):
    """Every problem found, about readable files and unreadable ones."""
    return loaded.problems + [p for failed in loaded.unreadable for p in failed.problems]


def line_of(doc, text: str) -> int:
    """The file line on which `text` stands in the document's body."""
    return doc.body_line + doc.body[: doc.body.index(text)].count("\n")


def only_doc(loaded):
    assert loaded.problems == []
    assert len(loaded.docs) == 1
    return loaded.docs[0]


def test_front_matter_values_keep_their_file_positions(tmp_path, monkeypatch):
    doc = only_doc(load(tmp_path, {"content/launches/2030-01-02-x.md": """\
        ---
        title: A test
        date: 2030-01-02
        actors:
          - {id: northland, role: launcher}
        ---
        Body text.
        """}, monkeypatch))
    assert doc.kind == "launch" and doc.id == "2030-01-02-x"
    assert doc.shown == "content/launches/2030-01-02-x.md"
    assert doc.data["date"] == "2030-01-02"  # dates stay text: validation checks the calendar
    assert (doc.value_mark(("title",)).line, doc.value_mark(("title",)).col) == (2, 8)
    assert (doc.value_mark(("actors", 0, "role")).line, doc.value_mark(("actors", 0, "role")).col) == (5, 27)
    assert (doc.key_mark(("actors",)).line, doc.key_mark(("actors",)).col) == (4, 1)
    assert doc.position(("actors", 0, "role")) == (5, 27)  # as the mark says, without making it
    assert doc.position(("actors", 0, "none")) == (5, 5)  # a value not there: its nearest parent's
    assert doc.body.strip() == "Body text."
    assert line_of(doc, "Body") == 7


def test_short_values_repeated_across_files_are_one_shared_string(tmp_path, monkeypatch):
    launch = "---\ntitle: {}\nactors:\n  - {{id: north{}, role: launcher}}\n---\nBody.\n"
    loaded = load(tmp_path, {"content/launches/2030-01-02-a.md": launch.format("A", "land"),
                             "content/launches/2030-01-03-b.md": launch.format("B", "land")}, monkeypatch)
    first, second = (doc.data["actors"][0] for doc in loaded.docs)
    # Made from separate text, equal only by value unless shared.
    assert first["id"] == second["id"] == "northland" and first["id"] is second["id"]
    assert first["role"] is second["role"]


def test_blank_lines_after_the_opening_dashes_do_not_shift_lines(tmp_path, monkeypatch):
    doc = only_doc(load(tmp_path, {"content/launches/2030-01-02-x.md":
                                   "---\n\n\ntitle: A test\ndate: 2030-01-02\n---\nBody\n"}, monkeypatch))
    assert doc.value_mark(("title",)).line == 4
    assert doc.value_mark(("date",)).line == 5
    assert line_of(doc, "Body") == 7


def test_raw_text_is_kept_for_yaml_surprises(tmp_path, monkeypatch):
    doc = only_doc(load(tmp_path, {"content/actors/a.yaml": "name: A\nkind: state\ncountry: NO\ntitle: 8:07\n"},
                        monkeypatch))
    assert doc.data["country"] is False and doc.value_mark(("country",)).raw == "NO"
    assert doc.data["title"] == 487 and doc.value_mark(("title",)).raw == "8:07"


def test_yaml_record_body_and_block_scalar_positions(tmp_path, monkeypatch):
    doc = only_doc(load(tmp_path, {"content/launches/2030-01-02-x.yaml": """\
        title: A test
        date: 2030-01-02
        body: |
            First line.
            Second line.
        """}, monkeypatch))
    assert "body" not in doc.data
    assert doc.body == "First line.\nSecond line.\n"
    assert doc.body_line == 4  # the text starts below `body: |`
    mark = doc.value_mark(("body",))
    assert mark.block and (mark.text_line, mark.text_col) == (4, 5)


def test_quoted_scalar_text_starts_after_the_quote(tmp_path, monkeypatch):
    doc = only_doc(load(tmp_path, {"content/actors/a.yaml": 'name: A\nkind: state\ndescription: "See it."\n'},
                        monkeypatch))
    mark = doc.value_mark(("description",))
    assert (mark.line, mark.col, mark.text_line, mark.text_col, mark.block) == (3, 14, 3, 15, False)


def test_byte_order_mark_is_accepted(tmp_path, monkeypatch):
    write_tree(tmp_path, {"content/site.yaml": SITE_YAML})
    (tmp_path / "content/actors").mkdir()
    (tmp_path / "content/actors/a.yaml").write_bytes("\ufeffname: Ä\nkind: state\n".encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    doc = only_doc(load_content(Path("content")))
    assert doc.data["name"] == "Ä"


def test_every_folder_gives_its_kind_and_site_yaml_is_read(tmp_path, monkeypatch):
    loaded = load(tmp_path, {
        "content/actors/a.yaml": "name: A\nkind: state\n",
        "content/actors/b.md": "---\nname: B\nkind: person\n---\nAbout B.\n",
        "content/sources/s.md": "---\ntitle: S\n---\n",
        "content/launches/l.yml": "title: L\n",
        "content/launches/.hidden.md": "ignored",
        "content/launches/sub/inner.md": "ignored",
    }, monkeypatch)
    assert loaded.problems == []
    assert [(d.kind, d.id) for d in loaded.docs] == [
        ("launch", "l"), ("source", "s"), ("actor", "a"), ("actor", "b")]
    assert loaded.site.data["title"] == "Test Digest"


def test_file_of_another_type_is_a_problem_not_skipped_silently(tmp_path, monkeypatch):
    loaded = load(tmp_path, {"content/launches/notes.txt": "x"}, monkeypatch)
    assert [p.format() for p in loaded.problems] == [
        "content/launches/notes.txt:1:1: error: unexpected file in launches/ "
        "(records are .md or .yaml files; move or rename it)"]


def test_missing_site_yaml_is_a_problem(tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path)
    loaded = load_content(Path("content"))
    assert loaded.site is None
    assert [p.message for p in loaded.problems] == ["missing site.yaml"]


@pytest.mark.parametrize("text, where, message", [
    ("", (1, 1), "file is empty"),
    ("  \n\n", (1, 1), "file is empty"),
    ("- a\n- b\n", (1, 1), "expected 'key: value' fields at the top level"),
    ("title: [a\n", (2, 1), "invalid YAML: did not find expected ',' or ']'"),
    ("title: a\ntitle: b\n", (2, 1), "key appears twice"),
])
def test_unreadable_yaml_files(tmp_path, monkeypatch, text, where, message):
    loaded = load(tmp_path, {"content/actors/a.yaml": text}, monkeypatch)
    assert [(p.line, p.col, p.message) for p in problems_of(loaded)] == [(*where, message)]


def test_not_utf8_points_at_the_bad_byte(tmp_path, monkeypatch):
    write_tree(tmp_path, {"content/site.yaml": SITE_YAML})
    (tmp_path / "content/actors").mkdir()
    (tmp_path / "content/actors/a.yaml").write_bytes(b"kind: state\nname: Caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_content(Path("content"))
    assert loaded.docs == []
    assert [(p.line, p.col, p.message) for p in problems_of(loaded)] == [(2, 10, "file is not UTF-8 text: byte 0xe9")]


def test_files_that_fail_to_parse_are_listed_with_their_problems(tmp_path, monkeypatch):
    """Validation needs every record file, even a broken one, to know its id."""
    loaded = load(tmp_path, {"content/actors/a.yaml": "name: [\n", "content/actors/b.yaml": "name: B\n"},
                  monkeypatch)
    assert [d.id for d in loaded.docs] == ["b"]
    assert loaded.problems == []
    assert [(f.kind, [p.path for p in f.problems]) for f in loaded.unreadable] == [
        ("actor", ["content/actors/a.yaml"])]


@pytest.mark.parametrize("content_dir", ["content", "./content", "content/../content"])
def test_a_watched_files_path_names_the_file_as_the_listing_does(tmp_path, monkeypatch, content_dir):
    write_tree(tmp_path, {name: "x" for name in [
        "content/site.yaml", "content/README.md", "content/launches/l.md", "content/launches/notes.txt",
        "content/launches/.l.md.swp", "content/launches/sub/inner.md", "content/actors/a.yaml", "content/other/o.md"]})
    monkeypatch.chdir(tmp_path)
    listing, strays = content_files(Path(content_dir))
    watched = [str(path.relative_to(tmp_path)) for path in (tmp_path / "content").rglob("*") if path.is_file()]
    # How the preview's watcher names them: the content folder as given, then the names found in it.
    named = {listed_as(Path(content_dir), os.path.join(content_dir, path.partition("/")[2])) for path in watched}
    listed = {(path, kind) for path, kind, _ in listing}
    assert named - {(None, None)} == listed | {(str(Path(content_dir) / "launches/notes.txt"), "launch")}
    assert len(strays) == 1 and len(listing) == 2


def test_the_record_files_are_those_the_snapshot_listed_where_it_listed_their_folder(tmp_path):
    write_tree(tmp_path, {name: "x" for name in [
        "content/launches/b.md", "content/launches/a.md", "content/launches/.a.md.swp", "content/launches/sub/inner.md",
        "content/launches/notes.txt", "content/actors/x.yaml", "content/sources/s.md"]})
    content = tmp_path / "content"
    taken = snapshot.take_snapshot("", [content], 0)
    asked = []
    (content / "sources/later.md").write_text("x")  # after the snapshot, which the build reads

    def files_in(folder):
        asked.append(folder)
        return taken.files_in(folder)

    def named(listing):
        return [(Path(path).relative_to(content).as_posix(), kind, ident) for path, kind, ident in listing]

    listing, strays = content_files(content, files_in)
    assert named(listing) == [("launches/a.md", "launch", "a"), ("launches/b.md", "launch", "b"),
                              ("sources/s.md", "source", "s"), ("actors/x.yaml", "actor", "x")]
    assert [problem.message for problem in strays] == ["unexpected file in launches/"]
    assert sorted(asked) == sorted(str(content / folder) for folder in ["launches", "sources", "actors"])
    # A folder the snapshot did not list is listed now.
    assert ("sources/later.md", "source", "later") in named(content_files(content, lambda folder: None)[0])


def test_a_files_path_is_shown_from_the_working_directory_or_else_from_the_content_folders_parent(
        tmp_path, monkeypatch):
    write_tree(tmp_path, {"site/content/launches/a.md": "x", "elsewhere/note.txt": "x"})
    content = tmp_path / "site" / "content"
    monkeypatch.chdir(tmp_path)
    assert display_path(content / "launches" / "a.md", content) == "site/content/launches/a.md"
    assert display_path(Path("site/content/launches/a.md"), Path("site/content")) == "site/content/launches/a.md"
    assert display_path(Path("a.md"), content) == "a.md"  # in the working directory itself
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert display_path(content / "launches" / "a.md", content) == "content/launches/a.md"
    assert display_path(Path("../site/content/launches/a.md"), Path("../site/content")) == "content/launches/a.md"
    assert display_path(content.parent / "b.md", content) == "b.md"
    assert display_path(tmp_path / "c.md", content) == (tmp_path / "c.md").as_posix()  # outside both


YAML_WORDS = ["", "~", "null", "Null", "NULL", "yes", "No", "on", "OFF", "true", "False", "y", "n", "0", "-12", "+3",
              "0x1F", "0o17", "0b101", "1_000", "1:20", "190:20:30", "1.5", "-.5e3", ".inf", "-.Inf", ".nan", ".NaN",
              "2022-01-05", "2022-01-05T08:07:00Z", "8:07", "east-coast", "<<", "=", "a: b"]


@given(st.one_of(st.sampled_from(YAML_WORDS), st.text()), st.booleans(), st.booleans())
def test_the_loader_resolves_every_scalar_to_the_tag_pyyamls_resolver_gives(value, plain, quoted):
    loader = _Loader("")
    implicit = (plain, quoted)
    assert loader.resolve(yaml.ScalarNode, value, implicit) == \
        yaml.resolver.BaseResolver.resolve(loader, yaml.ScalarNode, value, implicit)
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert loader.resolve(kind, None, plain) == yaml.resolver.BaseResolver.resolve(loader, kind, None, plain)


def test_plain_values_become_numbers_booleans_and_null_while_dates_and_quoted_values_stay_text():
    node = yaml.compose("a: 12\nb: yes\nc: ~\nd: 2022-01-05\ne: '12'\nf: [1.5, x]\n", Loader=_Loader)
    tags = {key.value: value.tag.rsplit(":", 1)[1] for key, value in node.value}
    assert tags == {"a": "int", "b": "bool", "c": "null", "d": "str", "e": "str", "f": "seq"}
    assert [item.tag.rsplit(":", 1)[1] for item in node.value[-1][1].value] == ["float", "str"]


def test_a_files_head_digest_changes_with_what_it_says_besides_its_body(tmp_path, monkeypatch):
    from generator.read import head_digest

    def head(number: int, path: str, text: str) -> str:
        return head_digest(only_doc(load(tmp_path / str(number), {path: text}, monkeypatch)))

    files = [("content/launches/2030-01-02-x.md", "---\ntitle: A test\ndate: 2030-01-02\n---\n{body}\n"),
             ("content/launches/2030-01-02-x.yaml", "title: A test\ndate: 2030-01-02\nbody: {body}\n"),
             ("content/actors/x.md", "---\nname: A test\nkind: state\ndescription: {body}\n---\n")]
    for number, (path, text) in enumerate(files):
        first = head(3 * number, path, text.format(body="One."))
        assert head(3 * number + 1, path, text.format(body="Two.")) == first  # the body alone changed
        assert head(3 * number + 2, path, text.replace("A test", "Another").format(body="One.")) != first


@given(st.lists(st.sampled_from(["---\n", "---", "\ufeff", "title: A\n", "date: 2030-01-02\n", "\r\n", "\n", "Body ",
                                 "text", "---\ntitle: A\ndate: 2030-01-02\n---\n", "  ", "...\n", "# x\n"]),
                max_size=10).map("".join))
@example("\ufeff---\ntitle: A\ndate: 2030-01-02\n---\nBody text")
def test_a_markdown_body_is_what_loading_the_file_finds(text):
    from generator.load import load_file, markdown_body

    data = text.encode("utf-8")
    doc = load_file(Path("content/launches/2030-01-02-x.md"), "launch", Path("content"), [], data)
    if doc is not None:
        assert markdown_body(data) == doc.body
