"""The search step: rendered HTML pages -> the Pagefind index files, before the site is swapped in.

Runs the Pagefind binary that the `pagefind[bin]` package ships (nothing is
downloaded) over the pages, shard by shard (a large site's search loads one
bundle per shard), each in a folder of links to the pages, kept for the next
build, and returns the bundles as output files under pagefind/, so the write
stays all or nothing. A shard none of whose pages changed since the last build
keeps its bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import Progress, no_progress
from .write import OutputError


# In each bundle: what it was made from and holds, so the next build can tell whether to use it again.
MANIFEST = "digest-manifest.txt"


class SearchError(OutputError):
    """The index could not be built; the message says why and what to do."""


def index(pages: dict[str, bytes | Path], bundles: dict[str, list[str]], previous_site: Path | None = None,
          progress: Progress = no_progress, trees: Path | None = None) -> dict[str, bytes | Path]:
    """The Pagefind bundles (routes.search_bundles) of these HTML pages, by output path.

    Each page is given as its bytes or as the file that holds them, and so is
    each file of the bundles: a bundle whose pages are the same as when
    `previous_site` was built is kept from there, as its files; the others are
    indexed again. Pagefind cannot update an index: one page edited at 10,000
    launches took 29 s of indexing with one bundle for all pages.
    `trees`: where each bundle's folder of pages is kept between builds (see page_tree).
    """
    files: dict[str, bytes | Path] = {}
    placed = {path for shard in bundles.values() for path in shard}
    others = {path: page for path, page in pages.items() if path not in placed}
    if len(bundles) > 1:  # only those that ask to be indexed: the listings would make the first bundle's key change often
        others = {path: page for path, page in others.items() if b"data-pagefind-body" in read(page)}
    shards = [({path: pages[path] for path in shard} | (others if number == 0 else {}), bundle)
              for number, (bundle, shard) in enumerate(bundles.items())]
    bar = progress("Indexing", len(shards))
    from concurrent.futures import ThreadPoolExecutor  # only indexing needs it (see pagefind_version)

    # One Pagefind process per core, at most four: on a 2-core machine two kept both cores busy,
    # where one alone kept 1.4 busy (measured); more cores than two were never measured.
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4)) as pool:
        for made in pool.map(lambda shard: index_shard(*shard, previous_site, trees), shards):
            files |= made
            bar.update(1)
    bar.close()
    return files


def read(page: bytes | Path) -> bytes:
    return page.read_bytes() if isinstance(page, Path) else page


def index_shard(pages: dict[str, bytes | Path], bundle: str, previous_site: Path | None,
                trees: Path | None) -> dict[str, bytes | Path]:
    """One bundle: reused from `previous_site` if made from the same pages, else made by Pagefind."""
    key = pages_key(pages)
    reused = previous_bundle(previous_site, bundle, key) if previous_site else None
    kept = trees / bundle.strip("/").replace("/", "-") if trees else None
    if reused is not None:
        if kept and not links_to(kept, pages):
            shutil.rmtree(kept, ignore_errors=True)  # its links would keep the files of an old site on disk
        return reused
    with page_tree(kept, previous_site.parent if previous_site else None) as root:
        fill(root, pages)
        made = run_pagefind(root, bundle)
    return made | {bundle + MANIFEST: manifest(key, made)}


@contextlib.contextmanager
def page_tree(kept: Path | None, near: Path | None) -> Iterator[Path]:
    """The folder a bundle's pages are put in for Pagefind: `kept` for the next build, if it
    can be made on the disk of `near` (the site's folder, so that it can link to the pages
    rather than copy them), or else a scratch folder deleted after.

    Kept, a rebuild changes in it only the links of pages that changed: making a
    folder for each of 1,198 pages took 0.78-0.81 s on a disk where linking them
    took 0.02-0.03 s (measured).
    """
    if kept:
        try:
            kept.mkdir(parents=True, exist_ok=True)
            if near is None or kept.stat().st_dev != near.stat().st_dev:
                kept = None
        except OSError:
            kept = None
    if kept:
        yield kept
        return
    with scratch_folder(near) as scratch:
        yield Path(scratch)


def fill(root: Path, pages: dict[str, bytes | Path]) -> None:
    """Make `root` hold exactly `pages`, each given as a file by a link to it; a file that
    already is that page (a link to it) is left as it is."""
    there = {os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
             for folder, _, names in os.walk(root) for name in names}
    for path in there - pages.keys():
        (root / path).unlink()
    for path, page in pages.items():
        target = root / path
        if isinstance(page, Path) and path in there and os.path.samefile(target, page):
            continue
        if path in there:
            target.unlink()  # never written through: it may be a link to a page of the site
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(page, Path):
            link_or_copy(page, target)
        else:
            target.write_bytes(page)


def links_to(tree: Path, pages: dict[str, bytes | Path]) -> bool:
    """Whether a kept folder of pages (not there: True) links to these pages, as far as its first one tells.

    A rebuild that writes every page anew (a full build) leaves the folders of
    the bundles it kept linking to files of the old site.
    """
    first = min(pages, default=None)
    try:
        return not tree.exists() or (first is not None and isinstance(pages[first], Path)
                                     and os.path.samefile(tree / first, pages[first]))
    except OSError:
        return False


def scratch_folder(near: Path | None) -> tempfile.TemporaryDirectory:
    """A temporary folder in `near` (beside the site: the pages there can be linked rather than
    copied), or where temporary files go when `near` cannot have one."""
    try:
        return tempfile.TemporaryDirectory(prefix=".digest-search-", dir=near)
    except OSError:
        return tempfile.TemporaryDirectory(prefix="digest-search-")


def link_or_copy(source: Path, target: Path) -> None:
    """`target` as another name of `source` (no bytes copied), or a copy where that cannot be."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def pages_key(pages: dict[str, bytes | Path]) -> str:
    """A digest of the pages and of the Pagefind version that would index them.

    Of their bytes, not of their fingerprints (which would spare reading them,
    0.8 s of CPU time at 10,000 launches): it is written in the site, and a
    fingerprint depends on the folder the build ran in.
    """
    h = hashlib.sha256(pagefind_version().encode())
    for path in sorted(pages):
        h.update(f"\0{path}\0".encode() + hashlib.sha256(read(pages[path])).digest())
    return h.hexdigest()


def manifest(key: str, bundle: dict[str, bytes]) -> bytes:
    lines = [key] + [f"{hashlib.sha256(bundle[p]).hexdigest()} {p}" for p in sorted(bundle)]
    return ("\n".join(lines) + "\n").encode()


def previous_bundle(site: Path, bundle: str, key: str) -> dict[str, Path] | None:
    """The files of the bundle a previous build wrote for the same pages, if it is all there, unchanged."""
    try:
        lines = (site / bundle / MANIFEST).read_text(encoding="utf-8").splitlines()
        if not lines or lines[0] != key:
            return None
        files = {}
        for line in lines[1:]:
            expected, path = line.split(" ", 1)
            data = (site / path).read_bytes()
            if not path.startswith(bundle) or hashlib.sha256(data).hexdigest() != expected:
                return None
            files[path] = site / path
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return files | {bundle + MANIFEST: site / bundle / MANIFEST}


def pagefind_version() -> str:
    import importlib.metadata  # only here: importing it took 9 ms of every command, building with search or not

    try:
        return importlib.metadata.version("pagefind-bin")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def run_pagefind(root: Path, bundle: str) -> dict[str, bytes]:
    """Index the HTML pages under `root`; the files of the bundle at `bundle`, by output path (written elsewhere)."""
    import subprocess  # only here: importing it took ~4.5 ms of every command, most running nothing

    binary = pagefind_binary()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as scratch:
        output = Path(scratch) / "bundle"
        command = [str(binary), "--site", str(root), "--output-path", str(output),
                   "--keep-index-url", "--silent"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SearchError(f"could not run Pagefind ({exc}); build with --no-search to skip search") from None
        if result.returncode != 0 or not output.is_dir():
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise SearchError("Pagefind failed" + (f": {detail[-1]}" if detail else "")
                              + "; build with --no-search to skip search")
        return {bundle + p.relative_to(output).as_posix(): p.read_bytes()
                for p in sorted(output.rglob("*")) if p.is_file()}


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
