"""Stages 1-2 over the whole content directory, reusing what the cache knows.

A file unchanged since the last build (same size and modification time, or
same bytes) keeps its validation result; only changed files are parsed and
checked again. Without a cache this is simply load + validate.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection

from . import parallel
from .cache import BuildCache, FileEntry, code_digest, digest
from .errors import Problem, Progress, display_path, no_progress
from .load import KINDS, RawDoc, content_files, listed_as, load_file, load_site_file
from .model import Fillable, SiteConfig, record_key
from .snapshot import Snapshot
from .validate import DocResult, Validated, body_origin, collect, validate_doc, validate_site


@dataclass(frozen=True)
class ReadResult:
    config: SiteConfig | None
    problems: list[Problem]  # those of no one record file: site.yaml's, stray files'
    files: dict[str, FileEntry]  # content path -> entry, for the next build's cache
    config_digest: str
    record_digests: dict[str, str]  # "kind:id" -> digest of the record's file
    head_digests: dict[str, str]  # "kind:id" -> digest of the record without its body
    read_at_ns: int
    # The files whose time is not before read_at_ns, with their kinds: saved again in that
    # clock tick, their size and time may stay the same (found as read, not in a pass over all).
    recent: dict[str, str]
    paths: dict[str, str]  # "kind:id" -> the content path of the record's file

    def record(self, key: str) -> Fillable:
        """The record "kind:id" as its file validated to."""
        return self.files[self.paths[key]].result.record

    @functools.cached_property
    def validated(self) -> Validated:
        """Every record and every problem, for linking (gathered when asked: the preview, after an edit
        that keeps every record's shape, does not link)."""
        return collect(self.config, [entry.result for entry in self.files.values()], self.problems)


def read_content(content_dir: Path, base_url: str | None, previous: BuildCache | None,
                 progress: Progress = no_progress, started_ns: int = 0,
                 done: Callable[[str, FileEntry], None] = lambda path, entry: None,
                 taken: Snapshot | None = None) -> ReadResult:
    """Load and validate every content file, reusing unchanged files' results from `previous`.

    `started_ns`: when this build started, as the file system tells time (snapshot.file_system_time).
    `done`: called with each file's entry as soon as it is known (see cache.FilesSaver).
    `taken`: the build's snapshot, taken since `started_ns`: the files it lists, with their
    sizes and times, are not asked of the file system again.
    """
    problems: list[Problem] = []
    config, config_digest = read_config(content_dir, base_url, problems)
    reusable = previous.files if previous and previous.config == config_digest else {}
    trusted_before = previous.read_at_ns if previous else 0

    paths, stray = content_files(content_dir, taken.files_in) if taken else content_files(content_dir)
    problems.extend(stray)
    stats = taken.inputs if taken else None
    entries: dict[str, FileEntry | None] = {}
    bar = progress("Reading", len(paths))
    changed = []
    for path, kind, _ in paths:
        entry = entries[path] = _unchanged(path, reusable.get(path), trusted_before, stats)
        if entry is None:
            changed.append((path, kind))
        else:
            done(path, entry)
    bar.update(len(paths) - len(changed))
    read_one = lambda item: _entry(Path(item[0]), item[1], content_dir, config, reusable.get(item[0]))  # noqa: E731
    for index, entry in parallel.imap(read_one, changed, bar):
        path = changed[index][0]
        entries[path] = entry
        done(path, entry)
    bar.close()
    keys = [record_key(kind, ident) for _, kind, ident in paths]  # in the order of `entries`
    record_digests = {key: entry.digest for key, entry in zip(keys, entries.values())}
    head_digests = {key: entry.head for key, entry in zip(keys, entries.values())}
    recent = {path: kind for path, kind in changed if entries[path].mtime_ns >= started_ns}
    paths = dict(zip(keys, entries))
    return ReadResult(config, problems, entries, config_digest, record_digests, head_digests, started_ns, recent,
                      paths)


def read_again(content_dir: Path, base_url: str | None, last: ReadResult, touched: Collection[str],
               started_ns: int) -> ReadResult | None:
    """`last` with the record files among `touched` read again; None when the whole read is needed.

    For the preview, whose watcher names every file added, changed or removed
    since `last` was read: listing and checking every file took 0.13-0.2 s of a
    0.35 s rebuild at 10,000 launches. None when the settings changed, or a file
    the whole read would list (or call a stray) came or went.
    """
    problems: list[Problem] = []
    config, config_digest = read_config(content_dir, base_url, problems)
    if problems or last.problems or config_digest != last.config_digest:
        return None
    if any(os.path.islink(content_dir / folder) for folder in KINDS):
        return None  # the watcher does not look inside a linked folder: its files may have changed unseen
    again = {}  # path, as content_files() names it -> kind
    for touched_path in touched:
        path, kind = listed_as(content_dir, touched_path)
        if not path:
            continue  # not a file content_files() looks at
        if path in last.files:
            again[path] = kind
        elif os.path.lexists(path):
            return None  # a new file: a record, or a stray
        # else a file that came and went, such as vim's "4913"
    again |= last.recent  # saved in the clock tick the last read began in: may have changed since, its time the same
    if not all(map(os.path.isfile, again)):
        return None  # a record file removed
    files = dict(last.files)
    record_digests, head_digests = dict(last.record_digests), dict(last.head_digests)
    for path, kind in again.items():
        entry = _unchanged(path, last.files[path], last.read_at_ns)
        files[path] = entry or _entry(Path(path), kind, content_dir, config, last.files[path])
        record_digests[key_of(kind, path)] = files[path].digest
        head_digests[key_of(kind, path)] = files[path].head
    recent = {path: kind for path, kind in again.items() if files[path].mtime_ns >= started_ns}
    return ReadResult(config, problems, files, config_digest, record_digests, head_digests, started_ns, recent,
                      last.paths)


def read_config(content_dir: Path, base_url: str | None, problems: list[Problem]) -> tuple[SiteConfig | None, str]:
    """The site's settings (None if site.yaml is missing or invalid), and a digest of all records depend on
    (digest's own code included: what an older version made of a file is not used again)."""
    site_doc = load_site_file(content_dir, problems)
    config = validate_site(site_doc, base_url, problems) if site_doc else None
    site_bytes = (content_dir / "site.yaml").read_bytes() if site_doc else b""
    # Cached problems name files relative to the working directory, hence cwd.
    return config, digest(site_bytes + f"\0{base_url}\0{Path.cwd()}\0{code_digest()}".encode())


def key_of(kind: str, path: str) -> str:
    """The record key ("kind:id") of a content file.

    Not through the remembered file_id(): 15,000 paths took 0.032 s in a new process, against 0.011 s.
    """
    return record_key(kind, os.path.splitext(os.path.basename(path))[0])


def _unchanged(path: str, old: FileEntry | None, trusted_before: int,
               stats: dict[str, tuple[int, int]] | None = None) -> FileEntry | None:
    """The cached entry of a file whose size and time (from `stats`, or asked) say it is unchanged, else None."""
    if old is None:
        return None
    size, mtime_ns = (stats and stats.get(path)) or _size_and_time(path)
    return old if (old.size, old.mtime_ns) == (size, mtime_ns) and mtime_ns < trusted_before else None


def _size_and_time(path: str) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError:  # reading it will say why
        return [-1, -1]
    return [stat.st_size, stat.st_mtime_ns]


def _entry(path: Path, kind: str, content_dir: Path, config, old: FileEntry | None) -> FileEntry:
    """Parse and validate a file, unless its bytes are those `old` was made from."""
    try:
        stat = path.stat()
        data = path.read_bytes()
    except OSError as exc:  # a link to nothing, no permission, or gone since listed
        problem = Problem(display_path(path, content_dir), 1, 1, "", f"file cannot be read: {exc.strerror}",
                          "fix the file's permissions or the link, or remove it")
        return FileEntry(-1, -1, "", "", DocResult(kind, None, None, (problem,)))  # read again next time
    data_digest = digest(data)
    if old and old.digest == data_digest:
        return FileEntry(stat.st_size, stat.st_mtime_ns, data_digest, old.head, old.loaded, old.pickled, old.at)
    problems: list[Problem] = []
    doc = load_file(path, kind, content_dir, problems, data)
    if doc is None:
        result = DocResult(kind, None, None, tuple(problems))
        return FileEntry(stat.st_size, stat.st_mtime_ns, data_digest, data_digest, result)
    result = validate_doc(doc, config)
    if problems:  # problems found while parsing, such as a key given twice
        result = DocResult(kind, None, result.refs, tuple(problems) + result.problems)
    head = head_digest(doc) if result.record else data_digest
    return FileEntry(stat.st_size, stat.st_mtime_ns, data_digest, head, result)


def head_digest(doc: RawDoc) -> str:
    """A digest of what a file says besides its body: the record without its body is made of that alone.

    That is the front matter's own text when the body is the Markdown after it (a change to its
    spacing or comments then counts as a change: 4 against 17 us a file), else the fields but the body.
    """
    body_key, _ = body_origin(doc)
    if body_key == "body" and doc.path.suffix in (".md", ".markdown"):
        return digest(f"{doc.shown}\0{doc.yaml_text}".encode())
    fields = {key: value for key, value in doc.data.items() if key != body_key}
    return digest(f"{doc.shown}\0{fields!r}".encode())
