"""The snapshot: the size and time of every file a build reads and writes, kept beside the cache.

A build that finds its inputs and outputs as the last one left them stops
before reading anything. This module needs only the standard library, so that
the command line can take the snapshot in a forked process while it imports
the rest (LookAhead).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import pickle
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO, Iterator

FORMAT = 31  # of every file the cache keeps: bump when what is stored changes shape

UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError,
              IndexError, KeyError)


def cache_path(content_dir: Path, out_dir: Path) -> Path:
    """Where the cache for building `content_dir` into `out_dir` lives."""
    key = hashlib.blake2b(str(out_dir.resolve()).encode(), digest_size=6).hexdigest()
    return content_dir.resolve().parent / ".digest-cache" / f"build-{key}.pickle"


def check_path(content_dir: Path) -> Path | None:
    """Where `digest check` keeps its cache (apart from the builds', as it has no output),
    or None where it cannot be written (a read-only checkout: the check then goes without)."""
    store = content_dir.resolve().parent / ".digest-cache" / "check.pickle"
    try:
        make_folder(store.parent)
    except OSError:
        return None
    return store if os.access(store.parent, os.W_OK) else None


def snapshot_path(store: Path) -> Path:
    """Where the snapshot of the build whose cache is at `store` lives."""
    return store.with_suffix(".inputs.pickle")


def file_system_time(folder: Path) -> int:
    """Now, as the file system of `folder` would stamp a file's modification time.

    A file stamped with this time or later may still change without its size
    or time changing, within the same tick of the file system's clock (git's
    "racy clean" problem), so its size and time prove nothing: such files are
    read again. A new file's own stamp gives the tick, whatever the file
    system (a few milliseconds on most, two seconds on FAT).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".now-", dir=folder)
        try:
            return os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError:
        return time.time_ns() - 2_000_000_000  # as if on the coarsest file system


class Stats(dict):
    """path -> (size, mtime_ns) of files, pickled as the paths and one array of their numbers: the
    15,501 inputs of 10,000 launches loaded in 3.0 ms and saved in 3.3 ms, against 5.2 and 5.1 ms
    as a dict of lists (best of seven), which an edit's build does for its inputs and outputs both."""

    __slots__ = ()

    def __reduce__(self):
        return _unpacked_stats, (list(self), array("q", itertools.chain.from_iterable(self.values())))


def _unpacked_stats(paths: list[str], numbers: array) -> Stats:
    return Stats(zip(paths, zip(numbers[::2], numbers[1::2])))


@dataclass
class Snapshot:
    """The size and time of every file a build read, and what it wrote.

    When none of those inputs changed since a build that succeeded, and its
    outputs are all still there as it wrote them, the next build would write
    the same bytes: it can stop before reading anything.
    """

    setup: str  # the options that decide what a build writes
    inputs: Stats  # file path -> (size, mtime_ns), under the content and template dirs and digest's code
    taken_ns: int  # when the build that read them started (see file_system_time)
    folders: list[str]  # the folders the inputs were looked for in
    pages: int = 0
    outputs: Stats = field(default_factory=Stats)  # output path -> (size, mtime_ns)
    # folder -> where its own files are in `inputs` (start, end), for each folder this snapshot listed under
    # that path: a snapshot taken now, not one saved (see files_in)
    listed: dict[str, tuple[int, int] | None] = field(default_factory=dict)

    def files_in(self, folder: str) -> list[str] | None:
        """The paths of the files in `folder` itself (no folders, nor what is in them), as this snapshot
        found them; None if it did not list that folder under that path.

        The build reads what the snapshot lists: listed again, the 15,427 record files of 10,000
        launches took 0.018-0.032 s, taken from the snapshot 0.008-0.011 s (seven new processes each).
        """
        span = self.listed.get(folder)
        return None if span is None else list(itertools.islice(self.inputs, *span))


def take_snapshot(setup: str, folders: list[Path] | list[str], taken_ns: int) -> Snapshot:
    """Size and time of every file under `folders` (a missing folder is simply empty)."""
    inputs = Stats()
    listed: dict[str, tuple[int, int] | None] = {}
    for folder in folders:
        _stat_tree(str(folder), inputs, listed)
    return Snapshot(setup, inputs, taken_ns, [str(folder) for folder in folders], listed=listed)


def _stat_tree(folder: str, inputs: Stats, listed: dict[str, tuple[int, int] | None],
               seen: set[tuple[int, int]] | None = None) -> None:
    """Listed from the open folder where the system can, as stat_files does (the 15,499 inputs of
    10,000 launches: 0.084 s against 0.093 s listed by path, medians of fifteen on a busy machine).

    A linked folder is looked into as the content's own folders are read through links (each
    folder once: a link to a folder above is no loop); a link to nothing is an input too, as
    (-1, -1), since reading it is an error. A folder's own files are put in `inputs` together, before
    those of the folders in it, and where they are noted in `listed` (Snapshot.files_in).
    """
    seen = set() if seen is None else seen
    subfolders = []
    with _folder_fd(folder) as opened:
        try:
            entries = list(os.scandir(opened))
            here = os.stat(opened)
        except OSError:
            return
        if (here.st_dev, here.st_ino) in seen:
            return
        seen.add((here.st_dev, here.st_ino))
        # Joined as os.path.join would, by hand: the 15,428 inputs of 10,000 launches took a median
        # of 0.058-0.077 s against 0.067-0.092 s (three runs of fifteen, in turns).
        prefix = folder if folder.endswith("/") else folder + "/"
        start = len(inputs)
        for entry in entries:  # in the folder's order: a snapshot is compared as a whole
            path = prefix + entry.name
            try:
                if entry.is_dir():
                    subfolders.append(path)
                    continue
                stat = entry.stat()
            except OSError:  # a link to nothing, or gone since listed: what reads it says so
                inputs[path] = (-1, -1)
                continue
            inputs[path] = (stat.st_size, stat.st_mtime_ns)
        # A folder listed again (one folder the snapshot is of inside another) may have changed in between: no span.
        listed[folder] = (start, len(inputs)) if folder not in listed else None
    for path in subfolders:
        _stat_tree(path, inputs, listed, seen)


def unchanged_since(path: Path, now: Snapshot, out_dir: Path) -> Snapshot | None:
    """The last build's snapshot, if `now` matches it and its outputs are all there as written; else None."""
    last = load_snapshot(path, now)  # None unless of the same setup and inputs
    if last is None or not _settled(last, now) or stat_files(out_dir, last.outputs) != last.outputs:
        return None
    return last


def inputs_as_left(last: Snapshot, now: Snapshot) -> bool:
    """Whether `now` finds the inputs as the build of `last` left them, all older than that build."""
    return (last.setup, last.inputs) == (now.setup, now.inputs) and _settled(last, now)


def _settled(last: Snapshot, now: Snapshot) -> bool:
    """Whether every input is older than the build of `last`: one as new may have changed since,
    within the same tick of the file system's clock (see file_system_time)."""
    return all(mtime_ns < last.taken_ns for _, mtime_ns in now.inputs.values())


def stat_files(root: Path, names, known: dict[str, tuple[int, int]] | None = None) -> Stats:
    """name -> (size, mtime_ns) of each name under `root` that is a file; taken from `known` where it says."""
    found = Stats()
    with _folder_fd(root) as folder:
        for name in names:
            if known and name in known:
                found[name] = known[name]
                continue
            try:
                stat = os.stat(name, dir_fd=folder) if type(folder) is int else os.stat(os.path.join(folder, name))
            except OSError:
                continue
            if S_ISREG(stat.st_mode):
                found[name] = (stat.st_size, stat.st_mtime_ns)
    return found


@contextlib.contextmanager
def _folder_fd(root: Path) -> Iterator[int | str]:
    """The folder `root` open, to list it and look up paths from, where the system can; else its path as a string.

    From the open folder, the system walks only the names below it: the 17,188 pages of
    10,000 launches took 0.053 s, against 0.071 s joined to the folder's path (medians of seven).
    """
    try:
        fd = os.open(root, os.O_RDONLY) if os.stat in os.supports_dir_fd and os.scandir in os.supports_fd else None
    except OSError:  # gone: none of its files is found
        fd = None
    if fd is None:
        yield str(root)  # joined as strings: a Path per file took half the time at 15,000 files
        return
    try:
        yield fd
    finally:
        os.close(fd)


def save_snapshot(path: Path, snapshot: Snapshot) -> None:
    # Pickled: as JSON, saving and loading the snapshot of 10,000 launches (32,000 files) took
    # 0.038 s of every rebuild, against 0.023 s (measured). The outputs apart, after the rest.
    with atomic_file(path) as stream:
        pickle.dump((FORMAT, snapshot.setup, snapshot.inputs, snapshot.taken_ns, snapshot.folders, snapshot.pages),
                    stream, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(snapshot.outputs, stream, protocol=pickle.HIGHEST_PROTOCOL)


def load_snapshot(path: Path, now: Snapshot | None = None) -> Snapshot | None:
    """The snapshot saved at `path`, if it can be read; None too if it is not of the same setup and
    inputs as `now`, found before its outputs are read (a third of the file; ~0.004 s at 10,000 launches)."""
    try:
        with path.open("rb") as stream:
            last = _without_outputs(stream)
            if last is None or (now and (last.setup, last.inputs) != (now.setup, now.inputs)):
                return None
            last.outputs = pickle.load(stream)
            return last
    except UNREADABLE:
        return None


def _without_outputs(stream: BinaryIO) -> Snapshot | None:
    """The snapshot in `stream` but for its outputs, which follow; None if of another FORMAT."""
    stored_format, setup, inputs, taken_ns, folders, pages = pickle.load(stream)
    return Snapshot(setup, inputs, taken_ns, folders, pages) if stored_format == FORMAT else None


@dataclass
class Look:
    """The inputs as a build finds them first, looked at ahead of it (LookAhead) for the cache at `store`."""

    store: Path
    now: Snapshot  # the last build's input folders now; its setup is the last build's, which the build checks
    last: Snapshot  # the last build's snapshot, without its inputs and outputs
    inputs_as_left: bool  # whether `now` finds them as the last build left them (inputs_as_left)


@dataclass
class Outputs:
    """The outputs as a build finds them first, looked at ahead of it after the inputs."""

    now: Stats  # the last build's outputs as they are now (those that are files)
    as_left: bool  # whether that is as the last build left them


def look(store: Path, out_dir: Path | None) -> Iterator[Look | Outputs | None]:
    """The inputs, then the outputs, as a build into `out_dir` (or a check) would look at them first;
    None if no build left a snapshot. The last snapshot's outputs are read once the inputs are sent
    (~0.005 s at 10,000 launches)."""
    try:
        stream = snapshot_path(store).open("rb")
    except OSError:
        yield None
        return
    with stream:
        try:
            last = _without_outputs(stream)
        except UNREADABLE:
            last = None
        if last is None:
            yield None
            return
        now = take_snapshot(last.setup, last.folders, file_system_time(store.parent))
        as_left = inputs_as_left(last, now)
        last.inputs = Stats()  # not sent: where the build needs them, they are now's
        yield Look(store, now, last, as_left)
        outputs = pickle.load(stream)  # if it fails, the build stats the outputs itself
    found = stat_files(out_dir, outputs) if out_dir else Stats()
    yield Outputs(found, found == outputs)


# The largest snapshot (bytes of its file) taken ahead. Sent back pickled, a snapshot costs the build
# time to load, and the two processes slow each other: at 10,000 launches (2.2 MB) a body edit took
# 0.50 s against 0.57 s, at 100,000 (22 MB) 4.3-5.4 s against 4.3-4.7 s and a rebuild with nothing
# changed 2.1-2.4 s against 1.7-1.9 s (measured, taking turns); between the two, about even near
# 20,000 launches (~4.5 MB), if the costs grow in proportion (not measured).
LOOK_AHEAD_AT_MOST = 4_000_000
# The pipe's room: 64 kB by default, so that the other process waited for the build to read each
# part (1 MB each at 10,000 launches), which then took 0.015 s to have the outputs, 0.007 s with
# this (measured). As much as Linux lets any process ask for (/proc/sys/fs/pipe-max-size).
PIPE_SIZE = 1 << 20


def widen_pipe(fd: int) -> None:
    """Give the pipe at `fd` room for PIPE_SIZE bytes where the system lets it be set (Linux alone)."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # only here, where a pipe is widened (there is no fcntl on Windows)

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)


class LookAhead:
    """`look` done in a forked process, while this one goes on: imports the rest of digest, loads the
    cache, and reads the content files once the inputs are looked at, while the outputs are.

    At 10,000 launches the snapshot of the inputs took 0.057-0.075 s of a rebuild after
    an edit and the stats of the outputs 0.057-0.078 s, after the imports (0.13 s). Where
    there is no fork, no snapshot or a large one (LOOK_AHEAD_AT_MOST), nothing is looked at ahead.
    """

    def __init__(self, store: Path, out_dir: Path | None = None):
        """For the cache at `store` (cache_path, check_path) and the output at `out_dir`, if any."""
        self.pid, self.stream, self.looked = None, None, []
        try:
            if not hasattr(os, "fork") or os.stat(snapshot_path(store)).st_size > LOOK_AHEAD_AT_MOST:
                return
        except OSError:  # no snapshot: nothing to look at ahead
            return
        readable, writable = os.pipe()
        widen_pipe(writable)  # room for all that is sent, not 64 kB
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns, whatever happens
            try:
                os.close(readable)
                with open(writable, "wb") as stream:
                    for part in look(store, out_dir):
                        pickle.dump(part, stream, protocol=pickle.HIGHEST_PROTOCOL)
                        stream.flush()
            finally:
                os._exit(0)  # nor runs what the parent set to run at exit
        os.close(writable)
        self.stream = open(readable, "rb")  # noqa: SIM115 - closed by close()

    def inputs(self) -> Look | None:
        """What the child found of the inputs; None if it could not look (the build then looks itself)."""
        return self._part(0)

    def outputs(self) -> Outputs | None:
        """What the child found of the outputs, once the inputs were asked for; None if it could not look."""
        return self._part(1)

    def _part(self, index: int) -> Look | Outputs | None:
        while len(self.looked) <= index and self.stream is not None:
            try:
                self.looked.append(pickle.load(self.stream))
            except UNREADABLE:
                self.close()
        if len(self.looked) == 2 or (self.looked and self.looked[0] is None):  # all there is
            self.close()
        return self.looked[index] if len(self.looked) > index else None

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()  # first: a child still writing then stops
            self.stream = None
            os.waitpid(self.pid, 0)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` with, so that a crash leaves the old one or none."""
    make_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as stream:  # 15,000 small writes: half the time of 8 KB
            yield stream
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_folder(folder: Path) -> None:
    """The cache's folder, which git is told to ignore (editors commit their projects)."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
