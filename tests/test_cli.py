"""The command line: `digest build` and `digest check`, their options, output and exit status."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import cli
from generator.cli import main
from tests.conftest import REPO


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(site_dir, monkeypatch) -> Path:
    monkeypatch.chdir(site_dir)
    return site_dir


@pytest.mark.parametrize("argv", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_for_each_command(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: digest")


def test_only_digest_new_imports_what_writes_new_files(capsys):
    # A new interpreter: another test may have imported it already.
    probe = ("import sys; from generator.cli import main; main(['check', '--content', 'no such folder']); "
             "print('generator.scaffold' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"
    with pytest.raises(SystemExit):
        main(["new", "launch", "--help"])
    assert "--title TEXT" in capsys.readouterr().out


def test_the_command_line_forks_its_look_ahead_before_importing_the_content_model():
    # A new interpreter: what the command line has imported when it forks (cli.look_ahead).
    probe = "import sys, generator.cli; print(sorted(m for m in sys.modules if m.startswith('generator.')))"
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert imported == "['generator.cli', 'generator.errors', 'generator.snapshot']\n"


def test_the_command_s_exit_status_and_output_through_its_hard_exit(project):
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}

    def digest(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "generator", *argv], capture_output=True, text=True, env=buffered,
                              check=False)

    built = digest("build", "--out", "out", "--no-search")
    assert built.returncode == 0 and built.stdout.startswith("Built ") and (project / "out/index.html").is_file()
    missing = digest("check", "--content", "no such folder")
    assert missing.returncode == 2 and "content directory" in missing.stderr


def test_the_command_waits_for_a_thread_still_at_work(monkeypatch):
    exits = []
    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr(os, "_exit", exits.append)
    cli.run()
    assert exits == [3]  # out at once
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
    finally:
        release.set()
        worker.join()
    assert exited.value.code == 3 and exits == [3]  # left to Python, which waits for the thread


@pytest.mark.parametrize("argv, says", [
    ([], "the following arguments are required: COMMAND"),
    (["publish"], "invalid choice: 'publish'"),
    (["build", "--nope"], "unrecognized arguments: --nope"),
])
def test_usage_errors_exit_2(argv, says, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


def test_check_reports_success_and_writes_nothing_but_its_cache(project, capsys):
    before = tree(project)
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("No problems found: ") and out.rstrip().endswith("pages would be built.")
    assert err == ""
    after = tree(project)
    assert {path: after[path] for path in after if not path.startswith(".digest-cache/")} == before
    assert {".digest-cache/check.pickle", ".digest-cache/check.output.pickle"} <= after.keys()
    assert main(["check"]) == 0
    assert capsys.readouterr().out == out  # the same words when the cache spares the work


def test_build_writes_the_site_and_says_so(project, capsys):
    assert main(["build", "--no-search"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Built ") and "pages into site" in out
    assert (project / "site/index.html").is_file()
    assert (project / "site/launches/2030-03-01-first/index.html").is_file()


def test_content_and_out_options(project, capsys):
    shutil.move(project / "content", project / "words")
    assert main(["build", "--no-search", "--content", "words", "--out", "public"]) == 0
    assert (project / "public/actors/northland/index.html").is_file()
    assert not (project / "site").exists()


def test_base_url_option_sets_canonical_urls(project):
    assert main(["build", "--no-search", "--base-url", "https://mirror.example.test/news"]) == 0
    page = BeautifulSoup((project / "site/launches/2030-03-01-first/index.html").read_text(), "html.parser")
    assert page.select_one('link[rel="canonical"]')["href"] == \
        "https://mirror.example.test/news/launches/2030-03-01-first/"


def test_drafts_option(project):
    (project / "content/launches/2030-05-01-draft.md").write_text(
        "---\ntitle: Not yet\ndate: 2030-05-01\ndraft: true\n---\n")
    assert main(["build", "--no-search"]) == 0
    assert not (project / "site/launches/2030-05-01-draft").exists()
    assert main(["build", "--no-search", "--drafts"]) == 0
    assert (project / "site/launches/2030-05-01-draft/index.html").is_file()


@pytest.mark.parametrize("argv, message", [
    (["check", "--content", "nowhere"],
     "digest: error: content directory nowhere not found (run from the site's folder or pass --content DIR)"),
    (["build", "--content", "nowhere"],
     "digest: error: content directory nowhere not found (run from the site's folder or pass --content DIR)"),
    (["build", "--templates", "theme"], "digest: error: templates directory theme not found"),
])
def test_missing_directories_are_usage_errors(project, capsys, argv, message):
    before = tree(project)
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [message]
    assert tree(project) == before


def test_the_installed_command_and_python_m_agree(project):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = Path(sys.executable).with_name("digest")
    commands = [[sys.executable, "-m", "generator", "check"]] + ([[str(script), "check"]] if script.exists() else [])
    for command in commands:
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("No problems found")
    (project / "content/actors/northland.yaml").write_text("name: Northland\nkind: stat\n")
    result = subprocess.run(commands[-1], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == \
        "content/actors/northland.yaml:2:7: error: kind: unknown kind 'stat' (did you mean 'state'?)"
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_a_build_with_one_line_and_ends_as_ctrl_c_does(monkeypatch, capsys):
    import signal

    def interrupted():
        raise KeyboardInterrupt

    sent = []
    monkeypatch.setattr(cli, "main", interrupted)
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    monkeypatch.setattr(signal, "signal", lambda sig, handler: None)  # pytest's own handler stays
    with pytest.raises(KeyboardInterrupt):  # only if the signal sent did not end the process
        cli.run()
    captured = capsys.readouterr()
    assert captured.err == "digest: stopped (Ctrl-C)\n" and captured.out == ""
    assert sent == [(os.getpid(), signal.SIGINT)]
