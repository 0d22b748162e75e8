"""The content model: frozen records made by `validate`, read by every later stage.

References between records are ids (strings) here; `link` resolves them.
"""

from __future__ import annotations

import datetime as dt
import operator
import sys
from dataclasses import dataclass, fields
from typing import Callable


def record(cls=None, /, **options):
    """`@dataclass(frozen=True, slots=True)`, pickled as a call to the class.

    dataclasses pickle a frozen slotted class by looking up its fields again for
    every object loaded: most of the time of loading the build cache (2.9 s of
    a 7 s rebuild at 10,000 launches, measured). A constructor call is one step.
    """
    def make(cls):
        cls = dataclass(frozen=True, slots=True, **options)(cls)
        names = [f.name for f in fields(cls)]
        values = operator.attrgetter(*names) if len(names) > 1 else lambda self: (getattr(self, names[0]),)
        cls.__reduce__ = lambda self: (cls, values(self))
        return cls
    return make(cls) if cls else make


class Fillable:
    """The base of the records with files of their own (Launch, Source, Actor), which may be stand-ins.

    A rebuild after a few edits takes the linked site from the cache
    (cache.Kept.site) with each record a stand-in holding only its id (and what
    planning reads of every record, cache.KNOWN_FIELDS): the others of its fields are set from its file's
    cached result when one is first read. Unpickling every record took 0.35-0.45 s
    and linking them 0.15 s of a 1.3 s rebuild at 10,000 launches; after one
    launch's body is edited, its pages read 13 of the 15,427 records (measured).
    """

    __slots__ = ("_fill",)  # the stand-in's: makes a record from its key ("kind:id"), to fill this one from

    def __getattr__(self, name: str):  # asked only for an attribute not set
        fill = None if name == "_fill" else getattr(self, "_fill", None)
        if fill is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        filled = fill(record_key(kind_of(self), self.id))
        object.__delattr__(self, "_fill")
        for field_name in type(self).__slots__:
            object.__setattr__(self, field_name, getattr(filled, field_name))
        return getattr(self, name)


def stand_ins(cls: type[Fillable], fill: Callable[[str], Fillable], names: tuple[str, ...],
              ) -> Callable[..., Fillable]:
    """A maker of stand-ins: `make(*known)` is a record of class `cls` with the fields `names` set to
    `known` (the id among them), the others set from what `fill("kind:id")` makes when first read.

    One `fill` for all the stand-ins of a site, no closure each, and each field set by its slot's own
    setter, found once: the 15,427 stand-ins of 10,000 launches took 0.033 s of loading a kept site
    with a closure each, 0.013 s with a field's setter found for each (measured), ~0.010 s now.
    """
    new, set_fill = object.__new__, Fillable._fill.__set__
    setters = tuple(getattr(cls, name).__set__ for name in names)

    def make(*known) -> Fillable:
        made = new(cls)
        set_fill(made, fill)
        for set_field, value in zip(setters, known):
            set_field(made, value)
        return made

    return make


@record
class Vocabularies:
    missile_types: tuple[str, ...]
    roles: tuple[str, ...]
    tags: tuple[str, ...]  # empty: any tag is allowed


@record
class SiteConfig:
    title: str
    description: str
    base_url: str  # absolute, ends with '/'
    language: str
    timezone: str
    vocabularies: Vocabularies
    per_page: int  # items on each page of a listing: the launch index, an actor's launches, the sources


@record
class Fact:
    """One report of a quantity: exact, approximate, or a range, with attribution."""

    value: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    approx: bool = False
    per: str | None = None  # actor id
    source: str | None = None  # source id


@record
class Missile:
    type: str
    name: str
    count: int | None


@record
class ActorRole:
    actor: str
    role: str


@record
class Update:
    date: dt.date
    note: str


@record
class Body:
    """Markdown text and the file line it starts on (for errors in links)."""

    text: str
    line: int
    path: str


@record
class Launch(Fillable):
    id: str
    path: str
    title: str
    date: dt.date
    time: dt.time | None
    timezone: str
    location: str
    coordinates: tuple[float, float] | None
    missiles: tuple[Missile, ...]
    facts: tuple[tuple[str, tuple[Fact, ...]], ...]  # (field name, reports) in FACT_FIELDS order
    outcome: str
    actors: tuple[ActorRole, ...]
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    draft: bool
    aliases: tuple[str, ...]
    updates: tuple[Update, ...]
    body: Body

    @property
    def last_updated(self) -> dt.date:
        """The launch date, or the latest entry of its corrections log."""
        return max([self.date, *(u.date for u in self.updates)])


@record
class Quote:
    speaker: str  # actor id
    text: str
    context: str


@record
class Source(Fillable):
    id: str
    path: str
    title: str
    outlet: str
    authors: tuple[str, ...]
    contributors: tuple[str, ...]  # actor ids
    published: dt.date
    updated: dt.date | None
    url: str | None
    language: str
    quotes: tuple[Quote, ...]
    draft: bool
    updates: tuple[Update, ...]
    body: Body

    @property
    def last_updated(self) -> dt.date:
        """The latest of the publication date, the outlet's update and the corrections log."""
        return max([self.published, *([self.updated] if self.updated else []), *(u.date for u in self.updates)])


@record
class Actor(Fillable):
    id: str
    path: str
    name: str
    kind: str
    title: str
    country: str | None  # actor id
    aliases: tuple[str, ...]
    body: Body


RECORD_CLASSES = {"launch": Launch, "source": Source, "actor": Actor}  # by kind_of()


def record_key(kind: str, ident: str) -> str:
    """A record's name where pages list what they show: "launch:some-id".

    One shared string per record: at 10,000 launches the pages name records
    341,000 times, and as separate strings those took 17 MB (measured).
    """
    return sys.intern(f"{kind}:{ident}")


# Strings shorter than this (ids, roles, types, dates as text) recur across records: each is kept as one
# shared copy, when a file is parsed (load) and when a result is unpickled from the cache (cache.unpickle_result).
SHARED_LENGTH = 64


def kind_of(record: Launch | Source | Actor) -> str:
    """A record's kind: "launch", "source" or "actor"."""
    return type(record).__name__.lower()


PER_PAGE = 50  # unless site.yaml says otherwise
ACTOR_KINDS = ("state", "person", "organization", "military", "government")
OUTCOMES = ("success", "failure", "unknown")

# The measured facts of a launch, in page order, with their labels and units.
FACT_FIELDS = {
    "distance_km": ("Distance", "km"),
    "apogee_km": ("Apogee", "km"),
    "altitude_km": ("Altitude", "km"),
    "flight_time_min": ("Flight time", "min"),
    "speed_mach": ("Speed", "Mach"),
    "round_of_year": ("Round of weapons launches that year", "ordinal"),
}
