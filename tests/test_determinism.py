"""Same content in, same bytes out: no clocks, no randomness, no dependence on paths or hash seeds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from generator.build import BuildOptions, build
from tests.conftest import REPO


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (the build's own marker aside), by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".digest-site"}


def differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(set(a) ^ set(b)) + sorted(path for path in set(a) & set(b) if a[path] != b[path])


def copy_content(root: Path) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    return root / "content"


def test_two_builds_into_two_folders_are_byte_identical(tmp_path):
    content = copy_content(tmp_path)
    build(BuildOptions(content, tmp_path / "one", search=True))
    build(BuildOptions(content, tmp_path / "elsewhere" / "two", search=True))
    one, two = tree(tmp_path / "one"), tree(tmp_path / "elsewhere" / "two")
    assert len(one) > 40 and any(path.startswith("pagefind/") for path in one)
    assert differences(one, two) == []


def test_a_rebuild_in_place_changes_nothing(tmp_path):
    content = copy_content(tmp_path)
    out = tmp_path / "site"
    build(BuildOptions(content, out, search=True))
    first = {p: (data, (out / p).stat().st_mtime_ns) for p, data in tree(out).items()}
    build(BuildOptions(content, out, search=True))
    second = {p: (data, (out / p).stat().st_mtime_ns) for p, data in tree(out).items()}
    assert first == second  # same bytes, and not even rewritten


def test_builds_in_other_processes_with_other_hash_seeds_agree(tmp_path):
    """Set and dict orders that leak into output would differ between hash seeds."""
    copy_content(tmp_path)
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO), "TZ": "America/Los_Angeles",
               "LC_ALL": "C"}
        result = subprocess.run([sys.executable, "-m", "generator", "build", "--out", f"seed-{seed}"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    build(BuildOptions(tmp_path / "content", tmp_path / "here", search=True))
    here = tree(tmp_path / "here")
    assert differences(tree(tmp_path / "seed-1"), tree(tmp_path / "seed-2")) == []
    assert differences(tree(tmp_path / "seed-1"), here) == []


def test_a_check_renders_the_same_pages_as_a_build(tmp_path):
    content = copy_content(tmp_path)
    checked = build(BuildOptions(content, tmp_path / "site"), write=False).files
    build(BuildOptions(content, tmp_path / "site"))
    built = tree(tmp_path / "site")
    assert {path: built[path] for path in checked} == checked
