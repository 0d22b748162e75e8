"""The search step: rendered HTML pages -> the Pagefind index files, before anything is written.

Runs the Pagefind binary that the `pagefind[bin]` package ships (nothing is
downloaded) over a scratch copy of the pages, and returns its bundle as
output files under pagefind/, so the write stays all or nothing.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from . import routes
from .write import OutputError


class SearchError(OutputError):
    """The index could not be built; the message says why and what to do."""


def index(pages: dict[str, bytes]) -> dict[str, bytes]:
    """The Pagefind bundle for these HTML pages (output path -> bytes), by output path."""
    binary = pagefind_binary()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as scratch:
        root = Path(scratch) / "site"
        for path, html in pages.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
        bundle = root / routes.SEARCH_BUNDLE
        command = [str(binary), "--site", str(root), "--output-subdir", routes.SEARCH_BUNDLE.rstrip("/"),
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
