"""Stage 6, write: all or nothing, unchanged files keep their time, nothing outside the output directory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from generator import write
from generator.write import MARKER, OutputError, check_output_dir, patched_site, safe_relative, staged_site

OLD = 1_000_000_000  # a modification time long past, to see whether a file was rewritten


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root with its bytes and modification time."""
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_site(files, out: Path):
    """`files` (path, bytes) as the whole new content of `out`, as a build writes its files."""
    with staged_site(out) as staging:
        for path, data in files:
            staging.add(path, data)
    return staging.report


def update_site(files: dict[str, bytes | list[bytes]], out: Path, previous_outputs: frozenset[str]):
    """`files` as the changes to the site in `out`, as an incremental build puts them in place."""
    with patched_site(out, previous_outputs) as patch:
        for path, data in files.items():
            patch.add(path, data)
        patch.outputs = frozenset(files)
    return patch.report


def age(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))


def test_first_write_creates_the_site_and_its_marker(tmp_path):
    out = tmp_path / "site"
    report = write_site({"index.html": b"home", "a/b/index.html": b"deep"}.items(), out)
    assert (out / "index.html").read_bytes() == b"home"
    assert (out / "a/b/index.html").read_bytes() == b"deep"
    assert (out / MARKER).is_file()
    assert (report.written, report.unchanged, report.removed) == (2, 0, 0)
    assert out.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging directory left behind


@pytest.mark.parametrize("given", [lambda data: data, lambda data: iter([data[:1], b"", data[1:]])],
                         ids=["whole", "in pieces"])  # the data files are written as they are made
def test_unchanged_files_keep_their_time_and_gone_files_go(tmp_path, given):
    out = tmp_path / "site"
    write_site({"same.html": b"same", "changed.html": b"old", "gone.html": b"bye"}.items(), out)
    age(out)
    files = {"same.html": b"same", "changed.html": b"new", "added.html": b"hi"}
    report = write_site(((path, given(data)) for path, data in files.items()), out)
    after = snapshot(out)
    assert after["same.html"] == (b"same", OLD * 10**9)
    assert after["changed.html"][0] == b"new" and after["changed.html"][1] != OLD * 10**9
    assert "gone.html" not in after and after["added.html"][0] == b"hi"
    assert (report.written, report.unchanged, report.removed) == (2, 1, 1)


@pytest.mark.parametrize("bad", ["../escape.html", "/etc/evil", "a/../../x", "a\\..\\x", "", "a//b.html", "./x.html", "dir/"])
def test_paths_outside_the_output_are_refused_and_the_old_site_stays(tmp_path, bad):
    out = tmp_path / "site"
    write_site({"index.html": b"home"}.items(), out)
    age(out)
    before = snapshot(out)
    with pytest.raises(OutputError, match="refusing to write outside the output directory"):
        write_site({"index.html": b"new home", "z.html": b"z", bad: b"x"}.items(), out)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert not (tmp_path / "escape.html").exists()


@pytest.mark.parametrize("files", [[("a/index.html", b"page"), ("a/index.html/index.html", b"redirect")],
                                   [("a/index.html/index.html", b"redirect"), ("a/index.html", b"page")]])
def test_a_path_that_is_both_file_and_folder_is_refused_and_nothing_is_left(tmp_path, files):
    out = tmp_path / "site"
    with pytest.raises(OutputError, match="a/index.html would be both a file and a folder"):
        write_site(files, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad, message", [("../escape.html", "refusing to write outside the output directory"),
                                          ("index.html/x.html", "index.html would be both a file and a folder")])
def test_an_update_in_place_refuses_the_same_paths_and_writes_nothing(tmp_path, bad, message):
    out = tmp_path / "site"
    write_site({"index.html": b"home"}.items(), out)
    age(out)
    before = snapshot(out)
    files = {"index.html": b"new home", bad: b"x"}
    with pytest.raises(OutputError, match=message):
        update_site(files, out, frozenset({"index.html"}))
    assert snapshot(out) == before and not (tmp_path / "escape.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing staged is left beside it


def test_an_update_in_place_writes_only_what_changed_and_removes_what_is_gone(tmp_path):
    out = tmp_path / "site"
    write_site({"index.html": b"home", "a/index.html": b"a", "b/index.html": b"b", "feed.xml": b"feed"}.items(), out)
    age(out)
    files = {"index.html": b"home", "a/index.html": b"a, edited", "c/index.html": b"c",
             "feed.xml": [b"fe", b"ed"], "data/x.json": [b"{}"]}
    report = update_site(files, out, frozenset({"index.html", "a/index.html", "b/index.html", "feed.xml"}))
    after = snapshot(out)
    assert (report.written, report.unchanged, report.removed) == (3, 2, 1)
    assert after["index.html"] == (b"home", OLD * 10**9) and after["feed.xml"] == (b"feed", OLD * 10**9)  # kept
    assert after["a/index.html"][0] == b"a, edited" and after["a/index.html"][1] != OLD * 10**9
    assert after["c/index.html"][0] == b"c" and after["data/x.json"][0] == b"{}"
    assert "b/index.html" not in after and not (out / "b").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_pages_written_later_are_written_at_the_flush_or_once_they_hold_enough(tmp_path, monkeypatch):
    out = tmp_path / "site"
    write_site({"same/index.html": b"same", "old/index.html": b"old"}.items(), out)
    age(out)
    monkeypatch.setattr(write, "HELD_AT_MOST", 10)
    with staged_site(out) as staging:
        staging.reserve(["same/index.html", "old/index.html", "a/index.html", "b/index.html"])
        assert staging.write_later("same/index.html", b"same") is True
        assert staging.write_later("old/index.html", b"new") is False
        assert not (staging.root / "old").exists()  # 7 bytes held
        assert staging.write_later("a/index.html", b"aaaaa") is False  # 12: all written
        assert (staging.root / "old/index.html").read_bytes() == b"new"
        assert (staging.root / "a/index.html").read_bytes() == b"aaaaa"
        staging.write_later("b/index.html", b"b")
        assert not (staging.root / "b").exists()
        staging.flush()
        assert (staging.root / "b/index.html").read_bytes() == b"b"
        for unchanged in (True, False, False, False):
            staging.count(unchanged)
    after = snapshot(out)
    assert after["same/index.html"] == (b"same", OLD * 10**9)  # the same bytes: its time kept
    assert after["old/index.html"][0] == b"new" and after["old/index.html"][1] != OLD * 10**9

    with patched_site(out, frozenset(after)) as patch:
        patch.reserve(["same/index.html", "old/index.html"])
        assert patch.write_later("same/index.html", b"same") is True
        assert patch.write_later("old/index.html", b"newer") is False
        assert not patch.staged("old/index.html").exists()
        patch.flush()
        patch.note("old/index.html", False)
        patch.outputs = frozenset(after)
    assert snapshot(out)["old/index.html"][0] == b"newer"


def test_a_file_known_to_have_changed_is_written_without_comparing(tmp_path, monkeypatch):
    out = tmp_path / "site"
    write_site({"data/x.json": b"old"}.items(), out)
    monkeypatch.setattr(write, "holds", lambda *args: pytest.fail("compared"))
    monkeypatch.setattr(write, "same_files", lambda *args: pytest.fail("compared"))
    with patched_site(out, frozenset({"data/x.json"})) as patch:
        patch.add_behind([("data/x.json", [b"new"])])
    assert (out / "data/x.json").read_bytes() == b"new"


@pytest.mark.parametrize("failure", [KeyboardInterrupt, FileNotFoundError])
def test_an_update_stopped_before_its_end_changes_nothing(tmp_path, failure):
    """Stopped (Ctrl-C), or failing in the thread that stages files behind."""
    out = tmp_path / "site"
    write_site({"index.html": b"home", "old.html": b"old", "data/x.json": b"[1]"}.items(), out)
    age(out)
    before = snapshot(out)
    with pytest.raises(failure), patched_site(out, frozenset(before)) as patch:
        patch.add("index.html", b"new home")
        if failure is KeyboardInterrupt:
            patch.add("new.html", b"new")
            patch.outputs = frozenset({"index.html", "new.html"})
            raise KeyboardInterrupt
        patch.add_behind([("data/x.json", [b"[", write.FilePart(tmp_path / "gone.json", 0, 1)])])
    assert snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_files_staged_behind_are_written_by_another_thread_and_put_in_place(tmp_path, monkeypatch):
    out = tmp_path / "site"
    write_site({"data/x.json": b"[1,\n2,\n3]", "index.html": b"home"}.items(), out)
    age(out)
    writers, write_pieces, old = [], write.write_pieces, out / "data/x.json"
    monkeypatch.setattr(write, "write_pieces",
                        lambda *args: writers.append(threading.current_thread()) or write_pieces(*args))
    with patched_site(out, frozenset({"data/x.json", "index.html"})) as patch:
        patch.add_behind([("data/x.json", [write.FilePart(old, 0, 4), b"two", write.FilePart(old, 5, 4)])])
        patch.add("index.html", b"home")
    assert (out / "data/x.json").read_bytes() == b"[1,\ntwo,\n3]" and patch.report.written == 1
    assert writers and threading.main_thread() not in writers


@pytest.mark.parametrize("swapping", [True, False])
def test_an_update_in_place_closes_the_big_files_it_replaced(tmp_path, monkeypatch, swapping):
    out = tmp_path / "site"
    write_site({"data/big.json": b"a" * write.BIG_FILE, "index.html": b"home"}.items(), out)
    swaps, swapped, expected = [], write.swapped if swapping else lambda first, second: False, can_swap(tmp_path)
    monkeypatch.setattr(write, "swapped", lambda first, second: swaps.append(swapped(first, second)) or swaps[-1])
    descriptors, threads = len(os.listdir("/proc/self/fd")), set(threading.enumerate())
    open_while_removed, rmtree = [], write.shutil.rmtree
    monkeypatch.setattr(write.shutil, "rmtree", lambda *args, **kwargs: open_while_removed.append(
        len(os.listdir("/proc/self/fd"))) or rmtree(*args, **kwargs))
    files = {"data/big.json": b"b" * write.BIG_FILE, "index.html": b"new home"}
    report = update_site(files, out, frozenset(files))
    assert open_while_removed == [descriptors + 1]  # the old file, freed later, not as its staging folder goes
    for thread in set(threading.enumerate()) - threads:  # the one closing the old file
        thread.join(timeout=10)
    assert report.written == 2 and (out / "data/big.json").read_bytes() == files["data/big.json"]
    assert len(os.listdir("/proc/self/fd")) == descriptors  # the old file's blocks are free
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # the old file swapped out is gone too
    assert swaps == [swapping and expected]  # only the big file


def can_swap(folder: Path) -> bool:
    """Whether write.swapped swaps files in `folder` here (Linux, and a file system that can)."""
    first, second = folder / "first", folder / "second"
    first.write_bytes(b"1"), second.write_bytes(b"2")
    try:
        return write.swapped(first, second)
    finally:
        first.unlink(), second.unlink()


def test_two_files_are_swapped_at_once_or_left_as_they_were(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"1"), second.write_bytes(b"2")
    if write.swapped(first, second):
        assert (first.read_bytes(), second.read_bytes()) == (b"2", b"1")
    else:
        assert (first.read_bytes(), second.read_bytes()) == (b"1", b"2")
    assert not write.swapped(first, tmp_path / "none") and not (tmp_path / "none").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "second"]


@pytest.mark.parametrize("good", ["index.html", "launches/2030/index.html", "static/style.css", "a b/c.html"])
def test_safe_relative_accepts_plain_paths(good):
    assert safe_relative(good).as_posix() == good


def test_output_dir_checks(tmp_path):
    content = tmp_path / "project/content"
    content.mkdir(parents=True)
    refusals = {
        content: "is the content directory",
        tmp_path / "project": "contains the content directory",
        tmp_path: "contains the content directory",
        content / "site": "is inside the content directory",
    }
    for out, reason in refusals.items():
        with pytest.raises(OutputError, match=reason):
            check_output_dir(out, content)
    a_file = tmp_path / "project/file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(a_file, content)
    foreign = tmp_path / "project/foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty and was not made by digest"):
        check_output_dir(foreign, content)

    check_output_dir(tmp_path / "project/new-site", content)  # missing: fine
    empty = tmp_path / "project/empty"
    empty.mkdir()
    check_output_dir(empty, content)  # empty: fine
    ours = tmp_path / "project/site"
    write_site({"index.html": b"x"}.items(), ours)
    check_output_dir(ours, content)  # made by digest: fine


def test_the_checks_see_through_relative_paths(tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path / "content")
    with pytest.raises(OutputError, match="is the content directory"):
        check_output_dir(Path("."), Path("../content"))
