"""The benchmark corpus generator: deterministic, valid for `digest`, and varied like real content."""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
from pathlib import Path

import pytest

from generator import cli
from generator.build import load_site

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_module(name: str):
    """benchmarks/NAME.py, loaded as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus():
    return benchmark_module("corpus")


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(corpus, tmp_path_factory) -> Path:
    """A written corpus of 30 launches, shared by the checks below."""
    content = tmp_path_factory.mktemp("bench") / "content"
    assert corpus.main(["30", str(content)]) == 0
    return content


def test_same_n_gives_byte_identical_files(corpus, tmp_path, small):
    assert corpus.main(["30", str(tmp_path / "again")]) == 0
    first, second = files_under(small), files_under(tmp_path / "again")
    assert len(first) > 30
    assert first == second


def test_another_seed_gives_other_files(corpus, tmp_path, small):
    assert corpus.main(["30", str(tmp_path / "other"), "--seed", "7"]) == 0
    assert files_under(small) != files_under(tmp_path / "other")


def test_refuses_a_folder_that_is_not_an_old_corpus(corpus, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not empty"):
        corpus.main(["5", str(tmp_path / "mine"), "--force"])
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_small_corpus_passes_check_and_builds(small, tmp_path, capsys):
    assert cli.main(["check", "--content", str(small)]) == 0
    out = tmp_path / "site"
    assert cli.main(["build", "--content", str(small), "--out", str(out), "--no-search"]) == 0
    for launch in (small / "launches").glob("*.md"):
        assert (out / "launches" / launch.stem / "index.html").is_file()
    for source in (small / "sources").glob("*.md"):
        assert (out / "sources" / source.stem / "index.html").is_file()


def test_small_corpus_has_every_kind_of_fact_and_text(small):
    site = load_site(small)
    reports = [(name, facts) for view in site.launches for name, facts in view.launch.facts]
    single = [facts[0] for _, facts in reports if len(facts) == 1]
    assert any(f.value is not None and not f.approx and not f.per for f in single), "a bare exact number"
    assert any(f.value is not None and not f.approx and f.per and f.source for f in single), "an attributed value"
    assert any(f.approx and f.per and f.source for f in single), "an approximate value"
    assert any(f.minimum is not None and f.maximum is not None and f.per for f in single), "a range"
    disagreeing = [facts for _, facts in reports if len(facts) > 1]
    assert disagreeing, "a list of reports"
    assert any(len({(f.value, f.minimum, f.maximum) for f in facts}) > 1 and len({f.per for f in facts}) > 1
               for facts in disagreeing), "reports that differ, each with its own attribution"

    bodies = [v.launch.body.text for v in site.launches]
    for scheme in ("launch", "actor", "source"):
        assert any(f"]({scheme}:" in body for body in bodies), f"a {scheme}: link"
    assert any(re.search(r"^- ", body, re.M) for body in bodies), "a list"
    assert any(re.search(r"^> ", body, re.M) for body in bodies), "a quote"
    paragraphs = [[b for b in body.split("\n\n") if not b.startswith(("- ", "> "))] for body in bodies]
    assert all(2 <= len(p) for p in paragraphs), "two or more paragraphs"
    assert any(v.launch.updates for v in site.launches)
    assert any(q.speaker in site.actors for s in site.sources.values() for q in s.quotes)
    assert {a.kind for a in site.actors.values()} == {"state", "person", "organization", "military", "government"}
    assert all(a.country in site.actors for a in site.actors.values() if a.kind == "person")


def test_proportions_at_a_thousand_launches(corpus):
    data = corpus.generate(1000)
    assert len(data.launches) == 1000
    assert 400 <= len(data.sources) <= 600, "about N/2 sources"
    assert 200 <= len(data.actors) <= 500, "a few hundred actors"
    assert all(1 <= len(launch.sources) <= 3 for launch in data.launches)
    assert len({launch.id for launch in data.launches}) == 1000
    words = sorted(len(launch.body.split()) for launch in data.launches)
    assert 100 <= words[len(words) // 2] <= 600, "bodies of realistic length"


def test_a_cold_run_moves_the_last_output_aside_instead_of_deleting_it(tmp_path):
    """Deleting thousands of files right before a build slowed the build on the benchmark machine."""
    run = benchmark_module("run")
    cwd, aside = tmp_path / "tool", tmp_path / "aside"
    aside.mkdir()
    tool = run.Tool("digest", cwd, ("true",), "site", (".digest-cache", "absent"))
    for round_ in ("first", "second"):
        (cwd / "site" / "a").mkdir(parents=True)
        (cwd / "site" / "a" / "index.html").write_text(round_)
        (cwd / ".digest-cache").write_text(f"{round_} cache")
        run.move_aside(tool, aside)
        assert not (cwd / "site").exists() and not (cwd / ".digest-cache").exists()
    kept = sorted(p.read_text() for p in aside.rglob("*") if p.is_file())
    assert kept == ["first", "first cache", "second", "second cache"]


def turns_run(tmp_path, monkeypatch, capsys, *options: str) -> tuple[str, dict]:
    """turns.py run with the project's digest as A and as B on a corpus of 12 launches: what it printed, and
    its JSON."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # turns.py imports run.py, which imports corpus.py
    turns = benchmark_module("turns")
    monkeypatch.setattr(turns, "PAUSE", 0)
    digest = Path(sys.executable).parent / "digest"
    assert digest.exists(), "the project's venv has the digest command"
    figures = tmp_path / "turns.json"
    assert turns.main([str(digest), str(digest), "--launches", "12", "--rounds", "2", "--work", str(tmp_path),
                       "--digest-arg=--no-search", "--json", str(figures), *options]) == 0
    return capsys.readouterr().out, json.loads(figures.read_text())


def test_the_table_gives_the_ratio_of_medians_and_of_each_pair_of_builds():
    run = benchmark_module("run")

    def result(tool, *seconds, timed_out=()):
        return run.Result(10_000, tool, "cold", tuple(run.Run(s, s * 2, 100, 100, 10, 9, 10, i in timed_out)
                                                      for i, s in enumerate(seconds)))

    digest, hugo = result("digest", 9.0, 10.0, 7.0), result("hugo", 6.0, 8.0, 7.0)
    assert run.table([digest, hugo]).splitlines()[-1] == (
        "- N=10,000, cold build, ratio of medians: digest/Hugo 1.29 wall, 1.29 CPU (build by build 1.50, 1.25, 1.00)")
    # A build stopped by the timeout has no ratio of its own; one pair alone says no more than the medians.
    late = result("pelican", 60.0, 70.0, 80.0, timed_out=(1,))
    assert "digest/Pelican < 0.13 wall, 0.13 CPU (build by build 0.15, 0.09)" in run.table([digest, late])
    assert "(build" not in run.table([result("digest", 9.0), result("hugo", 6.0)])


def test_digests_take_turns_building_from_nothing(tmp_path, monkeypatch, capsys):
    """turns.py: A then B, then B then A; every build from nothing; medians compared to A's."""
    out, builds = turns_run(tmp_path, monkeypatch, capsys)
    order = re.findall(r"round (\d)/2 ([AB]) cold: [\d.]+ s \([\d.]+ s CPU\), [\d,]+ of ([\d,]+) files", out)
    assert [(round_, label) for round_, label, _ in order] == [("1", "A"), ("1", "B"), ("2", "B"), ("2", "A")]
    site = tmp_path / "12" / "digest" / "site"
    assert int(order[0][2].replace(",", "")) == sum(1 for p in site.rglob("*") if p.is_file())
    assert all(build["written"] == build["files"] for runs in builds.values() for build in runs), \
        "each build wrote the whole site: no output or cache was left to reuse"
    rows = {row[0]: row for row in re.findall(r"^\| ([AB]) \| cold \| (\d) \| ([\d.]+) \|.*\| ([\d.]+) \| ([\d.]+) \|$",
                                             out, re.MULTILINE)}
    assert rows["A"][1] == rows["B"][1] == "2" and rows["A"][3:] == ("1.00", "1.00")
    medians = {label: statistics.median(build["seconds"] for build in builds[f"{label} cold"]) for label in "AB"}
    assert rows["B"][3] == f"{medians['B'] / medians['A']:.2f}"
    assert not (tmp_path / "set-aside-turns").exists(), "the outputs moved aside are deleted at the end"


def test_hugo_and_pelican_take_turns_with_a_digest(tmp_path, monkeypatch, capsys):
    """turns.py hugo hugo+sources pelican+sources A/bin/digest: the tools' sites of the same corpus, without and
    with a page per source, built from nothing in turn with digest."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    turns, run = benchmark_module("turns"), benchmark_module("run")
    monkeypatch.setattr(turns, "PAUSE", 0)
    monkeypatch.setattr(turns, "run", run)
    # Stands in for both tools: writes a page naming its project, and says whether its last output was there.
    tool = tmp_path / "venv" / "bin" / "pelican"
    tool.parent.mkdir(parents=True)
    tool.write_text('#!/bin/sh\ncase "$1" in version|--version) echo "v0 stand-in"; exit;; esac\n'
                    "out=public; [ -e pelicanconf.py ] && out=output\n"
                    '[ -e "$out" ] && echo kept >> ../found\nmkdir -p "$out" && basename "$PWD" > "$out/index.html"\n')
    tool.chmod(0o755)
    monkeypatch.setattr(run, "hugo_binary", lambda: str(tool))
    monkeypatch.setattr(run, "VENV", tmp_path / "venv")
    digest = Path(sys.executable).parent / "digest"
    figures = tmp_path / "turns.json"
    assert turns.main(["hugo", "hugo+sources", "pelican+sources", str(digest), "--launches", "12", "--rounds", "2",
                       "--work", str(tmp_path), "--digest-arg=--no-search", "--json", str(figures)]) == 0
    out, builds = capsys.readouterr().out, json.loads(figures.read_text())
    assert re.findall(r"^([A-D]): (\S+) v0 stand-in$", out, re.MULTILINE) == [
        ("A", "hugo"), ("B", "hugo+sources"), ("C", "pelican+sources")]
    assert re.findall(r"round (\d)/2 ([A-D]) cold", out) == [
        ("1", "A"), ("1", "B"), ("1", "C"), ("1", "D"), ("2", "D"), ("2", "C"), ("2", "B"), ("2", "A")]
    assert [build["files"] for label in "ABC" for build in builds[f"{label} cold"]] == [1] * 6
    assert not (tmp_path / "12" / "found").exists(), "each of the tools' builds started from nothing"
    for folder, output in (("hugo", "public"), ("hugo-sources", "public"), ("pelican-sources", "output")):
        assert (tmp_path / "12" / folder / output / "index.html").read_text() == f"{folder}\n"
    sources = {path.stem for path in (tmp_path / "12" / "digest" / "content" / "sources").glob("*.md")}
    assert {path.stem for path in (tmp_path / "12" / "hugo-sources" / "content" / "sources").glob("*.md")} == sources
    assert {path.stem for path in (tmp_path / "12" / "pelican-sources" / "content" / "pages").glob("*.md")} == sources
    assert not (tmp_path / "12" / "hugo" / "content" / "sources").exists()
    assert not (tmp_path / "12" / "pelican" / "content" / "pages").exists()
    assert re.search(r"^\| D \| cold \| 2 \|", out, re.MULTILINE)
    with pytest.raises(SystemExit):
        turns.main(["hugo+sources", str(digest), "--rebuilds", "--work", str(tmp_path)])
    assert "hugo and pelican take turns in cold builds only" in capsys.readouterr().err


def test_run_py_can_compare_with_source_pages(tmp_path, monkeypatch):
    """run.py --source-pages: Hugo and Pelican build their projects with a page per source; digest its own."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    run = benchmark_module("run")
    monkeypatch.setattr(run, "hugo_binary", lambda: "hugo")
    built = []

    def cold(tool, log, timeout, set_aside):
        built.append((tool.name, tool.cwd.name))
        return run.Run(1.0, 1.0, 1, 1, 1, 1, 1)

    monkeypatch.setattr(run, "cold", cold)
    import corpus  # as run.py imports it

    generated, generate = [], corpus.generate
    monkeypatch.setattr(corpus, "generate", lambda n: generated.append(n) or generate(n))
    for source_pages, folders in ((False, ["digest", "hugo", "pelican"]),
                                  (True, ["digest", "hugo-sources", "pelican-sources"])):
        built.clear()
        run.bench(12, 1, ["digest", "hugo", "pelican"], tmp_path, Path("digest"), [], 0, None, tmp_path, source_pages)
        assert built == list(zip(["digest", "hugo", "pelican"], folders))
    assert generated == [12, 12], "the corpus generated once for run.py's sites, once for both with source pages"
    assert len(list((tmp_path / "12" / "hugo-sources" / "content" / "sources").glob("*.md"))) == \
        len(list((tmp_path / "12" / "digest" / "content" / "sources").glob("*.md"))) > 0
    assert (tmp_path / "12" / "pelican-sources" / "content" / "pages").is_dir()


def test_the_tools_source_pages_show_what_digests_do(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # compare.py imports corpus.py
    compare_module, corpus_module = benchmark_module("compare"), benchmark_module("corpus")
    data = corpus_module.generate(12)
    source = next(s for s in data.sources if s.quotes and s.contributors)
    actors = {a.id: a for a in data.actors}
    citing = [launch for launch in data.launches if source.id in launch.sources]
    text = compare_module.source_body(source, actors, citing, lambda kind, ident: f"/{kind}/{ident}/")
    assert source.outlet in text and all(author in text for author in source.authors)
    assert all(quote.text in text for quote in source.quotes)
    reported = text.split("## Launches reported")[1]
    assert re.findall(r"\]\((/launch/[^)]+)\)", reported) == [f"/launch/{launch.id}/" for launch in citing]
    assert "](launch:" not in text and "](actor:" not in text, "record links made into URLs"


def test_digests_take_turns_rebuilding_their_own_copies(tmp_path, monkeypatch, capsys):
    """turns.py --rebuilds: run.py's three rebuilds, each digest on its own copy, taking turns; the edits undone."""
    out, builds = turns_run(tmp_path, monkeypatch, capsys, "--rebuilds")
    order = re.findall(r"round (\d)/2 ([AB]) (no-change|edit-body|edit-title):", out)
    kinds = ["no-change", "edit-body", "edit-title"]
    assert order == [(round_, label, kind) for round_, labels in (("1", "AB"), ("2", "BA"))
                     for label in labels for kind in kinds]
    assert sorted(builds) == sorted(f"{label} {kind}" for label in "AB" for kind in kinds)
    for label in "AB":
        assert [build["written"] for build in builds[f"{label} no-change"]] == [0, 0]
        assert all(0 < build["written"] < build["files"] for build in builds[f"{label} edit-body"])
        assert all(0 < build["written"] < build["files"] for build in builds[f"{label} edit-title"])
        assert files_under(tmp_path / "12" / f"turns-{label}" / "content") == \
            files_under(tmp_path / "12" / "digest" / "content"), "each copy is the corpus again at the end"
    assert len(re.findall(r"^\| [AB] \| (?:no-change|edit-body|edit-title) \| 2 \|", out, re.MULTILINE)) == 6
