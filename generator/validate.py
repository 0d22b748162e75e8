"""Stage 2, validate: `RawDoc`s -> typed records, plus every problem found.

Each kind of record is described once, as a table of fields and their
parsers. Parsers raise `Invalid`; the table walker turns that into a
`Problem` at the value's line and column and carries on, so one run reports
everything. References to other records are collected as `FileRefs` for `link`.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re
import zoneinfo
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from . import model
from .errors import Problem, closest
from .load import Loaded, Mark, RawDoc, field_name, file_id

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEARS = (1900, 2100)  # the dates a digest of news can hold
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
# Inline links `](target`, reference definitions `[x]: target` and autolinks `<scheme:...>` in Markdown.
MD_LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)|^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)"
                        r"|<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>", re.M)
SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
RECORD_SCHEMES = ("launch", "actor", "source")
WEB_SCHEMES = ("http", "https")
# What `digest new` and `digest import` leave for the editor to fill; check reports it until then.
PLACEHOLDER_RE = re.compile(r"^\s*TODO\b")


class Invalid(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@model.record
class Ref:
    """A reference to another record: what it names, and where (for `link`'s problems)."""

    kind: str  # launch | actor | source
    id: str
    path: str
    line: int
    col: int
    field: str

    def problem(self, message: str, hint: str = "") -> Problem:
        """A problem at the reference."""
        return Problem(self.path, self.line, self.col, self.field, message, hint)


@model.record
class FileRefs:
    """One file's references to other records, checked by `link` once all ids are known.

    `link` checks the set of targets; the places are made into `Ref`s only where
    a target is wrong. Both are kept pickled: a `Ref` object for each of the
    209,000 references at 10,000 launches took a third of loading the build
    cache (0.33 of 0.94 s); as tuples they still took 49 MB, against 11.5 MB
    pickled. The targets as objects, unpickled with the records and let go just
    before rendering, left holes in the build's memory that the render worker
    then copied: without them the build's process was 18 MB smaller at the fork
    and the build's peak 28 MB lower, at 10,000 launches (measured).
    """

    path: str
    named: bytes  # pickled frozenset of targets: each (kind, id, named as a country) once
    places: bytes  # pickled tuple of (kind, id, line, col, field)

    @classmethod
    def of(cls, path: str, places: list[tuple[str, str, int, int, str]]) -> FileRefs:
        targets = frozenset((kind, ident, field_ == "country") for kind, ident, _, _, field_ in places)
        return cls(path, pickle.dumps(targets, protocol=pickle.HIGHEST_PROTOCOL),
                   pickle.dumps(tuple(places), protocol=pickle.HIGHEST_PROTOCOL))

    def targets(self) -> frozenset[tuple[str, str, bool]]:
        return pickle.loads(self.named)

    def each(self) -> list[Ref]:
        return [Ref(kind, ident, self.path, line, col, field_)
                for kind, ident, line, col, field_ in pickle.loads(self.places)]


@dataclass
class Validated:
    config: model.SiteConfig | None
    launches: list[model.Launch]
    sources: list[model.Source]
    actors: list[model.Actor]
    refs: list[FileRefs]
    problems: list[Problem]
    # kind -> id -> the file that defines it, for every record file, even one that failed.
    known: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Checker:
    """Walks one document's fields, collecting problems and references."""

    doc: RawDoc
    config: model.SiteConfig | None
    problems: list[Problem] = field(default_factory=list)
    refs: list[tuple[str, str, int, int, str]] = field(default_factory=list)  # see FileRefs.places

    def fields(self, path: tuple, value: Any, table: dict, required: set[str]) -> dict[str, Any] | None:
        """Parse a mapping with a field table; None if it is not a mapping."""
        if not isinstance(value, dict):
            self.problems.append(self.doc.problem(path, f"expected a mapping of fields, got {describe(value)}"))
            return None
        out: dict[str, Any] = {}
        unreadable = self.doc.unreadable  # mostly empty: no path made to look for in it then
        for key in value:
            if key not in table and path + (key,) not in unreadable:
                self.problems.append(self.doc.problem(path + (key,), "unknown field",
                                                      closest(key, table) or f"known fields: {', '.join(table)}",
                                                      at_key=True))
        for key, parse in table.items():
            if unreadable and path + (key,) in unreadable:
                out[key] = _MISSING
                continue
            if key not in value or value[key] is None:
                if key in required:
                    problem = self.doc.problem(path, "missing required field", f"add '{key}: ...'")
                    self.problems.append(replace(problem, field=field_name(path + (key,))))
                    out[key] = _MISSING
                else:
                    out[key] = None
                continue
            out[key] = self.parse(path + (key,), value[key], parse)
        return out

    def parse(self, path: tuple, value: Any, parse: Callable) -> Any:
        if self.doc.unreadable and path in self.doc.unreadable:
            return _MISSING
        try:
            if isinstance(value, str) and PLACEHOLDER_RE.match(value):
                raise Invalid("placeholder not filled", "replace the TODO text with the real value")
            return parse(self, path, value)
        except Invalid as exc:
            self.problems.append(self.doc.problem(path, exc.message, exc.hint))
            return _MISSING

    def ref(self, kind: str, path: tuple, ident: str) -> str:
        line, col = self.doc.position(path)
        self.refs.append((kind, ident, line, col, field_name(path)))
        return ident


_MISSING = object()  # a value that was wrong; the record is dropped at the end


# --- value parsers: (checker, path, value) -> parsed value, or raise Invalid ---


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{value}'"


def yaml_surprise(check: Checker, path: tuple, value: Any, wanted: str) -> Invalid:
    """A wrong-type error that explains YAML's reading of an unquoted scalar."""
    raw = check.doc.mark(path).raw
    if raw is not None and isinstance(value, (bool, int, float)) and raw != str(value):
        return Invalid(f"expected {wanted}, but YAML read {raw} as {describe(value)}",
                       f'put it in quotes: "{raw}"')
    if wanted == "text" and raw is not None and isinstance(value, (bool, int, float)):
        return Invalid(f"expected text, got {describe(value)}", f'put it in quotes: "{raw}"')
    return Invalid(f"expected {wanted}, got {describe(value)}")


def text(check: Checker, path: tuple, value: Any) -> str:
    if not isinstance(value, str):
        raise yaml_surprise(check, path, value, "text")
    if not value.strip():
        raise Invalid("must not be empty")
    return value.strip()


def boolean(check: Checker, path: tuple, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {describe(value)}")
    return value


def number(check: Checker, path: tuple, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise yaml_surprise(check, path, value, "a number")
    if not math.isfinite(value):
        raise Invalid(f"expected a number, got {check.doc.mark(path).raw}")
    if value < 0:
        raise Invalid("must not be negative")
    return value


def count(check: Checker, path: tuple, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"expected a whole number of at least 1, got {describe(value)}")
    return value


def date(check: Checker, path: tuple, value: Any) -> dt.date:
    raw = check.doc.mark(path).raw
    if not isinstance(value, str):
        raise yaml_surprise(check, path, value, "a date like 2022-01-05")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise Invalid(f"'{raw}' is not a date", "write it as YYYY-MM-DD, e.g. 2022-01-05")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"'{value}' is not a real calendar date", "check the month and day") from None
    if not YEARS[0] <= day.year <= YEARS[1]:  # beyond, UTC times overflow and timelines grow endless
        raise Invalid(f"'{value}' is not between the years {YEARS[0]} and {YEARS[1]}", "check the year")
    return day


def time(check: Checker, path: tuple, value: Any) -> dt.time:
    raw = check.doc.mark(path).raw or ""
    if isinstance(value, int) and not isinstance(value, bool) and TIME_RE.match(raw):
        raise Invalid(f"YAML read {raw} as the number {value}", f'put the time in quotes: "{int(raw.split(":")[0]):02d}:{raw.split(":")[1]}"')
    if not isinstance(value, str):
        raise yaml_surprise(check, path, value, 'a time like "08:07"')
    match = TIME_RE.match(value)
    if not match:
        raise Invalid(f"'{value}' is not a time", 'write it as HH:MM in 24-hour form, e.g. "08:07"')
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise Invalid(f"'{value}' is not a real time of day", "hours run 00-23, minutes 00-59")
    return dt.time(hour, minute)


def timezone(check: Checker, path: tuple, value: Any) -> str:
    name = text(check, path, value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown timezone '{name}'",
                      closest(name, zoneinfo.available_timezones()) or "use an IANA name such as Asia/Seoul") from None
    return name


def web_url(check: Checker, path: tuple, value: Any) -> str:
    url = text(check, path, value)
    if not re.fullmatch(r"https?://[^\s/?#]+\S*", url):
        raise Invalid(f"'{url}' is not an http or https URL", "links must start with http:// or https://")
    return url


def ident(check: Checker, path: tuple, value: Any) -> str:
    name = text(check, path, value)
    if not ID_RE.match(name):
        raise Invalid(f"'{name}' is not a valid id", "ids use lowercase letters, digits and single hyphens")
    return name


def ref_to(kind: str) -> Callable:
    def parse(check: Checker, path: tuple, value: Any) -> str:
        return check.ref(kind, path, ident(check, path, value))
    return parse


def choice(options_of: Callable[[Checker], tuple[str, ...]], what: str) -> Callable:
    def parse(check: Checker, path: tuple, value: Any) -> str:
        name = text(check, path, value)
        options = options_of(check)
        if options and name not in options:
            raise Invalid(f"unknown {what} '{name}'", closest(name, options) or f"use one of: {', '.join(options)}")
        return name
    return parse


def list_of(item: Callable) -> Callable:
    def parse(check: Checker, path: tuple, value: Any) -> tuple:
        if not isinstance(value, list):
            raise Invalid(f"expected a list, got {describe(value)}", "write items as '- item' lines or [a, b]")
        return tuple(check.parse(path + (i,), v, item) for i, v in enumerate(value))
    return parse


def record(table: dict, required: set[str], build: Callable) -> Callable:
    """A parser for a nested mapping such as one item of `actors:`."""
    def parse(check: Checker, path: tuple, value: Any) -> Any:
        fields = check.fields(path, value, table, required)
        if fields is None or _MISSING in fields.values():
            return _MISSING
        return build(**fields)
    return parse


def vocabulary(name: str) -> Callable[[Checker], tuple[str, ...]]:
    return lambda check: getattr(check.config.vocabularies, name) if check.config else ()


missile = record({"type": choice(vocabulary("missile_types"), "missile type"), "name": text, "count": count},
                 {"type"}, lambda type, name, count: model.Missile(type, name or "", count))
actor_role = record({"id": ref_to("actor"), "role": choice(vocabulary("roles"), "role")},
                    {"id", "role"}, lambda id, role: model.ActorRole(id, role))
update = record({"date": date, "note": text}, {"date", "note"}, lambda date, note: model.Update(date, note))
quote = record({"speaker": ref_to("actor"), "text": text, "context": text}, {"speaker", "text"},
               lambda speaker, text, context: model.Quote(speaker, text, context or ""))

_FACT_TABLE = {"value": number, "min": number, "max": number, "approx": boolean,
               "per": ref_to("actor"), "source": ref_to("source")}


def one_fact(check: Checker, path: tuple, value: Any) -> model.Fact:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return model.Fact(value=number(check, path, value))
    if not isinstance(value, dict):
        raise yaml_surprise(check, path, value, "a number, {value, per, source} or {min, max, per, source}")
    fields = check.fields(path, value, _FACT_TABLE, set())
    if fields is None or _MISSING in fields.values():
        return _MISSING
    has_value = fields["value"] is not None
    has_range = fields["min"] is not None or fields["max"] is not None
    if has_value and has_range:
        raise Invalid("has both 'value' and a range", "give either 'value' or 'min' and 'max', not both")
    if not has_value and not has_range:
        raise Invalid("has no 'value' and no range", "give 'value', or 'min' and 'max'")
    if has_range:
        if fields["min"] is None or fields["max"] is None:
            raise Invalid("a range needs both 'min' and 'max'")
        if fields["min"] > fields["max"]:
            raise Invalid(f"min {fields['min']} is larger than max {fields['max']}")
    return model.Fact(fields["value"], fields["min"], fields["max"], bool(fields["approx"]),
                      fields["per"], fields["source"])


def fact(check: Checker, path: tuple, value: Any) -> tuple[model.Fact, ...]:
    if isinstance(value, list):
        if not value:
            raise Invalid("the list of reports is empty")
        return tuple(check.parse(path + (i,), v, one_fact) for i, v in enumerate(value))
    return (one_fact(check, path, value),)


def coordinates(check: Checker, path: tuple, value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise Invalid(f"expected [latitude, longitude], got {describe(value)}")
    lat, lon = value
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(f"[{lat}, {lon}] is not on Earth", "latitude is -90..90, longitude -180..180")
    return (float(lat), float(lon))


def alias_path(check: Checker, path: tuple, value: Any) -> str:
    url = text(check, path, value).strip("/")
    parts = url.split("/")
    if SCHEME_RE.match(url) or any(p in ("", ".", "..") for p in parts) or "\\" in url:
        raise Invalid(f"'{value}' is not a path inside the site", "write an old URL path such as launches/old-name/")
    if "." in parts[-1]:  # the redirect page goes in a folder of that name, which may clash with a file
        raise Invalid(f"'{value}' ends in a file name", "an alias is a folder path such as launches/old-name/")
    return url + "/"


def lowercase_tag(check: Checker, path: tuple, value: Any) -> str:
    tag = text(check, path, value)
    allowed = check.config.vocabularies.tags if check.config else ()
    if allowed and tag not in allowed:
        raise Invalid(f"unknown tag '{tag}'", closest(tag, allowed) or "add it to vocabularies.tags in site.yaml")
    return tag


LAUNCH_FIELDS = {
    "title": text, "date": date, "time": time, "timezone": timezone, "location": text,
    "coordinates": coordinates, "missiles": list_of(missile),
    **{name: fact for name in model.FACT_FIELDS},
    "outcome": choice(lambda check: model.OUTCOMES, "outcome"),
    "actors": list_of(actor_role), "sources": list_of(ref_to("source")),
    "tags": list_of(lowercase_tag), "draft": boolean, "aliases": list_of(alias_path),
    "updates": list_of(update),
}
SOURCE_FIELDS = {
    "title": text, "outlet": text, "authors": list_of(text), "contributors": list_of(ref_to("actor")),
    "published": date, "updated": date, "url": web_url, "language": text, "quotes": list_of(quote),
    "draft": boolean, "updates": list_of(update),
}
ACTOR_FIELDS = {
    "name": text, "kind": choice(lambda check: model.ACTOR_KINDS, "kind"), "title": text,
    "country": ref_to("actor"), "aliases": list_of(text), "description": text,
}
VOCABULARY_FIELDS = {"missile_types": list_of(text), "roles": list_of(text), "tags": list_of(text)}
SITE_FIELDS = {
    "title": text, "description": text, "base_url": web_url, "language": text, "timezone": timezone,
    "vocabularies": record(VOCABULARY_FIELDS, set(), lambda missile_types, roles, tags: model.Vocabularies(
        missile_types or (), roles or (), tags or ())),
    "per_page": count,
}


@model.record
class DocResult:
    """What validation made of one file: a record (None if broken), its refs, its problems."""

    kind: str
    record: model.Launch | model.Source | model.Actor | None
    refs: FileRefs | None  # None when the file could not be read
    problems: tuple[Problem, ...]


def validate(loaded: Loaded, base_url: str | None = None) -> Validated:
    """Check every document; return the records that are whole and all problems."""
    problems = list(loaded.problems)
    config = validate_site(loaded.site, base_url, problems) if loaded.site else None
    results = [validate_doc(doc, config) for doc in loaded.docs]
    results += [DocResult(failed.kind, None, None, failed.problems) for failed in loaded.unreadable]
    return collect(config, results, problems)


def collect(config: model.SiteConfig | None, results: list[DocResult], problems: list[Problem]) -> Validated:
    """Gather per-file results into one `Validated`; a second file with an id already taken is a problem."""
    validated = Validated(config, [], [], [], [], list(problems))
    records = {"launch": validated.launches, "source": validated.sources, "actor": validated.actors}
    for result in sorted(results, key=_file_of):  # of two files with one id, the first in name order wins
        validated.problems.extend(result.problems)
        if result.refs:
            validated.refs.append(result.refs)
        shown = _file_of(result)
        ident_ = file_id(shown)
        taken = validated.known.setdefault(result.kind, {})
        if ident_ in taken:
            validated.problems.append(Problem(shown, 1, 1, "", f"duplicate id '{ident_}'",
                                              f"also defined in {taken[ident_]}; rename one of the files"))
            continue
        taken[ident_] = shown
        if result.record is not None:
            records[result.kind].append(result.record)
    return validated


def _file_of(result: DocResult) -> str:
    """The file a result came from; a file that failed has problems, and they all point into it."""
    return result.record.path if result.record is not None else result.problems[0].path


def validate_doc(doc: RawDoc, config: model.SiteConfig | None) -> DocResult:
    """Check one document against its kind's field table."""
    check = Checker(doc, config)
    if not ID_RE.match(doc.id):
        check.problems.append(Problem(doc.shown, 1, 1, "", f"file name '{doc.id}' is not a valid id",
                                      "rename the file with lowercase letters, digits and hyphens"))
    elif (doc.kind == "launch" and doc.id.isdigit()) or (doc.kind in ("launch", "source") and doc.id == "page"):
        listing = "launches" if doc.kind == "launch" else "sources"
        taken_by = "the page of a year" if doc.id.isdigit() else f"the later pages of the list of {listing}"
        check.problems.append(Problem(doc.shown, 1, 1, "", f"file name '{doc.id}' is taken by {taken_by}",
                                      "name the file after the date and a few words, e.g. 2030-04-10-east-coast"))
    make_record = {"launch": launch_record, "source": source_record, "actor": actor_record}[doc.kind]
    record_ = make_record(check)
    body_links(check, body_of(doc))  # even when the fields are wrong: one run reports everything
    body_placeholders(check, model.Body(doc.body, doc.body_line, doc.shown))  # a description is a field, checked above
    whole = record_ if not check.problems else None
    return DocResult(doc.kind, whole, FileRefs.of(doc.shown, check.refs), tuple(check.problems))


def validate_site(doc: RawDoc, base_url: str | None, problems: list[Problem]) -> model.SiteConfig | None:
    check = Checker(doc, None)
    fields = check.fields((), doc.data, SITE_FIELDS, {"title", "base_url"} - ({"base_url"} if base_url else set()))
    problems.extend(check.problems)
    if fields is None or _MISSING in fields.values():
        return None
    url = base_url or fields["base_url"]
    return model.SiteConfig(
        title=fields["title"], description=fields["description"] or "",
        base_url=url if url.endswith("/") else url + "/",
        language=fields["language"] or "en", timezone=fields["timezone"] or "UTC",
        vocabularies=fields["vocabularies"] or model.Vocabularies((), (), ()),
        per_page=fields["per_page"] or model.PER_PAGE)


def body_of(doc: RawDoc) -> model.Body:
    """The Markdown body; for an actor without one, its `description` stands in."""
    key, mark = body_origin(doc)
    if key == "description":
        text = doc.data.get(key)
        return model.Body(text if isinstance(text, str) else "", mark.text_line if mark else 1, doc.shown)
    return model.Body(doc.body, doc.body_line, doc.shown)


def body_origin(doc: RawDoc) -> tuple[str, Mark | None]:
    """The field a record's body is written in, and its mark when that is a YAML value."""
    if doc.kind == "actor" and not doc.body.strip():
        return "description", doc.value_mark(("description",))
    return "body", doc.value_mark(("body",)) if doc.path.suffix in (".yaml", ".yml") else None


def launch_record(check: Checker) -> model.Launch | None:
    fields = check.fields((), check.doc.data, LAUNCH_FIELDS, {"title", "date"})
    if fields is None or _MISSING in fields.values():
        return None
    unlisted_fact_sources(check, fields)
    default_tz = check.config.timezone if check.config else "UTC"
    return model.Launch(
        id=check.doc.id, path=check.doc.shown, title=fields["title"], date=fields["date"],
        time=fields["time"], timezone=fields["timezone"] or default_tz, location=fields["location"] or "",
        coordinates=fields["coordinates"], missiles=fields["missiles"] or (),
        facts=tuple((name, fields[name]) for name in model.FACT_FIELDS if fields[name]),
        outcome=fields["outcome"] or "unknown", actors=fields["actors"] or (),
        sources=fields["sources"] or (), tags=fields["tags"] or (), draft=bool(fields["draft"]),
        aliases=fields["aliases"] or (), updates=fields["updates"] or (), body=body_of(check.doc))


def unlisted_fact_sources(check: Checker, fields: dict[str, Any]) -> None:
    """A fact's source must be one the launch lists, so that the launch page cites it."""
    listed = set(fields["sources"] or ())
    for name in model.FACT_FIELDS:
        reports = check.doc.data.get(name)
        places = [(i,) for i in range(len(reports))] if isinstance(reports, list) else [()]
        for place, fact_ in zip(places, fields[name] or ()):
            if isinstance(fact_, model.Fact) and fact_.source and fact_.source not in listed:
                check.problems.append(check.doc.problem((name, *place, "source"),
                                                        f"source '{fact_.source}' is not in the launch's sources",
                                                        "add it to 'sources:'"))


def source_record(check: Checker) -> model.Source | None:
    fields = check.fields((), check.doc.data, SOURCE_FIELDS, {"title", "outlet", "published"})
    if fields is None or _MISSING in fields.values():
        return None
    if fields["updated"] and fields["updated"] < fields["published"]:
        check.problems.append(check.doc.problem(
            ("updated",), f"{fields['updated']} is before the publication date {fields['published']}"))
        return None
    return model.Source(
        id=check.doc.id, path=check.doc.shown, title=fields["title"], outlet=fields["outlet"],
        authors=fields["authors"] or (), contributors=fields["contributors"] or (),
        published=fields["published"], updated=fields["updated"], url=fields["url"],
        language=fields["language"] or (check.config.language if check.config else "en"),
        quotes=fields["quotes"] or (), draft=bool(fields["draft"]), updates=fields["updates"] or (),
        body=body_of(check.doc))


def actor_record(check: Checker) -> model.Actor | None:
    fields = check.fields((), check.doc.data, ACTOR_FIELDS, {"name", "kind"})
    if fields is None or _MISSING in fields.values():
        return None
    return model.Actor(
        id=check.doc.id, path=check.doc.shown, name=fields["name"], kind=fields["kind"],
        title=fields["title"] or "", country=fields["country"], aliases=fields["aliases"] or (),
        body=body_of(check.doc))


def body_links(check: Checker, body_: model.Body) -> None:
    """Check link targets in a Markdown body: record ids become refs, schemes are limited."""
    doc, body = check.doc, body_.text
    key, mark = body_origin(doc)
    for match in MD_LINK_RE.finditer(body):
        group = match.lastindex  # each way of linking has one group
        target, start = match[group], match.start(group)
        scheme = SCHEME_RE.match(target)
        name = scheme[1].lower() if scheme else None
        if name is None or name in WEB_SCHEMES:
            continue
        line, col = _file_position(body_, mark, body.count("\n", 0, start), start - body.rfind("\n", 0, start))
        if name in RECORD_SCHEMES:
            ident_ = target[len(name) + 1:].split("#")[0]
            check.refs.append((name, ident_, line, col, key))
        else:
            check.problems.append(Problem(doc.shown, line, col, key, f"link scheme '{name}:' is not allowed",
                                          "link with http://, https://, launch:, actor: or source:"))


def _file_position(body: model.Body, mark: Mark | None, line: int, col: int) -> tuple[int, int]:
    """A place in a body's text (0-based line, 1-based column) as a line and column of its file."""
    if mark is None:  # Markdown after the front matter: the text's lines are the file's
        return body.line + line, col
    if mark.block:  # every line of a block scalar is indented alike
        return mark.text_line + line, mark.text_col - 1 + col
    return mark.text_line + line, mark.text_col - 1 + col if line == 0 else col


def body_placeholders(check: Checker, body_: model.Body) -> None:
    """Report each body line that is still a TODO placeholder."""
    for number, line in enumerate(body_.text.splitlines()):
        if PLACEHOLDER_RE.match(line):
            check.problems.append(Problem(check.doc.shown, body_.line + number, line.index("TODO") + 1, "body",
                                          "placeholder not filled", "write this part in your own words"))
