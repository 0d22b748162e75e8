"""The search step: rendered HTML pages -> the Pagefind index files, before the site is swapped in.

Runs the Pagefind binary that the `pagefind[bin]` package ships (nothing is
downloaded) over the pages as written in the staging directory (or a scratch
copy of them), and returns its bundle as output files under pagefind/, so the
write stays all or nothing. When no page changed since the last build, the
bundle already on disk is used again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

from . import routes
from .write import OutputError


# Lists what the bundle was made from and holds, so the next build can tell whether to use it again.
MANIFEST = routes.SEARCH_BUNDLE + "digest-manifest.txt"


class SearchError(OutputError):
    """The index could not be built; the message says why and what to do."""


def index(pages: dict[str, bytes], previous_site: Path | None = None) -> dict[str, bytes]:
    """The Pagefind bundle for these HTML pages, by output path; reused from `previous_site` if still right."""
    key = pages_key(pages.items())
    reused = previous_bundle(previous_site, key) if previous_site else None
    if reused is not None:
        return reused
    with tempfile.TemporaryDirectory(prefix="digest-search-") as scratch:
        root = Path(scratch)
        for path, html in pages.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
        bundle = run_pagefind(root)
    return bundle | {MANIFEST: manifest(key, bundle)}


def index_written(root: Path, html_paths: list[str], previous_site: Path | None = None) -> dict[str, bytes]:
    """The Pagefind bundle for the HTML pages already written under `root`."""
    key = pages_key((path, (root / path).read_bytes()) for path in html_paths)
    reused = previous_bundle(previous_site, key) if previous_site else None
    if reused is not None:
        return reused
    bundle = run_pagefind(root)
    return bundle | {MANIFEST: manifest(key, bundle)}


def pages_key(pages: Iterable[tuple[str, bytes]]) -> str:
    """A digest of the pages and of the Pagefind version that would index them."""
    h = hashlib.sha256(pagefind_version().encode())
    for path, html in sorted(pages):
        h.update(f"\0{path}\0".encode() + hashlib.sha256(html).digest())
    return h.hexdigest()


def manifest(key: str, bundle: dict[str, bytes]) -> bytes:
    lines = [key] + [f"{hashlib.sha256(bundle[p]).hexdigest()} {p}" for p in sorted(bundle)]
    return ("\n".join(lines) + "\n").encode()


def previous_bundle(site: Path, key: str) -> dict[str, bytes] | None:
    """The bundle a previous build wrote for the same pages, if it is all there, unchanged."""
    try:
        lines = (site / MANIFEST).read_text(encoding="utf-8").splitlines()
        if not lines or lines[0] != key:
            return None
        bundle = {}
        for line in lines[1:]:
            expected, path = line.split(" ", 1)
            data = (site / path).read_bytes()
            if not path.startswith(routes.SEARCH_BUNDLE) or hashlib.sha256(data).hexdigest() != expected:
                return None
            bundle[path] = data
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return bundle | {MANIFEST: (site / MANIFEST).read_bytes()}


def pagefind_version() -> str:
    try:
        return importlib.metadata.version("pagefind-bin")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def run_pagefind(root: Path) -> dict[str, bytes]:
    """Index the HTML pages under `root`; the bundle's files by output path (written elsewhere)."""
    binary = pagefind_binary()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as scratch:
        bundle = Path(scratch) / "bundle"
        command = [str(binary), "--site", str(root), "--output-path", str(bundle),
                   "--keep-index-url", "--silent"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SearchError(f"could not run Pagefind ({exc}); build with --no-search to skip search") from None
        if result.returncode != 0 or not bundle.is_dir():
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise SearchError("Pagefind failed" + (f": {detail[-1]}" if detail else "")
                              + "; build with --no-search to skip search")
        return {routes.SEARCH_BUNDLE + p.relative_to(bundle).as_posix(): p.read_bytes()
                for p in sorted(bundle.rglob("*")) if p.is_file()}


def pagefind_binary() -> Path:
    """The Pagefind executable shipped by the pagefind[bin] package (or named by PAGEFIND_BINARY_PATH)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        get_executable = None
    binary = get_executable() if get_executable else None
    if binary is None or not Path(binary).is_file():
        raise SearchError("Pagefind is not installed (pip install 'pagefind[bin]'); "
                          "build with --no-search to skip search")
    return Path(binary)
