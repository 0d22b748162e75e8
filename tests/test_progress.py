"""Progress reporting: stages with their totals, bars only on a terminal, --quiet."""

from __future__ import annotations

import io

from generator.build import BuildOptions, build
from generator.cli import main, terminal_progress
from generator.errors import no_progress
from tests.conftest import shard_search


class RecordingBar:
    def __init__(self, log, stage, total):
        self.log, self.stage = log, stage
        log.append((stage, "total", total))

    def update(self, n):
        self.log.append((self.stage, "update", n))

    def close(self):
        self.log.append((self.stage, "close", 0))


def test_build_reports_reading_and_rendering_with_totals(site_dir, monkeypatch):
    log = []
    report = build(BuildOptions(site_dir / "content", site_dir / "site"),
                   progress=lambda stage, total: RecordingBar(log, stage, total))
    totals = {stage: total for stage, kind, total in log if kind == "total"}
    done = {stage: sum(n for s, kind, n in log if s == stage and kind == "update") for stage in totals}
    assert totals["Reading"] == 6  # the record files of the minimal site
    assert totals["Rendering"] == report.pages  # a first build renders every page
    assert done == totals
    assert [kind for _, kind, _ in log].count("close") == 2


def test_a_build_with_search_reports_indexing_shard_by_shard(site_dir, monkeypatch):
    shard_search(site_dir, monkeypatch)  # several bundles for the minimal site
    log = []
    build(BuildOptions(site_dir / "content", site_dir / "site", search=True),
          progress=lambda stage, total: RecordingBar(log, stage, total))
    bundles = len(list((site_dir / "site").rglob("pagefind-entry.json")))
    assert bundles > 1
    assert [(kind, n) for stage, kind, n in log if stage == "Indexing"] == [
        ("total", bundles)] + [("update", 1)] * bundles + [("close", 0)]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_are_off_when_quiet_or_not_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal
    assert terminal_progress(quiet=False) is no_progress
    monkeypatch.setattr("sys.stderr", Terminal())
    assert terminal_progress(quiet=True) is no_progress
    bar = terminal_progress(quiet=False)("Reading", 10)
    assert not bar.disable and bar.total == 10
    bar.close()


def test_quiet_build_prints_nothing(site_dir, capsys, monkeypatch):
    monkeypatch.chdir(site_dir)
    assert main(["build", "--quiet", "--no-search"]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert main(["build", "--no-search"]) == 0
    assert capsys.readouterr().out.startswith("Built ")
