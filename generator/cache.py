"""The build cache: what each content file validated to, and what each page was made from.

Kept in `.digest-cache/` beside the content directory, one file per output
directory. A content file whose size and modification time are unchanged is
not read again; a page whose fingerprint (its template, the records it shows,
the derived values it prints) is unchanged is not rendered again. A missing
or unreadable cache only makes the build slower, never different.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .validate import DocResult

FORMAT = 1  # bump when what is stored changes shape


@dataclass
class FileEntry:
    size: int
    mtime_ns: int
    digest: str  # of the file's bytes
    result: DocResult


@dataclass
class BuildCache:
    config: str = ""  # digest of site.yaml and the options every record depends on
    files: dict[str, FileEntry] = field(default_factory=dict)  # content path -> entry
    pages: dict[str, str] = field(default_factory=dict)  # output path -> page fingerprint
    outputs: frozenset[str] = frozenset()  # every file the build wrote
    # When that build started reading. A file modified within a second before it
    # may be modified again with the same size and timestamp, so its size and
    # time alone prove nothing (git's "racy clean" problem): such files are hashed.
    read_at_ns: int = 0


def cache_path(content_dir: Path, out_dir: Path) -> Path:
    """Where the cache for building `content_dir` into `out_dir` lives."""
    key = hashlib.blake2b(str(out_dir.resolve()).encode(), digest_size=6).hexdigest()
    return content_dir.resolve().parent / ".digest-cache" / f"build-{key}.pickle"


def load(path: Path) -> BuildCache | None:
    """The cache at `path`, or None when absent, stale in format, or unreadable."""
    try:
        with path.open("rb") as stream:
            stored_format, cache = pickle.load(stream)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return None
    return cache if stored_format == FORMAT and isinstance(cache, BuildCache) else None


def save(path: Path, cache: BuildCache) -> None:
    """Write the cache atomically, so a crash leaves the old one or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            pickle.dump((FORMAT, cache), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
