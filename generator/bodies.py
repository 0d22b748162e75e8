"""Record bodies as converted to HTML, kept between builds in an SQLite file in `.digest-cache/`.

Converting Markdown is the costliest step of rendering. A body is kept by its
record, with the digest of the record's file (and of the config and digest's
code) and the digest of its text (and of the code), so that a build converts
only the bodies edited since any build, check or preview of the same content
converted them: after a template edit every page is rendered again and no body
converted; after a title edit the neighbouring launches' pages are rendered
again without a Markdown converter being set up. A missing, damaged or locked
file only makes a build slower, never different. `sqlite3` is imported when
first needed (4 ms): a build that renders nothing needs none.

Feed entries made with digest's own template are kept in the same file, by
what they are made from (see render.Renderer.feed_entry).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from pathlib import Path
from typing import Any, Callable

from . import parallel
from .cache import code_digest

FILE_NAME = "bodies.sqlite"
SCHEMA = 2  # of the file's tables: bump when they change
TABLES = ("bodies", "entries")
# A build's process renders the lists and feeds alone before it forks workers, converting up to a
# body per feed entry (16,500 at 10,000 launches), which are saved in rows of this many at most.
SAVE_EVERY = 1000
WAIT_FOR_LOCK = 10.0  # seconds another build or check may hold the file before this one goes without
_INHERITED: list[Any] = []  # connections a forked worker got from its parent: never used, nor closed, there


class KeptBodies:
    """The bodies kept in the file at `path`, or none (None). `files`: "kind:id" -> the digest
    of each record's file now, and `config` the digest of the build's config and code.
    `fresh`: look for none of those kept before (as `digest build --clean`), but keep those converted now.
    `prune`: `files` names every record (the build linked them all): when first closed, forget the
    rows of any other, deleted or renamed since.

    Forked workers may use it: each process opens its own connection (SQLite's
    may not cross a fork) and writes the bodies it converted at each `save`.
    """

    def __init__(self, path: Path | None, files: dict[str, str] | None = None, config: str = "", fresh: bool = False,
                 prune: bool = False):
        self.path, self.files, self.config, self.fresh, self.prune = path, files or {}, config, fresh, prune
        self._pid: int | None = None  # of the process `_db` belongs to
        self._db = None
        self._empty = True  # nothing to look for: a cold build asks for every body in vain
        self._new = _no_rows()  # rows to write at the next save

    @classmethod
    def beside(cls, store: Path | None, files: dict[str, str], config: str, fresh: bool = False,
               prune: bool = False) -> KeptBodies:
        """Those of the content whose build or check keeps its cache at `store` (see snapshot.cache_path)."""
        return cls(store.parent / FILE_NAME if store else None, files, config, fresh, prune)

    def get(self, record: str, text: Callable[[], str]) -> str | None:
        """The HTML kept for the body of `record` ("kind:id"), if kept for its file as it is now
        or for the same text: `text()` gives it, asked for only when the file differs (a record
        may still be pickled: unpickling the 50 records in a feed took 4 ms of a body edit)."""
        found = self._first("SELECT file, body, html FROM bodies WHERE record = ?", (record,))
        if found is None:
            return None
        file, body, html = found
        if file == self._file(record):
            return html
        if body == text_digest(text()):
            self._keep("bodies", (record, self._file(record), body, html))  # found by its file the next time
            return html
        return None

    def put(self, record: str, text: str, html: str, file: str | None = None) -> None:
        """Keep `html`, converted from the body `text` of `record`, from the next `save` on; `file`: the
        digest of the record's file, if not the one `files` gives."""
        self._keep("bodies", (record, self._file(record, file), text_digest(text), html))

    def entry(self, key: str, made_from: str) -> str | None:
        """The XML of the feed entry `key` kept as made from `made_from` (see Renderer.feed_entry)."""
        found = self._first("SELECT xml FROM entries WHERE entry = ? AND made_from = ?", (key, made_from))
        return found[0] if found else None

    def put_entry(self, key: str, made_from: str, xml: str) -> None:
        """Keep the XML of the feed entry `key`, made from `made_from`, from the next `save` on."""
        self._keep("entries", (key, made_from, xml))

    def _first(self, query: str, values: tuple) -> tuple | None:
        """The first row `query` finds; None if none, or none is kept (a cold build), or the file cannot be read."""
        db = self._connection()
        if db is None or self._empty:
            return None
        import sqlite3

        try:
            return db.execute(query, values).fetchone()
        except sqlite3.Error:
            return None

    def _keep(self, table: str, row: tuple) -> None:
        """Add `row` to those of `table` to write at the next save (at once, when this process holds SAVE_EVERY)."""
        if self._connection() is not None:
            rows = self._new[table]
            rows.append(row)
            if len(rows) >= SAVE_EVERY:
                self.save()

    def _file(self, record: str, file: str | None = None) -> str:
        return f"{self.config}:{self.files.get(record) if file is None else file}"

    def save(self) -> None:
        """Write the bodies this process converted since its last save, in one transaction."""
        db = self._connection()
        if db is None or not any(self._new.values()):
            return
        import sqlite3

        try:
            with db:
                for table, rows in self._new.items():
                    if rows:
                        db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        except sqlite3.Error:
            pass  # another build holds the file too long: these are made again next time
        self._new = _no_rows()

    def close(self) -> None:
        """Save (and prune), and let go of the file until needed again (a preview's builds follow one another)."""
        self.save()
        if self.prune:
            self._forget_others()
            self.prune = False
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
            self._pid = self._db = None

    def _forget_others(self) -> None:
        """Delete the rows of the records `files` does not name (0.034-0.053 s at 10,000 launches)."""
        db = self._connection()
        if db is None:
            return
        import sqlite3

        try:
            with db:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS present (record TEXT PRIMARY KEY)")
                db.execute("DELETE FROM present")
                db.executemany("INSERT INTO present VALUES (?)", ((record,) for record in self.files))
                db.execute("DELETE FROM bodies WHERE record NOT IN present")
                db.execute("DELETE FROM entries WHERE 'launch:' || substr(entry, 1, instr(entry, char(0)) - 1)"
                           " NOT IN present")  # the launch of each entry_key()
        except sqlite3.Error:
            pass  # kept a while longer

    def _connection(self):
        """This process's connection, opened when first needed; None without one."""
        if self._pid != os.getpid():
            if self._db is not None:  # the parent's, in a forked worker
                _INHERITED.append(self._db)
            self._pid, self._db, self._new = os.getpid(), None, _no_rows()
            if self.path:
                self._db = self._open()
        return self._db

    def _open(self):
        import sqlite3

        for attempt in range(2):
            db = None
            try:
                db = sqlite3.connect(self.path, timeout=WAIT_FOR_LOCK, check_same_thread=False)
                # A cache: the file is written ahead (WAL), without waiting for the disk, so that
                # readers never wait for writers, nor writers for the disk. SQLite says at once that the
                # file is locked when another process is making it WAL too (a build's processes may open
                # a new file at once): that one's switch is the file's, so this one goes on without its own.
                with contextlib.suppress(sqlite3.OperationalError):
                    db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = OFF")
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    with db:
                        # One transaction that holds the write lock from the start: a build's processes may
                        # open a new file at once; one makes the tables, the others wait and find them made.
                        db.execute("BEGIN IMMEDIATE")
                        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                            db.execute("DROP TABLE IF EXISTS bodies")
                            db.execute("DROP TABLE IF EXISTS entries")
                            db.execute("CREATE TABLE bodies (record TEXT PRIMARY KEY, file TEXT, body BLOB, html TEXT)")
                            db.execute("CREATE TABLE entries (entry TEXT PRIMARY KEY, made_from TEXT, xml TEXT)")
                            db.execute(f"PRAGMA user_version = {SCHEMA}")
                self._empty = self.fresh or db.execute("SELECT NOT EXISTS (SELECT 1 FROM bodies)").fetchone()[0]
                return db
            except sqlite3.OperationalError:  # locked, or not writable: go without
                return None
            except sqlite3.DatabaseError:  # damaged (by a crash while written, say): start it again
                if db:
                    db.close()
                if attempt:
                    return None
                _remove(self.path)
        return None


class ConvertingAhead:
    """Bodies converted and kept by another process while a build from nothing runs on one core.

    Until workers render its pages, a build runs on one core: linking, planning, the pages'
    fingerprints (~0.9 s at 10,000 launches), and in a big build the lists, rendered alone (see
    build.render_site). This process, forked when the build starts, waits until told to `go` (the
    content read), then reads the content's Markdown files itself, the oldest launches' first,
    converts their bodies and keeps them, where the pages that show them find them. `stop`
    (or the end of the `with` block) ends it, once it has saved what it converted. Forked later,
    it would hold its own copy of every page of memory the build writes to meanwhile: 770 MB at
    100,000 launches (measured).
    """

    CHECK_EVERY = 16  # bodies converted between two looks at whether to stop (~3 ms)

    def __init__(self, path: Path | None, content_dir: Path, base_url: str | None):
        """`path`: the file of kept bodies, if the build may keep them there (see KeptBodies)."""
        self.pid: int | None = None
        self.control = -1  # this end of the pipe: b"g" to go, closed to stop
        if path is None or path.exists() or not hasattr(os, "fork"):
            return  # bodies kept before: the build finds its own kept already
        listen, self.control = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the forked process: never returns to the build
            try:
                gc.freeze()  # what it shares with the build: never walked by a collection here, so not copied
                # Not the build's other pipes: holding one's reading end, this process would keep its
                # writer (snapshot.LookAhead's) from learning that the build closed it.
                os.closerange(3, listen)
                os.closerange(listen + 1, os.sysconf("SC_OPEN_MAX"))
                _convert_when_told(listen, path, content_dir, base_url)
            finally:
                os._exit(0)
        os.close(listen)

    def __enter__(self) -> ConvertingAhead:
        return self

    def __exit__(self, *failure) -> None:
        self.stop()

    def go(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(BrokenPipeError):  # it ended already (killed): the build goes on without it
                os.write(self.control, b"g")

    def stop(self) -> None:
        if self.pid is not None:
            os.close(self.control)
            os.waitpid(self.pid, 0)
            self.pid = None


def _convert_when_told(listen: int, path: Path, content_dir: Path, base_url: str | None) -> None:
    import select

    from .cache import digest
    from .load import content_files, markdown_body
    from .markup import MarkdownRenderer
    from .model import record_key
    from .read import read_config
    from .render import link_marker

    if os.read(listen, 1) != b"g":  # the build stopped it first
        return
    _, config = read_config(content_dir, base_url, [])
    files, _ = content_files(content_dir)
    if len(files) < parallel.MIN_ITEMS:  # a small site, rendered before this would have done much
        return
    kept, markdown = KeptBodies(path, {}, config), MarkdownRenderer()
    if kept._connection() is None:  # the file cannot be written: nothing would be kept
        return
    for done, (file, kind, ident) in enumerate(files):
        if done % ConvertingAhead.CHECK_EVERY == 0 and select.select([listen], [], [], 0)[0]:
            break  # the pipe's other end is closed: workers render the pages now
        if not file.endswith((".md", ".markdown")):
            continue  # a body in YAML: read with the rest of the file
        with open(file, "rb") as stream:
            data = stream.read()
        text = markdown_body(data)
        if text and text.strip():
            # Kept for the file as this process read it: as the build did, if it did not change since.
            kept.put(record_key(kind, ident), text, markdown.render(text, link_marker), digest(data))
    kept.save()


def entry_key(launch_id: str, folder: str | bool) -> str:
    """The key of a launch's feed entry as seen from a feed's folder (or from everywhere, absolute links)."""
    return f"{launch_id}\0{folder}"


def _no_rows() -> dict[str, list[tuple]]:
    return {table: [] for table in TABLES}


def _remove(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        path.with_name(name).unlink(missing_ok=True)


def text_digest(text: str) -> bytes:
    return hashlib.blake2b(f"{code_digest()}\0{text}".encode(), digest_size=16).digest()
