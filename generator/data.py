"""Open data: the linked `Site` -> JSON and CSV files under data/, plus the JSON Schema.

One record per launch with every fact and its attribution, its actors with
roles and its sources; the actors and the sources in their own files. Drafts
are never exported. Output is sorted and has no timestamps: the same content
gives the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import mmap
from dataclasses import replace
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Callable, Collection, Iterable, Iterator

from . import routes
from .link import LaunchView, Site
from .model import FACT_FIELDS, Fact, record
from .write import FilePart, OutputError

SCHEMA_FILE = Path(__file__).with_name("launches.schema.json")
LIST_SEPARATOR = "; "  # joins several values in one CSV cell
FACT_PARTS = ("value", "min", "max", "approx", "reported_by", "source")  # a fact record's keys, CSV column suffixes


@record
class Row:
    """One record as exported: its line in its JSON file (and a launch's row in launches.csv)."""

    made_from: str  # what the row was made from (the fingerprint of the record's page); "" when unknown
    json: bytes  # UTF-8, as in the file
    csv: bytes = b""


class WrittenRow(tuple):
    """A row as a build wrote it, (made_from, json, csv): its length in each of its kind's files
    (`csv` in launches.csv, for a launch; else 0), read back from them when needed.

    The cache keeps these, not the bytes, which the data files hold already: pickled
    and unpickled by every rebuild, the rows' bytes took 0.12 s of a rebuild after
    one edit at 10,000 launches (52 MB; measured). Where a row is follows from the
    rows before it, as a file holds its rows one after the other (WrittenFiles.offsets).
    A tuple, which pickle makes without running any Python: the 15,427 rows of 10,000
    launches unpickled in 5-9 ms, against 10-24 ms as a frozen dataclass (measured).
    """

    __slots__ = ()
    made_from = property(itemgetter(0))
    json = property(itemgetter(1))
    csv = property(itemgetter(2))


@record
class RowToMake:
    """A row made only as its data files are written (export_rows with `later`), so that
    no more than one row's bytes are held at a time: at 100,000 launches the rows hold
    ~0.5 GB. Its lengths are noted as each part is written (None before)."""

    made_from: str
    json: int | None = None
    csv: int | None = None


Rows = dict[str, dict[str, Row | WrittenRow | RowToMake]]  # kind -> id -> row, in the order of the files


def export_rows(site: Site, previous: Rows | None = None,
                made_from: Callable[[str, str], str | None] = lambda kind, ident: None,
                only: Collection[tuple[str, str]] | None = None, later: bool = False,
                maker: RowMaker | None = None) -> Rows:
    """Every exported record's row: the published launches, the actors, the published sources.

    A row of `previous` is used again when its record's `made_from` is the same: a
    record's page shows everything its row does (a launch's facts, its actors' names,
    its sources, its number in the year; an actor's launches; a source's quotes and
    launches), so the page's fingerprint will do. `only`: the records, as (kind, id),
    whose rows may be new, when `previous` was made of the same records (their
    pages' fingerprints the only ones that may have changed); every row of a kind
    that `previous` lacks is made. `later`: the new rows are RowToMakes, made by
    export_pieces as it writes them. `maker`: the site's RowMaker, if one is made already.
    """
    maker = maker or RowMaker(site)
    rows: Rows = {}
    for kind, idents in maker.idents.items():
        old_rows, rows[kind] = (previous or {}).get(kind, {}), {}
        if only is not None and kind in (previous or {}):  # else every row of the kind is made
            rows[kind] = dict(old_rows)
            idents = [ident for of_kind, ident in only if of_kind == kind and ident in old_rows]  # drafts are not
        for ident in idents:
            key, old = made_from(kind, ident) or "", old_rows.get(ident)
            if key and old and old.made_from == key:
                rows[kind][ident] = old
            else:
                rows[kind][ident] = RowToMake(key) if later else maker.row(kind, ident, key)
    return rows


class RowMaker:
    """Makes the exported records' rows, whole or one part (JSON or CSV) at a time."""

    def __init__(self, site: Site):
        self.site = site
        public_sources = published_sources(site)
        self.public, self.columns = set(public_sources), csv_columns(site)
        self.idents = {"launch": [v.launch.id for v in site.launches if not v.launch.draft],
                       "actor": list(site.actors), "source": public_sources}

    def row(self, kind: str, ident: str, made_from: str) -> Row:
        made = self.record(kind, ident)
        return Row(made_from, _compact(made), self.csv_line(made) if kind == "launch" else b"")

    def part(self, kind: str, part: str, ident: str) -> bytes:
        made = self.record(kind, ident)
        return _compact(made) if part == "json" else self.csv_line(made)

    def record(self, kind: str, ident: str) -> dict[str, Any]:
        if kind == "launch":
            return launch_record(self.site, self.site.launch_by_id[ident], self.public)
        return actor_record(self.site, ident) if kind == "actor" else source_record(self.site, ident)

    def csv_line(self, launch: dict[str, Any]) -> bytes:
        out, cells = io.StringIO(), csv_row(self.site, launch)
        csv.writer(out, lineterminator="\r\n").writerow([cells.get(column, "") for column in self.columns])
        return out.getvalue().encode("utf-8")


# Each data file: the kind of records whose rows it holds, and which part of each row.
FILES = {routes.DATA_DIR + "launches.json": ("launch", "json"), routes.DATA_DIR + "launches.csv": ("launch", "csv"),
         routes.DATA_DIR + "actors.json": ("actor", "json"), routes.DATA_DIR + "sources.json": ("source", "json"),
         routes.DATA_DIR + "launches.schema.json": (None, None)}
FILE_OF = {kind_and_part: path for path, kind_and_part in FILES.items() if kind_and_part[0]}

SEPARATORS = {"json": b",\n", "csv": b""}  # between two rows of a file


class WrittenFiles:
    """The data files a build left in the output and its `rows` (WrittenRows), which are read back from them.

    `starts`: data file -> where its first row is. Each file is mapped into memory, not
    read, and a row is a view of its part of it, not a copy (seeking and reading each
    row took 0.045 s of a rebuild after one edit at 10,000 launches).
    """

    def __init__(self, out_dir: Path, rows: Rows, starts: dict[str, int]):
        self.out_dir, self.rows, self.starts = out_dir, rows, starts
        self.maps: dict[str, memoryview] = {}
        self.at: dict[str, dict[str, int]] = {}  # data file -> record id -> where its row is

    def __enter__(self) -> WrittenFiles:
        return self

    def __exit__(self, *exc) -> None:
        for view in self.maps.values():
            mapped = view.obj
            view.release()
            if not isinstance(mapped, bytes):  # mapped (see map_file)
                with contextlib.suppress(BufferError):  # a row's view still held (by a traceback): closed when let go
                    mapped.close()

    def bytes_of(self, kind: str, part: str, ident: str, row: Row | WrittenRow) -> bytes | memoryview:
        """A row's part ("json" or "csv"): its bytes, or read back from the file it was written to."""
        if isinstance(row, Row):
            return getattr(row, part)
        path, length = FILE_OF[kind, part], getattr(row, part)
        at = self.offsets(path)[ident]
        return self.file(path, at + length)[at:at + length]

    def offsets(self, path: str) -> dict[str, int]:
        """Where each row of the data file at `path` is."""
        if path not in self.at:
            kind, part = FILES[path]
            self.at[path], at, separator = {}, self.starts[path], len(SEPARATORS[part])
            for ident, row in self.rows[kind].items():
                self.at[path][ident] = at
                at += getattr(row, part) + separator
        return self.at[path]

    def file(self, path: str, size: int = 0) -> memoryview:
        """The data file at `path` as the last build wrote it, which should be at least `size` bytes."""
        if path not in self.maps:
            with open(self.out_dir / path, "rb") as stream:
                self.maps[path] = memoryview(map_file(stream))
        if size > len(self.maps[path]):
            raise OutputError(f"{self.out_dir / path} changed while this build read it; build again")
        return self.maps[path]

    def spliced(self, path: str, rows: dict[str, Row | WrittenRow]) -> list[bytes | FilePart]:
        """The data file at `path` as the last build wrote it, with the rows made again in place of the
        old ones: the same records in the same order, the rest of the file the same (see compare_files).

        After an edit, a data file is then a few pieces of the old one around the new rows,
        not a piece per row, which made the preview's rebuild 1.25 times as long at 10,000 launches.
        """
        kind, part = FILES[path]
        old, separator, file = self.rows[kind], len(SEPARATORS[part]), self.out_dir / path
        pieces, at, kept_from = [], self.starts[path], 0
        for ident, row in rows.items():
            length = getattr(old[ident], part)
            if row is not old[ident]:
                self.file(path, at + length)  # as long as the rows say
                pieces += [FilePart(file, kept_from, at - kept_from), getattr(row, part)]
                kept_from = at + length
            at += length + separator
        return pieces + [FilePart(file, kept_from, len(self.file(path)) - kept_from)]


def map_file(stream: BinaryIO) -> mmap.mmap | bytes:
    """A file's bytes, mapped into memory rather than read; read where the file system cannot map files."""
    try:
        return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # ValueError: an empty file, which cannot be mapped
        return stream.read()


def written_rows(rows: Rows) -> Rows:
    """The rows as the next build reads them back from the data files (all written)."""
    def written(row: Row | WrittenRow | RowToMake) -> WrittenRow:
        if isinstance(row, Row):
            return WrittenRow((row.made_from, len(row.json), len(row.csv)))
        return row if isinstance(row, WrittenRow) else WrittenRow((row.made_from, row.json, row.csv or 0))
    return {kind: {ident: written(row) for ident, row in of_kind.items()} for kind, of_kind in rows.items()}


def export(site: Site, rows: Rows | None = None) -> dict[str, bytes]:
    """Every data file, by output path (with the records' `rows`, when already made)."""
    return {path: b"".join(pieces) for path, pieces in export_pieces(site, rows)}


def export_pieces(site: Site, rows: Rows | None = None, compared: dict[str, bool] | None = None,
                  written: WrittenFiles | None = None, starts: dict[str, int] | None = None,
                  maker: RowMaker | None = None) -> Iterator[tuple[str, Iterable[bytes]]]:
    """What export gives, each file in pieces made as they are taken: written as they come,
    the data files are never held whole in memory (51 MB at 10,000 launches).

    `compared`: the files not made here (see compare_files): those the last build left as they
    are to be (True), and those spliced_files gives (False). `written`: the last build's files,
    where the rows it made are read back from; `starts`: told where the first row of each data
    file is, once its pieces are all taken (where it was, for a file not made here). `maker`:
    as for export_rows.
    """
    compared, starts = compared or {}, {} if starts is None else starts
    starts.update({path: written.starts[path] for path in compared} if written else {})
    maker = maker or RowMaker(site)  # the maker of RowToMakes
    rows = export_rows(site, maker=maker) if rows is None else rows
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    schema["$id"] = absolute(site, routes.DATA_DIR + "launches.schema.json")

    def lines(kind: str, part: str = "json") -> Iterator[tuple[str, bytes | memoryview]]:
        read, of_kind = written.bytes_of if written else _own_bytes, rows[kind]
        for ident, row in of_kind.items():
            if isinstance(row, RowToMake):
                line = maker.part(kind, part, ident)
                of_kind[ident] = replace(row, **{part: len(line)})
                yield ident, line
            else:
                yield ident, read(kind, part, ident, row)

    def launches_csv() -> Iterator[tuple[bytes, str | None]]:
        header = io.StringIO()
        csv.writer(header, lineterminator="\r\n").writerow(maker.columns)
        yield header.getvalue().encode("utf-8"), None
        yield from ((line, ident) for ident, line in lines("launch", "csv"))

    makers = {
        "launches.json": lambda: _object_pieces({"title": site.config.title, "url": site.config.base_url,
                                                 "schema": schema["$id"], "launches": EncodedRecords(lines("launch"))}),
        "launches.csv": launches_csv,
        "actors.json": lambda: _object_pieces({"actors": EncodedRecords(lines("actor"))}),
        "sources.json": lambda: _object_pieces({"sources": EncodedRecords(lines("source"))}),
        "launches.schema.json": lambda: [((json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), None)],
    }

    return ((routes.DATA_DIR + name, _noting_start(make(), routes.DATA_DIR + name, starts))
            for name, make in makers.items() if routes.DATA_DIR + name not in compared)


def spliced_files(rows: Rows, compared: dict[str, bool], written: WrittenFiles) -> list[tuple[str, list]]:
    """The data files that differ from the last build's in some rows alone (False in `compared`),
    each as pieces of the last one around its rows made again (WrittenFiles.spliced)."""
    return [(path, written.spliced(path, rows[FILES[path][0]])) for path, same in compared.items() if same is False]


def compare_files(rows: Rows, previous: Rows, only: Collection[tuple[str, str]] | None = None,
                  written: WrittenFiles | None = None, maker: RowMaker | None = None) -> dict[str, bool]:
    """The data files whose bytes the rows tell: True where they are those `previous` made, False where not.

    A row not made again is the same object (export_rows); one made again may
    say the same (a launch's body is not in the CSV file). The rest of a file is
    made of the site's settings, and a change to those makes every row again: one
    row not made again shows they are the same. With the same settings and the
    same records in the same order, one row saying something else makes another
    file. `only`: as for export_rows, the only records whose rows may be new.
    `written`: where the rows of `previous` are read back from, if they are WrittenRows.
    `maker`: makes each RowToMake compared, which then takes its place in `rows`; all of
    them, not only those up to the first that differs: a file that differs is spliced of them.
    """
    read = written.bytes_of if written else _own_bytes

    def new_bytes(kind: str, part: str, ident: str) -> bytes | memoryview:
        row = rows[kind][ident]
        if isinstance(row, RowToMake):
            row = rows[kind][ident] = maker.row(kind, ident, row.made_from)
        return read(kind, part, ident, row)

    def compare(kind: str, part: str) -> bool | None:
        new, old = rows[kind], previous[kind]
        if only is not None:
            idents = [ident for of_kind, ident in only if of_kind == kind and ident in old]
        elif list(new) == list(old) and any(row is old[ident] for ident, row in new.items()):
            idents = list(new)
        else:
            return None
        return all([new[i] is old[i] or new_bytes(kind, part, i) == read(kind, part, i, old[i]) for i in idents])

    compared = {path: compare(kind, part) for path, (kind, part) in FILES.items() if kind in rows and kind in previous}
    return {path: same for path, same in compared.items() if same is not None}


class EncodedRecords:
    """Records already encoded as JSON (UTF-8 bytes), by id, which _object_pieces writes as they are."""

    def __init__(self, records: Iterable[tuple[str, bytes]]):
        self.records = records


def _own_bytes(kind: str, part: str, ident: str, row: Row) -> bytes:
    return getattr(row, part)


def _noting_start(pieces: Iterable[tuple[bytes, str | None]], path: str, starts: dict[str, int]) -> Iterator[bytes]:
    """The pieces of the file at `path`, noting in `starts` where its first row (the first piece with an id) is."""
    at, noted = 0, False
    for piece, ident in pieces:
        if ident is not None and not noted:
            starts[path], noted = at, True
        at += len(piece)
        yield piece


def _object_pieces(value: dict[str, Any]) -> Iterator[tuple[bytes, str | None]]:
    """A JSON object whose lists have one record per line, in pieces, each record's with its id.

    One record per line, not indented: json's C encoder only writes unindented JSON
    (indent= makes it fall back to pure Python, many times slower on thousands of
    records). In pieces, to be joined once or written as they come: joining the
    records into a text, then that into the file, then encoding it made three
    copies of a file that is 31 MB at 10,000 launches (launches.json).
    """
    yield b"{\n", None
    for n, (key, item) in enumerate(value.items()):
        if n:
            yield b",\n", None
        yield json.dumps(key).encode("utf-8") + b": ", None
        if isinstance(item, EncodedRecords):
            yield from _array_pieces(item.records)
        elif isinstance(item, list):
            yield from _array_pieces((None, _compact(element)) for element in item)
        else:
            yield _compact(item), None
    yield b"\n}\n", None


def _array_pieces(records: Iterable[tuple[str | None, bytes]]) -> Iterator[tuple[bytes, str | None]]:
    """A JSON array with one record per line, in pieces."""
    empty = True
    for ident, text in records:
        yield (b"[\n" if empty else SEPARATORS["json"]), None
        yield text, ident
        empty = False
    yield (b"[]" if empty else b"\n]"), None


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def absolute(site: Site, path: str) -> str:
    return site.config.base_url + routes.pretty_url(path)


def published_sources(site: Site) -> list[str]:
    return [s.id for s in site.sources.values() if not s.draft]


def launch_record(site: Site, view: LaunchView, public_sources: set[str]) -> dict[str, Any]:
    """One launch as plain JSON values (citing only the sources in `public_sources`)."""
    launch = view.launch
    return {
        "id": launch.id,
        "url": absolute(site, routes.path_of("launch", launch.id)),
        "title": launch.title,
        "date": launch.date.isoformat(),
        "time": launch.time.strftime("%H:%M") if launch.time else None,
        "timezone": launch.timezone,
        "datetime_utc": view.utc.strftime("%Y-%m-%dT%H:%M:%SZ") if view.utc else None,
        "location": launch.location or None,
        "coordinates": {"lat": launch.coordinates[0], "lon": launch.coordinates[1]} if launch.coordinates else None,
        "missiles": [{"type": m.type, "name": m.name or None, "count": m.count} for m in launch.missiles],
        "facts": [fact_record(name, fact) for name, reports in launch.facts for fact in reports],
        "outcome": launch.outcome,
        "number_in_year": view.number_in_year,
        "days_since_previous": view.days_since_previous,
        "actors": [{"id": r.actor, "name": site.actors[r.actor].name, "role": r.role} for r in launch.actors],
        "sources": [source_ref(site, s) for s in launch.sources if s in public_sources],
        "tags": list(launch.tags),
        "updates": [{"date": u.date.isoformat(), "note": u.note} for u in sorted(launch.updates, key=lambda u: u.date)],
        "narrative": launch.body.text.strip(),
    }


def fact_record(name: str, fact: Fact) -> dict[str, Any]:
    """One report of a quantity: a value or a range, and who reported it where."""
    return {"measure": name, "unit": FACT_FIELDS[name][1], "value": fact.value, "min": fact.minimum,
            "max": fact.maximum, "approx": fact.approx, "reported_by": fact.per, "source": fact.source}


def source_ref(site: Site, source_id: str) -> dict[str, Any]:
    source = site.sources[source_id]
    return {"id": source.id, "title": source.title, "outlet": source.outlet,
            "published": source.published.isoformat(), "url": source.url}


def actor_record(site: Site, actor_id: str) -> dict[str, Any]:
    actor = site.actors[actor_id]
    return {
        "id": actor.id, "url": absolute(site, routes.path_of("actor", actor.id)), "name": actor.name,
        "kind": actor.kind, "title": actor.title or None, "country": actor.country, "aliases": list(actor.aliases),
        "description": actor.body.text.strip(),
        "launches": [{"id": v.launch.id, "role": role} for role, v in site.launches_of_actor.get(actor.id, ())
                     if not v.launch.draft],
    }


def source_record(site: Site, source_id: str) -> dict[str, Any]:
    source = site.sources[source_id]
    return {
        "id": source.id, "url": absolute(site, routes.path_of("source", source.id)), "title": source.title,
        "outlet": source.outlet, "authors": list(source.authors), "contributors": list(source.contributors),
        "published": source.published.isoformat(),
        "updated": source.updated.isoformat() if source.updated else None,
        "original_url": source.url, "language": source.language,
        "quotes": [{"speaker": q.speaker, "text": q.text, "context": q.context or None} for q in source.quotes],
        "launches": [v.launch.id for v in site.launches_of_source.get(source.id, ()) if not v.launch.draft],
        "summary": source.body.text.strip(),
    }


def csv_columns(site: Site) -> list[str]:
    """The CSV header: fixed columns, one group per measure, one column per actor role."""
    columns = ["id", "url", "title", "date", "time", "timezone", "datetime_utc", "location", "latitude",
               "longitude", "missile_types", "missile_names", "missile_counts", "outcome", "number_in_year",
               "days_since_previous"]
    for name in FACT_FIELDS:
        columns += [f"{name}_{part}" for part in FACT_PARTS]
    columns += [f"actors_{role}" for role in site.config.vocabularies.roles]
    columns += ["actors_other", "sources", "source_urls", "tags"]
    return columns


def csv_row(site: Site, record: dict[str, Any]) -> dict[str, str]:
    """A launch's cells by column; the columns of measures it has no report of, and of roles no actor
    of it has, are left out (empty cells). Each column of a measure lists every report's part."""
    coordinates, missiles, sources = record["coordinates"] or {}, record["missiles"], record["sources"]
    row = {key: cell(record[key]) for key in ("id", "url", "title", "date", "time", "timezone", "datetime_utc",
                                              "location", "outcome", "number_in_year", "days_since_previous")}
    row |= {"latitude": cell(coordinates.get("lat")), "longitude": cell(coordinates.get("lon")),
            "missile_types": cells([m["type"] for m in missiles]),
            "missile_names": cells([m["name"] for m in missiles]),
            "missile_counts": cells([m["count"] for m in missiles])}
    reports: dict[str, list[dict]] = {}
    for fact in record["facts"]:
        reports.setdefault(fact["measure"], []).append(fact)
    for name, facts in reports.items():
        for part in FACT_PARTS:
            row[f"{name}_{part}"] = cells([fact[part] for fact in facts])
    roles, in_role, other = site.config.vocabularies.roles, {}, []
    for actor in record["actors"]:
        if actor["role"] in roles:
            in_role.setdefault(f"actors_{actor['role']}", []).append(actor["id"])
        else:
            other.append(f"{actor['id']} ({actor['role']})")
    row |= {column: cells(ids) for column, ids in in_role.items()}
    row["actors_other"] = cells(other)
    row["sources"] = cells([s["id"] for s in sources])
    row["source_urls"] = cells([s["url"] for s in sources])
    row["tags"] = cells(record["tags"])
    return row


def cells(values: list[Any]) -> str:
    """Several values in one CSV cell."""
    if len(values) == 1:  # most lists, as a launch has most facts from one report
        return cell(values[0])
    return LIST_SEPARATOR.join(map(cell, values))


def cell(value: Any) -> str:
    """A CSV cell: empty for none, 'true'/'false', numbers without a needless '.0'."""
    if type(value) is str:  # most cells
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
