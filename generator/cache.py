"""The build cache: what each content file validated to, and what each page was made from.

Kept in `.digest-cache/` beside the content directory, per output directory
in two files: what the content files validated to (true whatever the output),
and what the output's pages were made from (deleted before the output changes,
saved once it is complete). A content file whose size and modification time
are unchanged is not read again; a page whose fingerprint (its template, the
records it shows, the derived values it prints) is unchanged is not rendered
again. A missing or unreadable cache only makes the build slower, never different.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import os
import pickle
import shutil
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from .data import Rows, map_file
from .link import Site
from .model import RECORD_CLASSES, SHARED_LENGTH, Fillable, kind_of, stand_ins
from .snapshot import FORMAT, UNREADABLE, atomic_file, make_folder, snapshot_path
from .validate import DocResult

# Slotted: 88 bytes an entry against 352 with its dict (one per content file, 154,000 at 100,000
# launches), and the 15,427 of a cache load at 10,000 made in 9.5-11.3 ms against 14.1-14.9 ms (alone).
@dataclass(slots=True)
class FileEntry:
    size: int
    mtime_ns: int
    digest: str  # of the file's bytes
    # Of the record without its body: pages whose templates show no body depend on
    # this, so that editing a body does not render the listings again.
    head: str
    loaded: DocResult | None  # the result; None until first asked for (`result`) when read from the cache file
    # The result pickled, kept from when it was first pickled (in a worker that read
    # the file, or in the cache file loaded) until the cache is saved, so that saving
    # re-pickles only what changed: pickling every record took seconds at 10,000 launches.
    pickled: bytes | memoryview | None = field(default=None, repr=False, compare=False)
    # Where `pickled` is in the cache file it was loaded from (FilesSaver appends to that file only what it lacks).
    at: int | None = field(default=None, repr=False, compare=False)

    @property
    def result(self) -> DocResult:
        """What the file validated to, unpickled when first asked for.

        A rebuild after a few edits may ask for none but theirs (see Kept.site):
        unpickling all 15,427 took 0.35-0.45 s of its 1.3 s at 10,000 launches.
        """
        if self.loaded is None:
            self.loaded = unpickle_result(self.pickled)
        return self.loaded

    def drop_pickled(self) -> None:
        """Let go of the pickled result, unless it is still to be unpickled."""
        if self.loaded is not None:
            self.pickled = None

    def __getstate__(self):
        if self.pickled is None:
            self.pickled, self.at = pickle_result(self.result), None
        return (self.size, self.mtime_ns, self.digest, self.head, bytes(self.pickled), self.at)

    def __setstate__(self, state):
        self.size, self.mtime_ns, self.digest, self.head, self.pickled, self.at = state
        self.loaded = unpickle_result(self.pickled)


class _SharingPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj if type(obj) is str and len(obj) < SHARED_LENGTH else None


def pickle_result(result: DocResult) -> bytes:
    """A file's validation result pickled, its short strings (ids, roles, types) marked to be shared.

    Each file's result is pickled alone, so that the cache saves only what changed;
    unpickled alone, every record had its own copy of every id and word it names
    (21 MB of copies in the 77 MB of records and pages at 10,000 launches). Shared,
    the peak of a cold build went from 314 to 288 MB (measured).
    """
    stream = io.BytesIO()
    _SharingPickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(result)
    return stream.getvalue()


def unpickle_result(pickled: bytes | memoryview) -> DocResult:
    """What pickle_result pickled, each short string one shared (interned) string."""
    unpickler = pickle.Unpickler(io.BytesIO(pickled))
    unpickler.persistent_load = sys.intern
    return unpickler.load()


@dataclass
class BuildCache:
    # What the content files validated to.
    config: str = ""  # digest of site.yaml and the options every record depends on
    files: dict[str, FileEntry] = field(default_factory=dict)  # content path -> entry
    # When that build started reading, as the file system stamps times (see
    # file_system_time): files with this time or later are hashed, not trusted.
    read_at_ns: int = 0
    # What the output is made of; None when not known (the output cannot be updated in place).
    outputs: frozenset[str] | None = None  # every file the build wrote
    pages: dict[str, str] = field(default_factory=dict)  # output path -> page fingerprint
    rows: Rows = field(default_factory=dict)  # the exported records' rows (WrittenRows)
    data_files: dict[str, list[int]] = field(default_factory=dict)  # data file -> [size, mtime_ns, its first row's offset]
    page_map: PageMap | None = None  # None: pages not all fingerprinted, or not known
    # The files' part as loaded: a save appends to it if it is still that file (saving_files).
    stored: Stored | None = None
    output_stored: OutputIdentity | None = None  # the output part as loaded, likewise (save_output)


FileIdentity = tuple[int, int, int, int]  # a file's device, inode, size and mtime_ns
# The output part's FileIdentity, the size of it saved whole, and how many changes were appended to it.
OutputIdentity = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Stored:
    """The files' part of the cache as loaded: the file, and where its whole index is (see FilesSaver)."""

    identity: FileIdentity
    index: tuple[int, int, bytes]  # where the whole index is, its length and its _check()
    amended: frozenset[str] = frozenset()  # the paths whose rows the amendment after it gave


def file_identity(stream: BinaryIO) -> FileIdentity:
    stat = os.fstat(stream.fileno())
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


@dataclass(frozen=True)
class PageMap:
    """What an output was made from, and which linked site describes its pages (see save_site).

    After edits that keep every record's shape, a build or check plans the pages
    that show the edited records without planning the others (build.edited_pages).
    """

    # The identity of the files' part of the cache as the build that made the output saved it: a
    # build that finds it so knows it describes the files the output was made from, without the
    # digest of every file's (0.006 s at 10,000 launches, twice a build).
    files_saved: FileIdentity
    setup: str  # build.build_setup() of that build
    templates: str  # build.templates_digest() of the template folders
    linked: str  # files_digest() of the files the site kept beside the cache was linked from, with its ShownOn


class ShownOn:
    """Which pages show each record, of the pages planned from a linked site.

    Kept pickled in three parts, each unpickled when first asked for: the pages' paths, and for
    each record the numbers of the pages that show its body, and of those that show it. A build
    holds them until it ends (at 100,000 launches 79 MB as objects, 28 MB pickled as one, at
    `9ebef5b`; the cold build's peak 1,446 against 1,485 MB, measured), and a body edit asks only
    for the bodies. Each part is a few strings and arrays (PackedStrings), whose items are looked up
    where they lie: at 10,000 launches, a title edit's lookups took 0.0006 s, against 0.008 s with
    a list of the paths and dicts of each record's numbers unpickled (medians of fifteen).
    """

    def __init__(self, pickled: tuple[bytes, bytes, bytes]):
        self.pickled = pickled

    @classmethod
    def of(cls, paths: list[str], bodies: dict[str, array], shows: dict[str, array]) -> ShownOn:
        """`paths`: the pages'; `bodies` and `shows`: "kind:id" -> the numbers of pages (in `paths`) that show
        the record's body, and that show the record."""
        packed = [PackedStrings.of(paths).parts, *(_packed_numbers(part) for part in (bodies, shows))]
        return cls(tuple(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL) for part in packed))

    def pages(self, keys: Iterable[str], bodies: bool) -> set[str]:
        """The pages that show the body of any record of `keys` ("kind:id") (`bodies`), or that show any."""
        return {self._paths[number] for number in self.numbers(keys, bodies)}

    def numbers(self, keys: Iterable[str], bodies: bool) -> set[int]:
        """As pages(), their numbers in the list of paths. The part asked for is unpickled once, and its keys
        split once past a few (PackedStrings.indexes): for 100 edited records at 10,000 launches, 4 ms
        against 67 ms unpickled and searched key by key (measured)."""
        keys_part, key_ends, number_ends, numbers = pickle.loads(self.pickled[1 if bodies else 2])
        ends, found, shown = memoryview(number_ends).cast(PAGE_NUMBER), memoryview(numbers).cast(PAGE_NUMBER), set()
        for index in PackedStrings(keys_part, key_ends).indexes(keys).values():
            shown.update(found[ends[index - 1] if index else 0:ends[index]])
        return shown

    @functools.cached_property
    def _paths(self) -> PackedStrings:
        return PackedStrings(*pickle.loads(self.pickled[0]))


def _packed_numbers(numbers_of: dict[str, array]) -> tuple[str, bytes, bytes, bytes]:
    """Each key's numbers one after the other, the keys packed (PackedStrings), and where each key's numbers end."""
    keys = PackedStrings.of(list(numbers_of))
    ends = array(PAGE_NUMBER, itertools.accumulate(len(numbers) for numbers in numbers_of.values()))
    return (*keys.parts, ends.tobytes(), b"".join(numbers.tobytes() for numbers in numbers_of.values()))


class PackedStrings:
    """A list of strings without a NUL as one string, each looked up where it lies, not made apart."""

    def __init__(self, joined: str, ends: bytes):
        self.joined, self.ends = joined, ends  # "\0" + each string + "\0"; where each one's "\0" after it is

    @classmethod
    def of(cls, strings: list[str]) -> PackedStrings:
        joined = "\0" + "\0".join(strings) + "\0"
        return cls(joined, array(PAGE_NUMBER, itertools.accumulate(len(string) + 1 for string in strings)).tobytes())

    @property
    def parts(self) -> tuple[str, bytes]:
        return self.joined, self.ends

    def __getitem__(self, index: int) -> str:
        ends = memoryview(self.ends).cast(PAGE_NUMBER)
        return self.joined[ends[index - 1] + 1 if index else 1:ends[index]]

    def index(self, string: str) -> int | None:
        """Where `string` is in the list; None if it is not."""
        at = self.joined.find(f"\0{string}\0")
        return None if at < 0 else self.joined.count("\0", 0, at)

    def indexes(self, strings: Iterable[str]) -> dict[str, int]:
        """Where each of `strings` is in the list, of those that are. Each index() walks the list:
        past a few strings, the list is split once instead."""
        wanted = set(strings)
        if len(wanted) <= LOOKED_UP_ALONE:
            return {string: index for string in wanted if (index := self.index(string)) is not None}
        return {string: index for index, string in enumerate(self.joined[1:-1].split("\0")) if string in wanted}


LOOKED_UP_ALONE = 8  # strings; see PackedStrings.indexes


PAGE_NUMBER = "I"  # the array type of ShownOn's page numbers


def files_digest(files: dict[str, FileEntry]) -> str:
    """A digest of which content files there are and of their bytes."""
    return digest("\0".join(f"{path}\0{files[path].digest}" for path in sorted(files)).encode())


def save_pickled(path: Path, value: object) -> None:
    with atomic_file(path) as stream:
        pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickled(path: Path) -> Any:
    """What save_pickled saved at `path`; None if it cannot be read."""
    try:
        return pickle.loads(path.read_bytes())
    except UNREADABLE:
        return None


def preview_path(content_dir: Path) -> Path:
    """Where `digest serve` builds its preview, kept for the next one to start from."""
    folder = content_dir.resolve().parent / ".digest-cache"
    make_folder(folder)
    return folder / "preview" / "site"


def output_path(store: Path) -> Path:
    """Where the part of the cache at `store` that describes the output lives."""
    return store.with_suffix(".output.pickle")


def search_trees_path(store: Path) -> Path:
    """Where the build whose cache is at `store` keeps the folders of pages it gives Pagefind (see search.page_tree)."""
    return store.with_suffix(".search")


def site_path(store: Path) -> Path:
    """Where the build whose cache is at `store` keeps the site it linked (save_site)."""
    return store.with_suffix(".site.pickle")


def out_dir_note(store: Path) -> Path:
    """Where the cache at `store` notes the output directory it describes."""
    return store.with_suffix(".out")


def note_out_dir(store: Path, out_dir: Path) -> None:
    out_dir_note(store).write_text(str(out_dir.resolve()) + "\n", encoding="utf-8")


def prune(store: Path) -> None:
    """Delete the caches beside `store` whose output directories are gone.

    One output directory's cache is ~50 MB at 10,000 launches, and building
    into a new folder each time (a temporary one, say) would pile them up.
    """
    for note in store.parent.glob("build-*.out"):
        try:
            gone = note != out_dir_note(store) and not Path(note.read_text(encoding="utf-8").strip()).is_dir()
        except OSError:
            continue
        if gone:
            other = note.with_suffix(".pickle")
            for path in (other, output_path(other), aside_path(other), snapshot_path(other), site_path(other), note):
                path.unlink(missing_ok=True)
            shutil.rmtree(search_trees_path(other), ignore_errors=True)


def compiled_templates_dir(store: Path) -> Path:
    """Where the templates compiled by Jinja are kept (Jinja checks their source before use)."""
    folder = store.parent / "templates"
    make_folder(store.parent)
    folder.mkdir(exist_ok=True)
    return folder


def forget_output(store: Path) -> None:
    """Set aside what the cache at `store` knows of the output, no longer trusted: the output is
    about to change (save_output puts it back, with the changes)."""
    with contextlib.suppress(FileNotFoundError):
        os.replace(output_path(store), aside_path(store))
    snapshot_path(store).unlink(missing_ok=True)


def aside_path(store: Path) -> Path:
    """Where forget_output sets the output part of the cache at `store` aside."""
    return store.with_suffix(".output.aside")


def load(store: Path) -> BuildCache | None:
    """The cache at `store` (its output part if there is one), or None when absent, stale in format, or unreadable."""
    files = _load_files(store)
    if files is None:
        return None
    config, entries, read_at_ns, stored = files
    output, output_stored = _load_output(output_path(store)) or ((), None)
    return BuildCache(config, entries, read_at_ns, *output, stored=stored, output_stored=output_stored)


def _load_output(path: Path) -> tuple[tuple, OutputIdentity] | None:
    """The output part save_output saved at `path`, with the changes appended to it, and its identity."""
    try:
        with path.open("rb") as stream:
            identity = file_identity(stream)
            stored_format, (outputs, pages, rows, data_files, page_map) = pickle.load(stream)
            whole, appended = stream.tell(), 0
            while stream.tell() < identity[2]:
                changed_pages, changed_rows, data_files, page_map = pickle.load(stream)
                pages.update(changed_pages)
                for kind, changed in changed_rows.items():
                    rows[kind].update(changed)
                appended += 1
    except UNREADABLE:
        return None
    if stored_format != FORMAT:
        return None
    return (outputs, pages, rows, data_files, page_map), (*identity, whole, appended)


def _load_files(store: Path) -> tuple[str, dict[str, FileEntry], int, Stored] | None:
    """The part FilesSaver wrote: (config, files, read_at_ns, stored), each entry's `pickled` a view of the file.

    The file is mapped, not read: a rebuild after an edit unpickles a few of its
    entries (42 MB at 10,000 launches, 420 MB at 100,000).
    """
    try:
        with store.open("rb") as stream:
            identity = file_identity(stream)
            # Read on Windows, where a mapped file cannot be replaced.
            view = memoryview(stream.read() if os.name == "nt" else map_file(stream))
        index_at = int.from_bytes(view[-TRAILER:-TRAILER + 8], "little")
        index = view[index_at:-TRAILER]
        if _check(index) != view[-8:]:
            return None  # a save was cut short
        stored_format, config, read_at_ns, whole, rows = pickle.loads(index)
        if stored_format != FORMAT:
            return None
        amended = {}
        if whole:  # rows amending the whole index there
            whole_at, length, check = whole
            if _check(view[whole_at:whole_at + length]) != check:
                return None
            amended, rows = {row[0]: row for row in rows}, pickle.loads(view[whole_at:whole_at + length])[-1]
        else:
            whole = (index_at, len(index), view[-8:].tobytes())
        files = {path: FileEntry(size, mtime_ns, file_digest, head, None, view[at:at + length], at)
                 for path, size, mtime_ns, file_digest, head, at, length in (amended.get(row[0], row) for row in rows)}
    except UNREADABLE:
        return None
    return config, files, read_at_ns, Stored(identity, whole, frozenset(amended))


TRAILER = 16  # bytes: where the index starts, then _check() of the index


def _check(index: bytes | memoryview) -> bytes:
    return hashlib.blake2b(index, digest_size=8).digest()


class FilesSaver:
    """Saves what the content files validated to while they are read, each entry as it comes.

    The file: the entries' pickled results; then, pickled, FORMAT, the config,
    read_at_ns, None and each entry's row (path, size, mtime_ns, digest, head,
    offset, length): the whole index; then TRAILER. Appending to the file as
    loaded, it writes only the results that the file lacks, then a new index:
    rewriting the file whole took ~0.05 s of each rebuild at 10,000 launches, and
    reading it 0.025 s (see saving_files). Where the same files are there, with at most
    a quarter of them changed since the last whole index, the new index amends it:
    in place of None, where it is (its offset, length and _check()), and the rows that
    changed since (pickling and checking the whole index took ~0.012 s of each rebuild).

    An entry's pickled result is let go once written. Holding them all until the
    whole content was read (40 MB at 10,000 launches) left the build's process
    larger when it forked to render, and the build's peak 32 MB higher (measured).
    """

    def __init__(self, stream: BinaryIO, start: int = 0, appending: bool = False,
                 loaded: dict[str, FileEntry] | None = None, stored: Stored | None = None):
        """`loaded`: the entries the file held as loaded (`stored`), which an amended index may name again."""
        self.stream, self.index, self.written, self.appending = stream, [], start, appending
        self.live = 0  # bytes of the results the index names
        self.saved_as: FileIdentity | None = None  # the file's identity once saved (see saving_files)
        self.loaded, self.stored = (loaded, stored) if appending and loaded and stored else (None, None)
        self.amended: list[tuple] = []  # the rows not those of the whole index

    def add(self, path: str, entry: FileEntry) -> None:
        if self.appending and entry.at is not None and entry.pickled is not None:
            at, length = entry.at, len(entry.pickled)
        else:
            pickled = entry.pickled
            if pickled is None:
                pickled = pickle_result(entry.result)
            self.stream.write(pickled)
            at, length = self.written, len(pickled)
            self.written += length
        row = (path, entry.size, entry.mtime_ns, entry.digest, entry.head, at, length)
        self.index.append(row)
        if self.loaded is not None and (self.loaded.get(path) is not entry or path in self.stored.amended):
            self.amended.append(row)
        self.live += length
        entry.drop_pickled()

    def end(self, config: str, read_at_ns: int) -> None:
        amending = self.loaded is not None and len(self.amended) <= len(self.index) // 4 and (
            len(self.index) == len(self.loaded) and all(row[0] in self.loaded for row in self.amended))
        whole = self.stored.index if amending else None
        index = pickle.dumps((FORMAT, config, read_at_ns, whole, self.amended if amending else self.index),
                             protocol=pickle.HIGHEST_PROTOCOL)
        self.stream.write(index)
        self.stream.write(self.written.to_bytes(8, "little") + _check(index))
        self.written += len(index) + TRAILER
        self.live += len(index) + TRAILER + (whole[1] if whole else 0)
        self.index = self.amended = []  # written; its paths and digests were all the build still held of the files


def let_go(path: str, entry: FileEntry) -> None:
    """What a build that saves no cache does with each entry read (instead of FilesSaver.add)."""
    entry.drop_pickled()


@contextlib.contextmanager
def saving_files(store: Path, stored: Stored | None = None,
                 loaded: dict[str, FileEntry] | None = None) -> Iterator[FilesSaver]:
    """A FilesSaver into the cache at `store`, which keeps the old one unless all went well.

    It appends to the file if that is still the file `stored` says was loaded (with
    the entries `loaded`, if given, its index may amend the whole one there); else it
    writes a new file. Appended to, the file is rewritten without what later saves
    replaced once that is more than half of it.
    """
    stream = _open_as_loaded(store, stored.identity) if stored else None
    if stream is None:
        with atomic_file(store) as stream:
            yield (saver := FilesSaver(stream))
            saver.saved_as = _flushed_identity(stream)  # a file renamed keeps its identity
        return
    start = stream.seek(0, os.SEEK_END)
    try:
        with stream:
            yield (saver := FilesSaver(stream, start, appending=True, loaded=loaded, stored=stored))
            saver.saved_as = _flushed_identity(stream)
    except BaseException:
        with store.open("r+b") as cut:  # the last cache back as it was
            cut.truncate(start)
        raise
    if saver.written > 2 * saver.live:
        saver.saved_as = compact(store)


def _flushed_identity(stream: BinaryIO) -> FileIdentity:
    stream.flush()
    return file_identity(stream)


def _open_as_loaded(store: Path, stored: FileIdentity) -> BinaryIO | None:
    """The cache file at `store` open to append to, if it is the file `stored` says; else None.

    Locked until closed, where the system can (not on Windows): two builds appending
    to the same file at once would write where the other's index says its results are.
    Waiting for the lock, a build finds the file another changed, and writes it anew.
    """
    try:
        stream = store.open("r+b", buffering=1 << 20)
    except OSError:
        return None
    try:
        if fcntl:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        if file_identity(stream) == stored:
            return stream
    except OSError:  # a file system without locks: written anew, which is safe
        pass
    stream.close()
    return None


def compact(store: Path) -> FileIdentity | None:
    """Rewrite the files' cache at `store` with only what its index names; its identity then."""
    loaded = _load_files(store)
    if loaded is None:
        return None
    config, files, read_at_ns, _ = loaded
    with saving_files(store) as saver:
        for path, entry in files.items():
            saver.add(path, entry)
        saver.end(config, read_at_ns)
    return saver.saved_as


def unpickle_all(files: dict[str, FileEntry]) -> None:
    """Unpickle every result not unpickled yet, letting go of the pickled copies: for linking,
    which reads every record, after which they would hold the cache file's bytes (420 MB at
    100,000 launches) while the site is linked."""
    for entry in files.values():
        if entry.loaded is None:
            entry.loaded = unpickle_result(entry.pickled)
        entry.pickled = None


def save(store: Path, cache: BuildCache) -> None:
    """Save the whole cache at once (the preview's, kept in memory until it stops)."""
    with saving_files(store, cache.stored) as saver:
        for path, entry in cache.files.items():
            saver.add(path, entry)
        saver.end(cache.config, cache.read_at_ns)
    save_output(store, cache)


def save_output(store: Path, cache: BuildCache, previous: BuildCache | None = None) -> None:
    """Save the output part of `cache`: as what changed since `previous`, appended to the part
    forget_output set aside, where it is the part `previous` was loaded from and the output
    has the same files, pages and records; else whole.

    At 10,000 launches saving it whole took 0.022-0.033 s of each rebuild (2.4 MB), most of
    it the rows of the data files; the changes after an edit are a few hundred bytes.
    The part is rewritten whole once the changes appended make up half of it, or
    MOST_APPENDED were (at 10,000 launches, 99 of an edit's loaded in no time measurable
    against none), and when more than a quarter of the pages changed (as a new version
    of digest makes them all: appended, those made it load in 0.04 s against 0.015 s).
    """
    changes = _output_changes(cache, previous) if previous and previous.output_stored else None
    if changes:
        with contextlib.suppress(OSError), aside_path(store).open("r+b") as stream:
            *identity, whole, appended = previous.output_stored
            if file_identity(stream) == tuple(identity) and identity[2] < 2 * whole and appended < MOST_APPENDED:
                stream.seek(0, os.SEEK_END)
                pickle.dump(changes, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.close()
                os.replace(aside_path(store), output_path(store))
                return
    # Streamed into the file: pickled whole in memory first, the cache of 10,000 launches (80 MB on disk) was
    # held twice at the build's end.
    with atomic_file(output_path(store)) as stream:
        pickle.dump((FORMAT, (cache.outputs, cache.pages, cache.rows, cache.data_files, cache.page_map)), stream,
                    protocol=pickle.HIGHEST_PROTOCOL)
    aside_path(store).unlink(missing_ok=True)


MOST_APPENDED = 100


def _output_changes(cache: BuildCache, previous: BuildCache) -> tuple | None:
    """What _load_output applies to the output part of `previous` to make that of `cache`
    (changed pages, changed rows, data files, page map); None if it cannot say it so: other
    files, pages or records (whose rows are in the order of the data files)."""
    if cache.outputs != previous.outputs or cache.pages.keys() != previous.pages.keys() or any(
            list(rows) != list(previous.rows.get(kind, ())) for kind, rows in cache.rows.items()) or (
            cache.rows.keys() != previous.rows.keys()):
        return None
    pages = {path: fingerprint for path, fingerprint in cache.pages.items() if previous.pages[path] != fingerprint}
    if len(pages) > len(cache.pages) // 4:
        return None
    rows = {kind: {ident: row for ident, row in of_kind.items()
                   if row is not previous.rows[kind][ident] and row != previous.rows[kind][ident]}
            for kind, of_kind in cache.rows.items()}
    return pages, {kind: changed for kind, changed in rows.items() if changed}, cache.data_files, cache.page_map


# The fields of a kept site in the order they are saved: first those a launch's pages read, loaded
# with the site; the others each when first read (cache.Kept.site).
SITE_FIELDS_FIRST = ("config", "actors", "sources", "launches", "launch_by_id")
SITE_FIELDS_LATER = ("newest_first", "years", "launches_of_source", "launches_of_actor", "statements_of_actor",
                     "members_of", "contributions_of")


def save_site(store: Path, site: Site, linked: str, shown: ShownOn) -> None:
    """Keep a linked site, made of the files whose files_digest() is `linked`, and which of the
    pages planned from it show each record, for load_kept.

    Its records are named, not pickled: Kept.site puts stand-ins in their place. At 10,000
    launches the site takes 0.08 s and 2.4 MB, and loading it 0.05 s (medians of seven and nine).
    `shown` is kept with the site, not with each build's output: a rebuild that did not link
    needs it as it was (saving it again took ~0.02 s of each rebuild at 10,000 launches).
    Each field is pickled apart, in order, objects shared with those before it named, not pickled again.
    """
    fields = io.BytesIO()
    pickler = _SitePickler(fields, protocol=pickle.HIGHEST_PROTOCOL)
    for name in SITE_FIELDS_FIRST:
        pickler.dump(getattr(site, name))
    later_at = fields.tell()
    for name in SITE_FIELDS_LATER:
        pickler.dump(getattr(site, name))
    with atomic_file(site_path(store)) as stream:
        header = (FORMAT, linked, *shown.pickled, later_at, _check(fields.getbuffer()[later_at:]))
        pickle.dump(header, stream, protocol=pickle.HIGHEST_PROTOCOL)
        stream.write(fields.getbuffer())


class Kept:
    """What save_site kept: which pages show each record, and the site, loaded if asked for."""

    def __init__(self, shown: ShownOn, fields: io.BytesIO, later_at: int, later_check: bytes):
        self.shown, self._fields, self._later_at, self._later_check = shown, fields, later_at, later_check

    def site(self, record: Callable[[str], Fillable]) -> Site | None:
        """The site, each record in it a stand-in of `record("kind:id")` (model.Fillable); None if unreadable.

        After edits that keep every record's shape (link.shape), linking the files
        as they are now would make the same site of the records as they are now.
        The fields a launch's pages do not read are loaded when first read: after a
        body edit at 10,000 launches, loading the site took 0.053 s, 0.038 s without them (four runs each).
        Their bytes are checked first, so that loading them later cannot fail.
        """
        with self._fields.getbuffer() as fields:
            if _check(fields[self._fields.tell() + self._later_at:]) != self._later_check:
                return None
        unpickler = _SiteUnpickler(self._fields, record)
        site = object.__new__(Site)
        try:
            for name in SITE_FIELDS_FIRST:
                object.__setattr__(site, name, unpickler.load())
        except UNREADABLE:
            return None
        later = iter(SITE_FIELDS_LATER)

        def fill(name: str) -> None:
            for field_name in later:
                object.__setattr__(site, field_name, unpickler.load())
                if field_name == name:
                    break
            if all(field_name in site.__dict__ for field_name in SITE_FIELDS_LATER):
                object.__delattr__(site, "_fill")  # and the unpickler with it

        object.__setattr__(site, "_fill", fill)
        return site


def load_kept(store: Path, linked: str) -> Kept | None:
    """What save_site kept, if made of the files `linked` says; else None."""
    try:
        stream = io.BytesIO(site_path(store).read_bytes())
        stored_format, kept_linked, *shown, later_at, later_check = pickle.load(stream)
    except UNREADABLE:
        return None
    if (stored_format, kept_linked) != (FORMAT, linked) or len(shown) != 3:
        return None
    return Kept(ShownOn(tuple(shown)), stream, later_at, later_check)


# What a stand-in of each kind of record knows: its id and what planning the pages reads of every record
# (whether it is a draft; a launch's date, by which the listings group launches; a source's, by which
# the search's bundles group it), which an edit that keeps every record's shape leaves as it was.
KNOWN_FIELDS = {"launch": ("id", "draft", "date"), "source": ("id", "draft", "published"), "actor": ("id",)}


# What a record of a kept site is pickled as a call of, a function a kind, with the fields it
# knows (KNOWN_FIELDS); _SiteUnpickler makes a stand-in instead.
def _named_launch(*known) -> Fillable:
    raise pickle.UnpicklingError("a kept site is loaded by Kept.site")


def _named_source(*known) -> Fillable:
    raise pickle.UnpicklingError("a kept site is loaded by Kept.site")


def _named_actor(*known) -> Fillable:
    raise pickle.UnpicklingError("a kept site is loaded by Kept.site")


NAMED = {"launch": _named_launch, "source": _named_source, "actor": _named_actor}


class _SitePickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Fillable):  # pickled in the files' part of the cache already
            kind = kind_of(obj)
            return NAMED[kind], tuple(getattr(obj, name) for name in KNOWN_FIELDS[kind])
        return NotImplemented


class _SiteUnpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, record: Callable[[str], Fillable]):
        super().__init__(stream)
        self.makers = {NAMED[kind].__name__: stand_ins(cls, record, KNOWN_FIELDS[kind])
                       for kind, cls in RECORD_CLASSES.items()}

    def find_class(self, module: str, name: str):
        return self.makers[name] if module == __name__ and name in self.makers else super().find_class(module, name)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.cache
def code_digest() -> str:
    """A digest of digest's own code (its templates are fingerprinted apart).

    What the cache holds was made by this code: another version may validate,
    link or render the same content otherwise, so its cache is not used again.
    """
    package = Path(__file__).parent
    return digest(b"\0".join(path.name.encode() + b"\0" + path.read_bytes() for path in sorted(package.iterdir())
                             if path.suffix in (".py", ".json")))
