"""`digest new`: a new launch, source or actor file, written from the schema.

Values come from flags or from answers to questions; what only the editor can
write is left as a `TODO` placeholder that `digest check` reports until filled.
An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from slugify import slugify

from . import model
from .load import KINDS, SUFFIXES

FOLDERS = {kind: folder for folder, kind in KINDS.items()}
TITLE_WORDS = 6  # words of a title kept in a file name
STOPWORDS = ("a", "an", "the")


class ScaffoldError(Exception):
    """A value is missing or wrong; the message says which."""


class Exists(ScaffoldError):
    """A record with the new file's id is already there."""


@dataclass(frozen=True)
class Known:
    """The ids already in the content folder, to check references against."""

    actors: frozenset[str]
    sources: frozenset[str]


@dataclass(frozen=True)
class Question:
    name: str  # the answer's field, and its flag: --name
    prompt: str
    required: bool = False
    many: bool = False  # a list: a repeatable flag, or comma-separated answer
    parse: Callable[[str, Known], object] = lambda text, known: text


# --- drafts: what a new file says ---


@dataclass(frozen=True)
class LaunchDraft:
    title: str
    date: dt.date
    time: str | None = None
    location: str | None = None
    launcher: str | None = None  # actor id
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteDraft:
    speaker: str | None  # actor id; None while the speaker is not a known actor
    text: str
    named: str = ""  # the speaker as the article names them


@dataclass(frozen=True)
class SourceDraft:
    title: str | None  # None: left as a placeholder
    outlet: str
    published: dt.date
    updated: dt.date | None = None
    authors: tuple[str, ...] = ()
    url: str | None = None
    contributors: tuple[str, ...] = ()  # actor ids
    quotes: tuple[QuoteDraft, ...] = ()
    notes: tuple[str, ...] = ()  # comment lines for the editor
    slug_hint: str = ""  # words for the file name when there is no title


@dataclass(frozen=True)
class ActorDraft:
    name: str
    kind: str
    title: str | None = None
    country: str | None = None  # actor id
    aliases: tuple[str, ...] = ()


# --- answer parsers: (text, known ids) -> value, or raise ValueError with the reason ---


def iso_date(text: str, known: Known) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2022-01-05")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a real calendar date") from None


def clock(text: str, known: Known) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"'{text}' is not a time; write it as HH:MM in 24-hour form, e.g. 08:07")
    return f"{int(match[1]):02d}:{match[2]}"


def web_url(text: str, known: Known) -> str:
    if not re.match(r"^https?://[^\s/]+\S*$", text):
        raise ValueError(f"'{text}' is not an http or https URL")
    return text


def actor_kind(text: str, known: Known) -> str:
    if text not in model.ACTOR_KINDS:
        raise ValueError(f"unknown kind '{text}'; use one of: {', '.join(model.ACTOR_KINDS)}")
    return text


def known_id(kind: str) -> Callable[[str, Known], str]:
    def parse(text: str, known: Known) -> str:
        ids = known.actors if kind == "actor" else known.sources
        if text not in ids:
            raise ValueError(f"unknown {kind} '{text}'; add it first (digest new {kind}) or check the spelling")
        return text
    return parse


QUESTIONS: dict[str, tuple[Question, ...]] = {
    "launch": (
        Question("date", "Date of the launch, local (YYYY-MM-DD)", True, parse=iso_date),
        Question("title", "Title", True),
        Question("time", "Local time (HH:MM)", parse=clock),
        Question("location", "Location (e.g. off the east coast)"),
        Question("launcher", "Launching actor's id", parse=known_id("actor")),
        Question("source", "Source ids", many=True, parse=known_id("source")),
    ),
    "source": (
        Question("published", "Published on (YYYY-MM-DD)", True, parse=iso_date),
        Question("outlet", "Outlet (e.g. The Daily Example)", True),
        Question("title", "Headline", True),
        Question("author", "Authors", many=True),
        Question("url", "URL of the article", parse=web_url),
    ),
    "actor": (
        Question("name", "Name", True),
        Question("kind", f"Kind ({' | '.join(model.ACTOR_KINDS)})", True, parse=actor_kind),
        Question("title", "Title or office (e.g. Prime Minister of Japan)"),
        Question("country", "Country's actor id", parse=known_id("actor")),
        Question("alias", "Other names", many=True),
    ),
}


def known_ids(content_dir: Path) -> Known:
    """The ids of the actors and sources already in the content folder."""
    def ids(folder: str) -> frozenset[str]:
        return frozenset(p.stem for p in (content_dir / folder).glob("*") if p.suffix in SUFFIXES)
    return Known(ids("actors"), ids("sources"))


def answers(kind: str, given: dict[str, object], known: Known,
            ask: Callable[[str], str | None]) -> dict[str, object]:
    """Parse the flags given; ask for the rest when a required one is missing."""
    questions = QUESTIONS[kind]
    asking = any(q.required and not given.get(q.name) for q in questions)
    result: dict[str, object] = {}
    for q in questions:
        raw = given.get(q.name)
        if raw:
            values = raw if isinstance(raw, list) else [raw]
            result[q.name] = [_parse_flag(q, str(v).strip(), known) for v in values] if q.many else \
                _parse_flag(q, str(raw).strip(), known)
        elif asking:
            result[q.name] = _ask(q, known, ask)
    return result


def _parse_flag(q: Question, text: str, known: Known) -> object:
    try:
        return q.parse(text, known)
    except ValueError as exc:
        raise ScaffoldError(f"--{q.name}: {exc}") from None


def _ask(q: Question, known: Known, ask: Callable[[str], str | None]) -> object:
    """Ask until the answer parses; an empty answer skips an optional question."""
    suffix = " (comma-separated" + (")" if q.required else ", Enter to skip)") if q.many else \
        ("" if q.required else " (Enter to skip)")
    prompt = f"{q.prompt}{suffix}: "
    while True:
        line = ask(prompt)
        if line is None:
            if q.required:
                raise ScaffoldError(f"missing --{q.name} (give it as a flag or answer the question)")
            return [] if q.many else None
        text = line.strip()
        if not text and not q.required:
            return [] if q.many else None
        try:
            if q.many:
                return [q.parse(part.strip(), known) for part in text.split(",") if part.strip()]
            if text:
                return q.parse(text, known)
        except ValueError as exc:
            prompt = f"  {exc}\n{q.prompt}{suffix}: "  # the reason, then the same question again


def draft(kind: str, values: dict[str, object]):
    """The draft record of a kind from parsed answers."""
    if kind == "launch":
        return LaunchDraft(values["title"], values["date"], values.get("time"), values.get("location"),
                           values.get("launcher"), tuple(values.get("source") or ()))
    if kind == "source":
        return SourceDraft(values["title"], values["outlet"], values["published"],
                           authors=tuple(values.get("author") or ()), url=values.get("url"))
    return ActorDraft(values["name"], values["kind"], values.get("title"), values.get("country"),
                      tuple(values.get("alias") or ()))


# --- file names and text ---


def slug(text: str, words: int | None = None) -> str:
    """An id part from text: lowercase ASCII words joined by hyphens."""
    text = re.sub(r"^the\s+", "", text.strip(), flags=re.I)
    made = slugify(text, stopwords=STOPWORDS if words else (),
                   replacements=[["'s ", " "], ["’s ", " "], ["'", ""], ["’", ""]])
    return "-".join(made.split("-")[:words]) if words else made


def file_name(record) -> str:
    """The file name a draft is written under: its id and suffix."""
    if isinstance(record, LaunchDraft):
        parts = [record.date.isoformat(), slug(record.title, TITLE_WORDS)]
    elif isinstance(record, SourceDraft):
        parts = [record.published.isoformat(), slug(record.outlet), slug(record.title or record.slug_hint, TITLE_WORDS)]
    else:
        parts = [slug(record.name)]
    if not all(parts):
        raise ScaffoldError("cannot make a file name: the title or name has no letters or digits to use")
    return "-".join(parts) + (".yaml" if isinstance(record, ActorDraft) else ".md")


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def flow_list(items) -> str:
    return "[" + ", ".join(quoted(i) for i in items) + "]"


def launch_text(d: LaunchDraft) -> str:
    lines = ["---", f"title: {quoted(d.title)}", f"date: {d.date.isoformat()}",
             f'time: "{d.time}"' if d.time else '# time: "08:07"            # local time, 24-hour',
             "# timezone: Asia/Seoul      # IANA name; default from site.yaml",
             f"location: {quoted(d.location)}" if d.location else "# location: off the east coast",
             "# coordinates: [39.0, 127.5]",
             "# missiles: [{type: ballistic, name: short-range ballistic missile, count: 1}]"]
    for name, (label, unit) in model.FACT_FIELDS.items():
        lines.append(f"# {name}: {{value: 1, approx: true, per: ACTOR-ID, source: SOURCE-ID}}  # {label}, {unit}")
    lines += ["outcome: unknown            # success | failure | unknown",
              f"actors: [{{id: {d.launcher}, role: launcher}}]" if d.launcher else
              "actors: []                  # [{id: ACTOR-ID, role: launcher}, ...]",
              f"sources: [{', '.join(d.sources)}]",
              "# tags: []", "# aliases: []                # old URLs of this page",
              "# draft: true", "# updates: [{date: 2030-01-31, note: What was corrected}]",
              "---", "TODO: What happened, in your own words. Link records by id with actor:, source: and "
              "launch: links.", ""]
    return "\n".join(lines)


def source_text(d: SourceDraft) -> str:
    lines = ["---" , *(f"# {note}" for note in d.notes),
             f"title: {quoted(d.title)}" if d.title else 'title: "TODO: the headline"',
             f"outlet: {quoted(d.outlet)}", f"authors: {flow_list(d.authors)}",
             f"contributors: [{', '.join(d.contributors)}]" if d.contributors else
             "# contributors: [ACTOR-ID]   # agencies that contributed, as actor ids",
             f"published: {d.published.isoformat()}",
             f"updated: {d.updated.isoformat()}" if d.updated else "# updated: 2030-01-31",
             f"url: {quoted(d.url)}" if d.url else "# url: https://",
             "# language: en               # default from site.yaml"]
    known = [q for q in d.quotes if q.speaker]
    if known:
        lines.append("quotes:")
        for q in known:
            lines += [f"  - speaker: {q.speaker}", f"    text: {quoted(q.text)}"]
    else:
        lines.append("# quotes: [{speaker: ACTOR-ID, text: ..., context: ...}]")
    unknown = [q for q in d.quotes if not q.speaker]
    if unknown:
        lines.append("# Quotes by speakers who are not actors yet: add them (digest new actor), then move these up.")
        for q in unknown:
            lines += [f"#  - speaker: ACTOR-ID  # {q.named}", f"#    text: {quoted(q.text)}"]
    lines += ["# draft: true", "# updates: [{date: 2030-01-31, note: What was corrected}]", "---",
              "TODO: Summarise the article in your own words: what it reports, and who says so. "
              "Link records by id with launch:, actor: and source: links.", ""]
    return "\n".join(lines)


def actor_text(d: ActorDraft) -> str:
    return "\n".join([
        f"name: {quoted(d.name)}", f"kind: {d.kind}                # {' | '.join(model.ACTOR_KINDS)}",
        f"title: {quoted(d.title)}" if d.title else "# title: Prime Minister      # office or role",
        f"country: {d.country}" if d.country else "# country: ACTOR-ID         # the state it belongs to",
        f"aliases: {flow_list(d.aliases)}" if d.aliases else "# aliases: []               # other names in articles",
        'description: "TODO: who this is, in a sentence or two"', ""])


def text_of(record) -> str:
    """The file text of a draft."""
    if isinstance(record, LaunchDraft):
        return launch_text(record)
    if isinstance(record, SourceDraft):
        return source_text(record)
    return actor_text(record)


def create(content_dir: Path, record) -> Path:
    """Write a draft's file; ScaffoldError if a record with that id exists."""
    name = file_name(record)
    folder = content_dir / FOLDERS[{LaunchDraft: "launch", SourceDraft: "source", ActorDraft: "actor"}[type(record)]]
    stem = name.rsplit(".", 1)[0]
    existing = [p for p in (folder / (stem + s) for s in SUFFIXES) if p.exists()]
    if existing:
        raise Exists(f"{existing[0]} already exists; not overwritten (edit that file, or change the title or name)")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        with path.open("x", encoding="utf-8") as out:  # "x": fail rather than overwrite, even in a race
            out.write(text_of(record))
    except FileExistsError:
        raise Exists(f"{path} already exists; not overwritten") from None
    return path
