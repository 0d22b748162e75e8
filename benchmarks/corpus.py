"""Benchmark corpora: N launches, about N/2 sources and a few hundred actors in digest's content format.

Everything comes from one seeded `random.Random` and no clock, so the same N
always gives byte-identical files. The names, places and sentences are
invented. Run: `python benchmarks/corpus.py N OUTDIR` (OUTDIR becomes a content dir).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SEED = 20220105
MARKER = "Benchmark corpus"  # in site.yaml's description; lets --force recognise an old corpus

# --- the invented world -------------------------------------------------------

NAME_HEADS = ("Nor", "Kes", "Ar", "Val", "Tor", "Mer", "Sel", "Dra", "Ost", "Bel", "Cor", "Lum", "Pra", "Zen",
              "Ith", "Vor", "Hal", "Ery", "Mon", "Sav", "Qua", "Tam", "Ul", "Wes", "Bran", "Fel", "Gar", "Rho")
STATE_TAILS = ("ia", "land", "mar", "avia", "esh", "ora", "una", "istan", "ay", "eth", "ova", "enne")
PLACE_TAILS = ("port", "haven", "ford", "mouth", "ridge", "field", "shore", "dale", "wick", "holm")
FIRST_NAMES = ("Ana", "Boris", "Chae", "Daria", "Emil", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kira", "Luka",
               "Mina", "Nadir", "Olga", "Pavel", "Rina", "Samir", "Tomas", "Una", "Viktor", "Yara", "Zoltan",
               "Lena", "Oren", "Mei", "Ilya", "Noor", "Sven", "Ada", "Renée", "José")
LAST_HEADS = ("Mar", "Vol", "Ker", "Dan", "Os", "Bel", "Rud", "Sor", "Tal", "Hen", "Lin", "Kov", "Ash", "Brev")
LAST_TAILS = ("ek", "ova", "sen", "ani", "ski", "dor", "ell", "ura", "an", "berg", "ith", "ado")
PERSON_TITLES = ("President", "Prime Minister", "Defence Minister", "Foreign Minister", "Chief of the General Staff",
                 "Government Spokesperson")
OUTLET_NOUNS = ("Ledger", "Courier", "Wire", "Herald", "Dispatch", "Observer", "Gazette", "Tribune", "Bulletin",
                "Post", "Chronicle", "Review")
TIMEZONES = ("Asia/Seoul", "Asia/Tokyo", "Asia/Pyongyang", "Europe/Moscow", "Asia/Tehran", "Asia/Karachi",
             "Asia/Shanghai", "Pacific/Guam", "America/Anchorage", "UTC")
MISSILE_TYPES = ("ballistic", "cruise", "hypersonic", "icbm", "slbm", "unknown")
MISSILE_WORDS = {"ballistic": "short-range ballistic missile", "cruise": "cruise missile",
                 "hypersonic": "hypersonic glide vehicle", "icbm": "intercontinental ballistic missile",
                 "slbm": "submarine-launched ballistic missile", "unknown": "unidentified projectile"}
ROLES = ("launcher", "reporter", "responder", "mentioned")
TAGS = ("ballistic-missile", "cruise-missile", "east-coast", "west-coast", "sea-launch", "test-failure",
        "nuclear-weapons", "diplomacy", "sanctions", "joint-drills", "night-launch", "salvo")
DIRECTIONS = ("east", "west", "north", "south", "north-east", "south-east")

# Readable filler. Slots in braces are filled with Markdown links or words.
LEAD = (
    "{launcher} fired {missile} {location} {when}, {reporter} said in a statement.",
    "{reporter} reported that {launcher} had launched {missile} {location} {when}.",
    "{When}, {launcher} launched {missile} {location}, according to {reporter}.",
)
RESPONSE = (
    "{responder} called the launch {judgement} and {action}.",
    "{responder} described the test as {judgement}, and {action}.",
    "Within hours {responder} had {action_past}.",
)
JUDGEMENTS = ("a clear provocation", "a threat to the safety of shipping", "a breach of earlier commitments",
              "deeply regrettable", "an unhelpful step at a delicate moment", "part of a worrying pattern")
ACTIONS = ("asked ministries to check the safety of ships and aircraft", "promised a measured response",
           "urged talks without preconditions", "called an emergency meeting of the security council",
           "asked partners to share tracking data", "ordered the coast guard to warn fishing boats")
ACTIONS_PAST = ("asked ministries to check the safety of ships and aircraft", "promised a measured response",
                "urged a return to talks", "convened an emergency meeting", "summoned the ambassador",
                "raised the alert level of the air defence units")
QUOTES = ("We are following every step of this with our partners.",
          "Tests like this one make the whole region less safe.",
          "Our forces remain ready to respond to any further launch.",
          "Dialogue is still the only path that leads anywhere.",
          "No damage to ships or aircraft has been reported so far.",
          "We will not comment on intelligence matters.",
          "The program is defensive and threatens no one.",
          "This launch was planned long in advance and went as expected.",
          "We call on all sides to show restraint.",
          "The data is still being analysed and we will say more later.")
QUOTE_CONTEXTS = ("Said at a press briefing the same day.", "From a written statement.",
                  "Told reporters outside parliament.", "In a televised address.",
                  "In remarks to a regional security forum.", "")
CHECKLIST_INTROS = ("Officials said they were still checking several points:",
                    "{reporter} listed what it did not yet know:",
                    "The statement left a few questions open:")
CHECKLIST = ("the exact launch site", "whether more than one missile was fired", "the type of warhead carried",
             "how far the missile travelled", "whether debris fell in shipping lanes",
             "the flight profile and the highest altitude reached", "whether the launch was a failure",
             "which unit carried out the launch")
FILLER = (
    "Analysts said the test appeared designed to check guidance systems under realistic conditions.",
    "Coastal authorities advised fishing boats to stay in port until the area had been cleared.",
    "Regional markets barely moved on the news.",
    "The launch came during a week of joint naval exercises nearby.",
    "State media carried no report of the launch in its evening bulletin.",
    "Diplomats at the regional council said a joint statement was being drafted.",
    "Satellite images taken the week before showed new activity near the launch area.",
    "Airlines rerouted a handful of flights as a precaution.",
    "Observers noted that the timing matched an important political anniversary.",
    "Tracking radars on two ships followed the missile for most of its flight.",
    "Officials declined to say whether the missile carried a new type of engine.",
    "A spokesperson said a fuller assessment would follow once the data had been checked.",
    "Independent experts cautioned against reading too much into a single test.",
    "The previous round of talks broke up without agreement on a timetable.",
    "Local residents said they heard nothing unusual that morning.",
    "Neighbouring governments shared their tracking data within the hour.",
)
CONTEXT = (
    "The launch came {days} days after [the previous test]({prev}).",
    "It followed [an earlier launch]({prev}) by {days} days.",
    "{days} days had passed since [the last launch]({prev}).",
)


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str
    title: str = ""
    country: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""
    body: str = ""  # when set, written as a .md file with this Markdown body


@dataclass(frozen=True)
class Report:
    """One report of a quantity: `bare` ones are written as a plain number."""

    value: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    approx: bool = False
    per: str = ""
    source: str = ""
    bare: bool = False


@dataclass(frozen=True)
class Quote:
    speaker: str
    text: str
    context: str


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    outlet: str
    authors: tuple[str, ...]
    contributors: tuple[str, ...]
    published: dt.date
    updated: dt.date | None
    url: str
    quotes: tuple[Quote, ...]
    updates: tuple[tuple[dt.date, str], ...]
    body: str


@dataclass(frozen=True)
class Launch:
    id: str
    title: str
    date: dt.date
    time: str  # "HH:MM" or ""
    timezone: str  # "" means the site's default
    location: str
    coordinates: tuple[float, float] | None
    missiles: tuple[tuple[str, str, int | None], ...]  # (type, name, count)
    facts: tuple[tuple[str, tuple[Report, ...]], ...]
    outcome: str
    actors: tuple[tuple[str, str], ...]  # (actor id, role)
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    updates: tuple[tuple[dt.date, str], ...]
    body: str


@dataclass(frozen=True)
class Corpus:
    title: str
    actors: tuple[Actor, ...]
    sources: tuple[Source, ...]
    launches: tuple[Launch, ...]  # oldest first


@dataclass(frozen=True)
class Launcher:
    """A state that launches, with its home timezone, sites and neighbours."""

    state: Actor
    timezone: str
    sites: tuple[str, ...]
    reporters: tuple[Actor, ...]  # neighbours' militaries and ministries
    responders: tuple[Actor, ...]  # neighbours' leaders and governments
    mentioned: tuple[Actor, ...]


# --- helpers -----------------------------------------------------------------


def slug(text: str) -> str:
    """'José of Norland' -> 'jose-of-norland' (ASCII letters, digits and hyphens)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = "".join(c if c.isalnum() else "-" for c in plain.lower())
    return "-".join(part for part in out.split("-") if part)


def unique(ident: str, taken: Counter) -> str:
    """The id itself the first time, then ident-2, ident-3, ..."""
    taken[ident] += 1
    return ident if taken[ident] == 1 else f"{ident}-{taken[ident]}"


def actor_link(actor: Actor, text: str = "") -> str:
    return f"[{text or actor.name}](actor:{actor.id})"


def long_date(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def how_many(count: int | None, thing: str) -> str:
    """(1, 'icbm') -> 'an icbm'; (3, 'missile') -> 'three missiles'; (None, 'missile') -> 'several missiles'."""
    if count == 1:
        return ("an " if thing[0] in "aeiou" else "a ") + thing
    words = {2: "two", 3: "three", 4: "four"}
    return f"{words.get(count, 'several')} {thing}s"


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# --- actors ------------------------------------------------------------------


def make_actors(rng: random.Random, n_states: int) -> tuple[list[Actor], list[Actor]]:
    """States with their bodies and people, plus organisations; returns (all actors, news agencies)."""
    taken: Counter = Counter()
    names = rng.sample([h + t for h in NAME_HEADS for t in STATE_TAILS], n_states)
    actors: list[Actor] = []
    for name in names:
        actors.extend(state_actors(rng, name, taken))
    agencies = [Actor(unique(slug(f"{h} Press Agency"), taken), f"{h} Press Agency", "organization",
                      aliases=(f"{h[0]}PA",), description=f"A news agency whose reporters cover the region from {h}.")
                for h in rng.sample(NAME_HEADS, max(2, n_states // 3))]
    institutes = []
    for head in rng.sample(NAME_HEADS, max(1, n_states - len(agencies))):
        name = rng.choice((f"{head} Institute for Strategic Studies", f"Council of the {head} Sea",
                           f"{head} Arms Monitoring Group"))
        institutes.append(Actor(unique(slug(name), taken), name, "organization",
                                description=f"{name} publishes assessments of weapons tests in the region."))
    return actors + agencies + institutes, agencies


def state_actors(rng: random.Random, state: str, taken: Counter) -> list[Actor]:
    """A state, its government, defence ministry, military, coast guard and five people."""
    sid = unique(slug(state), taken)
    made = [Actor(sid, state, "state", aliases=(f"the {state}n government",) if rng.random() < 0.3 else (),
                  description=f"{state} is one of the states whose launches and responses this digest follows.")]
    for kind, name in (("government", f"Government of {state}"), ("government", f"{state} Ministry of Defence"),
                       ("military", f"{state} Joint Staff"), ("government", f"{state} Coast Guard")):
        made.append(Actor(unique(slug(name), taken), name, kind, country=sid,
                          description=f"Part of the state of {state}; it reports and responds to launches."))
    for title in rng.sample(PERSON_TITLES, 4) + ["Analyst"]:
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_HEADS)}{rng.choice(LAST_TAILS)}"
        full_title = f"{title} of {state}" if title != "Analyst" else f"Independent analyst based in {state}"
        ident = unique(slug(person), taken)
        if rng.random() < 0.15:  # some actors are Markdown files with a body of their own
            made.append(Actor(ident, person, "person", full_title, sid, body=(
                f"{person} serves as {full_title}. Statements by {person.split()[0]} are quoted by "
                f"several outlets, often alongside {actor_link(made[0])}'s official line.\n")))
        else:
            made.append(Actor(ident, person, "person", full_title, sid,
                              description=f"{full_title}, often quoted after launches."))
    return made


def make_launchers(rng: random.Random, actors: list[Actor]) -> list[Launcher]:
    """Up to four launching states, each with a timezone, launch sites and neighbours."""
    states = [a for a in actors if a.kind == "state"]
    by_country: dict[str, list[Actor]] = {}
    for actor in actors:
        if actor.country:
            by_country.setdefault(actor.country, []).append(actor)
    others = [a for a in actors if a.kind == "organization"]
    launchers = []
    for state in states[:4]:
        neighbours = rng.sample([s for s in states if s is not state], min(3, len(states) - 1))
        around = [a for n in neighbours for a in by_country.get(n.id, [])]
        sites = tuple(f"{rng.choice(NAME_HEADS)}{rng.choice(PLACE_TAILS)}" for _ in range(rng.randint(3, 6)))
        launchers.append(Launcher(
            state, rng.choice(TIMEZONES), sites,
            reporters=tuple(a for a in around if a.kind == "military" or "Ministry" in a.name),
            responders=tuple(a for a in around if a.kind == "person" and "Analyst" not in a.title
                             or a.name.startswith("Government")),
            mentioned=tuple(by_country.get(state.id, [])) + tuple(neighbours) + tuple(others)))
    return launchers


# --- launches and sources ----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A launch before its facts and text: who, when, where, and which sources cover it."""

    index: int
    id: str
    launcher: Launcher
    date: dt.date
    site: str
    missile_type: str
    previous: int | None  # index of the same launcher's previous launch


def plan_launches(rng: random.Random, n: int, launchers: list[Launcher]) -> list[Plan]:
    """N launches spread over the years up to 2025, oldest first."""
    years = min(60, max(3, n // 250))
    start = dt.date(2026 - years, 1, 1)
    span = (dt.date(2026, 1, 1) - start).days
    days = sorted(rng.randrange(span) for _ in range(n))
    weights = (6, 3, 2, 1)[: len(launchers)]
    last: dict[str, int] = {}
    taken: Counter = Counter()
    plans = []
    for i, day in enumerate(days):
        launcher = rng.choices(launchers, weights)[0]
        date, site = start + dt.timedelta(days=day), rng.choice(launcher.sites)
        missile = rng.choices(MISSILE_TYPES, (10, 4, 2, 2, 1, 2))[0]
        ident = unique(f"{date.isoformat()}-{slug(site)}-{missile}", taken)
        plans.append(Plan(i, ident, launcher, date, site, missile, last.get(launcher.state.id)))
        last[launcher.state.id] = i
    return plans


def cover(rng: random.Random, plans: list[Plan]) -> list[list[int]]:
    """Which launches each source covers: each launch cites 1-3 sources from the last ten days."""
    covers: list[list[int]] = []
    for plan in plans:
        want = rng.choice((1, 1, 2, 2, 3))
        recent = [s for s in range(max(0, len(covers) - 6), len(covers))
                  if len(covers[s]) < 6 and (plan.date - plans[covers[s][0]].date).days <= 10]
        chosen = []
        if not recent or rng.random() < 0.5:
            covers.append([])
            chosen.append(len(covers) - 1)
        chosen += rng.sample(recent, min(max(0, want - len(chosen)), len(recent)))
        for s in chosen:
            covers[s].append(plan.index)
    return covers


def make_sources(rng: random.Random, plans: list[Plan], covers: list[list[int]], agencies: list[Actor]) -> list[Source]:
    """Each source's headline, outlet, dates, quotes and summary, from the launches it covers."""
    outlets = [f"The {h}{t} {rng.choice(OUTLET_NOUNS)}" for h, t in
               rng.sample([(h, t) for h in NAME_HEADS for t in PLACE_TAILS], 24)]
    taken: Counter = Counter()
    sources = []
    for covered in covers:
        first, last = plans[covered[0]], plans[covered[-1]]
        outlet = rng.choice(outlets)
        published = last.date + dt.timedelta(days=rng.choice((0, 0, 0, 1)))
        title = rng.choice((
            f"{first.launcher.state.name} fires {MISSILE_WORDS[first.missile_type]} from near {first.site}",
            f"Neighbours protest as {first.launcher.state.name} tests another missile",
            f"{first.launcher.state.name}: new launch {rng.choice(DIRECTIONS)} of {first.site}",
            f"What we know about the {first.site} launch"))
        ident = unique(f"{published.isoformat()}-{slug(outlet)[4:]}-{slug(first.site)}", taken)
        speakers = [a for p in covered for a in plans[p].launcher.responders + plans[p].launcher.reporters]
        quotes = tuple(Quote(rng.choice(speakers).id, rng.choice(QUOTES), rng.choice(QUOTE_CONTEXTS))
                       for _ in range(rng.choice((0, 1, 1, 2, 3)) if speakers else 0))
        authors = tuple(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_HEADS)}{rng.choice(LAST_TAILS)}"
                        for _ in range(rng.choice((0, 1, 1, 2))))
        contributors = (rng.choice(agencies).id,) if rng.random() < 0.3 else ()
        updated = published + dt.timedelta(days=rng.randint(1, 3)) if rng.random() < 0.2 else None
        url = f"https://{slug(outlet)[4:]}.example/{published.year}/{published.month:02d}/{ident}" \
            if rng.random() < 0.9 else ""
        updates = ((published + dt.timedelta(days=2), "Corrected the spelling of a place name."),) \
            if rng.random() < 0.03 else ()
        sources.append(Source(ident, title, outlet, authors, contributors, published, updated, url,
                              quotes, updates, source_body(rng, outlet, [plans[p] for p in covered], plans)))
    return sources


def source_body(rng: random.Random, outlet: str, covered: list[Plan], plans: list[Plan]) -> str:
    """One to three paragraphs summarising a source, linking the launches it covers."""
    first = covered[0]
    reporter = rng.choice(first.launcher.reporters or (first.launcher.state,))
    lead = (f"{outlet}'s report covers [the launch of {long_date(first.date)}](launch:{first.id}) "
            f"as described by {actor_link(reporter)}. " + " ".join(rng.sample(FILLER, 2)))
    paragraphs = [lead]
    if len(covered) > 1:
        links = ", ".join(f"[{long_date(p.date)}](launch:{p.id})" for p in covered[1:])
        paragraphs.append(f"It was updated to cover later launches as well: {links}. " + rng.choice(FILLER))
    if rng.random() < 0.5:
        paragraphs.append(" ".join(rng.sample(FILLER, 3)))
    return "\n\n".join(paragraphs) + "\n"


FACT_RANGES = {"distance_km": (50, 1500), "apogee_km": (20, 1200), "altitude_km": (10, 120),
               "flight_time_min": (3, 70), "speed_mach": (2, 20)}
FACT_ORDER = ("distance_km", "apogee_km", "altitude_km", "flight_time_min", "speed_mach", "round_of_year")
FACT_SHAPES = ("exact", "approx", "range", "disagree")


def measure(rng: random.Random, name: str, scale: float = 1.0) -> float:
    low, high = FACT_RANGES[name]
    if name == "speed_mach":
        return round(rng.uniform(low, high), 1)
    return max(low, int(rng.randint(low, high) * scale))


def one_report(rng: random.Random, name: str, shape: str, per: str, source: str, scale: float) -> Report:
    value = measure(rng, name, scale)
    if shape == "exact":
        return Report(value, bare=True) if rng.random() < 0.5 else Report(value, per=per, source=source)
    if shape == "approx":
        rounded = round(value, -1) if value >= 100 else value
        return Report(rounded, approx=True, per=per, source=source)
    low = round(value * rng.uniform(0.4, 0.9), 1 if name == "speed_mach" else None)
    return Report(minimum=low, maximum=value, per=per, source=source)


def make_facts(rng: random.Random, plan: Plan, reporters: list[str], sources: list[str],
               number_in_year: int) -> tuple[tuple[str, tuple[Report, ...]], ...]:
    """One to four measured quantities: exact, approximate, ranges, or disagreeing reports."""
    scale = 5.0 if plan.missile_type == "icbm" else 1.0
    facts = {}
    for name in rng.sample(list(FACT_RANGES), rng.randint(1, 4)):
        shape = rng.choices(FACT_SHAPES, (25, 30, 20, 25))[0]
        if shape == "disagree" and (len(reporters) > 1 or len(sources) > 1):
            pers = rng.sample(reporters, min(len(reporters), rng.choice((2, 2, 3))))
            facts[name] = tuple(one_report(rng, name, rng.choice(("approx", "range", "exact")), per,
                                           rng.choice(sources), scale) for per in pers)
            if len(facts[name]) < 2:
                facts[name] += (one_report(rng, name, "range", reporters[0], sources[-1], scale),)
            facts[name] = tuple(r if not r.bare else Report(r.value, per=r.per or reporters[0], source=sources[0])
                                for r in facts[name])
        else:
            shape = "approx" if shape == "disagree" else shape
            facts[name] = (one_report(rng, name, shape, rng.choice(reporters), rng.choice(sources), scale),)
    if rng.random() < 0.1:
        facts["round_of_year"] = (Report(number_in_year, source=sources[0]),)
    return tuple((name, facts[name]) for name in FACT_ORDER if name in facts)


def fact_phrase(name: str, reports: tuple[Report, ...]) -> str:
    """How the body text states a quantity, e.g. 'about 500 km' or 'between 40 and 90 km'."""
    unit = {"distance_km": "km", "apogee_km": "km", "altitude_km": "km", "flight_time_min": "minutes",
            "speed_mach": ""}[name]

    def one(r: Report) -> str:
        if r.value is not None:
            return ("about " if r.approx else "") + (f"Mach {num(r.value)}" if not unit else f"{num(r.value)} {unit}")
        return f"between {'Mach ' if not unit else ''}{num(r.minimum)} and {num(r.maximum)}{' ' + unit if unit else ''}"
    return " or ".join(one(r) for r in reports)


FACT_SENTENCES = {
    "distance_km": "The missile flew {}{}.", "apogee_km": "It climbed to an apogee of {}{}.",
    "altitude_km": "Its flight stayed at an altitude of {}{}.", "flight_time_min": "The flight lasted {}{}.",
    "speed_mach": "Its top speed was put at {}{}.",
}


def make_launch(rng: random.Random, plan: Plan, sources: list[Source], plans: list[Plan],
                number_in_year: int) -> Launch:
    """A whole launch record: fields, facts with attribution, and a narrative of 2-5 paragraphs."""
    launcher = plan.launcher
    reporters = rng.sample(launcher.reporters, min(len(launcher.reporters), rng.randint(1, 3))) \
        or [launcher.state]
    responders = rng.sample(launcher.responders, min(len(launcher.responders), rng.randint(0, 3)))
    mentioned = [a for a in rng.sample(launcher.mentioned, min(len(launcher.mentioned), rng.randint(0, 3)))
                 if a not in reporters and a not in responders and a is not launcher.state]
    roles = ((launcher.state.id, "launcher"),) + tuple((a.id, "reporter") for a in reporters) + tuple(
        (a.id, "responder") for a in responders) + tuple((a.id, "mentioned") for a in mentioned)
    source_ids = [s.id for s in sources]
    facts = make_facts(rng, plan, [a.id for a in reporters], source_ids, number_in_year)

    direction = rng.choice(DIRECTIONS)
    location = rng.choice((f"off the {direction} coast", f"from near {plan.site}",
                           f"from the {plan.site} area toward the {direction}ern sea"))
    if plan.missile_type == "slbm":
        location = f"from a submarine near {plan.site}"
    count = rng.choice((1, 1, 1, 2, 3, None))
    missiles = ((plan.missile_type, f"{rng.choice(NAME_HEADS)}-{rng.randint(1, 9)} {MISSILE_WORDS[plan.missile_type]}",
                 count),)
    if rng.random() < 0.2:
        missiles += (("cruise", "", rng.randint(1, 4)),)
    has_time = rng.random() < 0.7
    time = f"{rng.randint(0, 23):02d}:{rng.choice((0, 5, 7, 12, 20, 30, 41, 50)):02d}" if has_time else ""
    timezone = launcher.timezone if launcher.timezone != "Asia/Seoul" or rng.random() < 0.2 else ""
    coordinates = (round(rng.uniform(-10, 60), 2), round(rng.uniform(100, 180), 2)) if rng.random() < 0.4 else None
    outcome = rng.choices(("success", "failure", "unknown"), (40, 15, 45))[0]
    title = f"{launcher.state.name} fires {how_many(count, MISSILE_WORDS[plan.missile_type])} {location}"
    updates = ((plan.date + dt.timedelta(days=rng.randint(1, 9)),
                rng.choice(("Added the range reported by a second source.", "Corrected the launch time.",
                            "Added statements from the following day."))),) if rng.random() < 0.05 else ()
    body = launch_body(rng, plan, reporters, responders, mentioned, facts, sources, plans,
                       long_date(plan.date), time)
    return Launch(plan.id, title, plan.date, time, timezone, location, coordinates, missiles, facts, outcome,
                  roles, tuple(source_ids), launch_tags(rng, plan, location, outcome, time, count), updates, body)


def launch_tags(rng: random.Random, plan: Plan, location: str, outcome: str, time: str, count) -> tuple[str, ...]:
    tags = ["cruise-missile" if plan.missile_type == "cruise" else "ballistic-missile"]
    tags += ["east-coast"] if "east" in location else ["west-coast"] if "west" in location else []
    tags += ["sea-launch"] if plan.missile_type == "slbm" else []
    tags += ["test-failure"] if outcome == "failure" else []
    tags += ["night-launch"] if time and (time < "06:00" or time >= "21:00") else []
    tags += ["salvo"] if count and count > 1 else []
    if rng.random() < 0.4:
        tags.append(rng.choice(("nuclear-weapons", "diplomacy", "sanctions", "joint-drills")))
    return tuple(dict.fromkeys(tags))


def launch_body(rng: random.Random, plan: Plan, reporters: list[Actor], responders: list[Actor],
                mentioned: list[Actor], facts, sources: list[Source], plans: list[Plan],
                day: str, time: str) -> str:
    """A lead, then one to four of: responses with a quote, a list, context, background."""
    reporter = actor_link(reporters[0])
    when = f"at {time} local time on {day}" if time else f"on {day}"
    lead = rng.choice(LEAD).format(launcher=actor_link(plan.launcher.state), missile=how_many(1, MISSILE_WORDS[plan.missile_type]), location=f"from near {plan.site}", when=when, When=when[0].upper() + when[1:],
        reporter=reporter)
    measured = [FACT_SENTENCES[name].format(fact_phrase(name, reports),
                                            ", depending on the account" if len(reports) > 1 else "")
                for name, reports in facts if name in FACT_SENTENCES]
    paragraphs = [" ".join([lead] + measured + rng.sample(FILLER, rng.randint(1, 2)))]
    extra = rng.sample(("response", "list", "context", "background"), rng.randint(1, 4))
    for kind in extra:
        if kind == "response" and responders:
            who = rng.choice(responders)
            text = rng.choice(RESPONSE).format(responder=actor_link(who), judgement=rng.choice(JUDGEMENTS),
                                               action=rng.choice(ACTIONS), action_past=rng.choice(ACTIONS_PAST))
            quote = f'\n\n> "{rng.choice(QUOTES)}"\n\n{who.name.split()[-1]} added that *no decision* had been taken on further steps.'
            paragraphs.append(text + (quote if rng.random() < 0.6 else " " + rng.choice(FILLER)))
        elif kind == "list":
            items = "\n".join(f"- {item}" for item in rng.sample(CHECKLIST, rng.randint(2, 4)))
            paragraphs.append(rng.choice(CHECKLIST_INTROS).format(reporter=reporter) + "\n\n" + items)
        elif kind == "context":
            source = rng.choice(sources)
            text = f"[{source.outlet}](source:{source.id}) reported the launch the same day."
            if plan.previous is not None:
                previous = plans[plan.previous]
                days = (plan.date - previous.date).days
                text = rng.choice(CONTEXT).format(days=days, prev=f"launch:{previous.id}") + " " + text
            if mentioned:
                text += f" The report also mentions {actor_link(rng.choice(mentioned))}."
            paragraphs.append(text)
        else:
            paragraphs.append(" ".join(rng.sample(FILLER, rng.randint(3, 5))))
    return "\n\n".join(paragraphs) + "\n"


def generate(n: int, seed: int = SEED) -> Corpus:
    """The corpus of N launches; the same (n, seed) always gives the same corpus."""
    rng = random.Random(seed)
    actors, agencies = make_actors(rng, max(3, min(30, n // 30)))
    launchers = make_launchers(rng, actors)
    plans = plan_launches(rng, n, launchers)
    covers = cover(rng, plans)
    sources = make_sources(rng, plans, covers, agencies)
    cited: list[list[Source]] = [[] for _ in plans]
    for source, covered in zip(sources, covers):
        for i in covered:
            cited[i].append(source)
    in_year: Counter = Counter()
    launches = []
    for plan in plans:
        in_year[(plan.launcher.state.id, plan.date.year)] += 1
        launches.append(make_launch(rng, plan, cited[plan.index], plans,
                                    in_year[(plan.launcher.state.id, plan.date.year)]))
    return Corpus(f"Benchmark Digest ({n:,} launches)", tuple(actors), tuple(sources), tuple(launches))


# --- writing -----------------------------------------------------------------


def site_yaml(corpus: Corpus) -> str:
    return (f"title: {q(corpus.title)}\n"
            f"description: {q(MARKER + ' of invented launches, sources and actors, for speed measurements.')}\n"
            "base_url: https://bench.example/\nlanguage: en\ntimezone: Asia/Seoul\nvocabularies:\n"
            f"  missile_types: [{', '.join(MISSILE_TYPES)}]\n  roles: [{', '.join(ROLES)}]\n"
            f"  tags: [{', '.join(TAGS)}]\n")


def actor_file(actor: Actor) -> tuple[str, str]:
    """(file name, text) of an actor: YAML with a description, or Markdown with a body."""
    lines = [f"name: {q(actor.name)}", f"kind: {actor.kind}"]
    lines += [f"title: {q(actor.title)}"] if actor.title else []
    lines += [f"country: {actor.country}"] if actor.country else []
    lines += [f"aliases: [{', '.join(q(a) for a in actor.aliases)}]"] if actor.aliases else []
    if actor.body:
        return f"{actor.id}.md", "---\n" + "\n".join(lines) + "\n---\n" + actor.body
    return f"{actor.id}.yaml", "\n".join(lines + [f"description: {q(actor.description)}"]) + "\n"


def report_yaml(report: Report) -> str:
    if report.bare:
        return num(report.value)
    parts = [f"value: {num(report.value)}"] if report.value is not None else [
        f"min: {num(report.minimum)}", f"max: {num(report.maximum)}"]
    parts += ["approx: true"] if report.approx else []
    parts += [f"per: {report.per}"] if report.per else []
    parts += [f"source: {report.source}"] if report.source else []
    return "{" + ", ".join(parts) + "}"


def updates_yaml(updates: tuple[tuple[dt.date, str], ...]) -> list[str]:
    return ["updates:"] + [f"  - {{date: {d.isoformat()}, note: {q(note)}}}" for d, note in updates] if updates else []


def launch_file(launch: Launch) -> str:
    lines = [f"title: {q(launch.title)}", f"date: {launch.date.isoformat()}"]
    lines += [f'time: "{launch.time}"'] if launch.time else []
    lines += [f"timezone: {launch.timezone}"] if launch.timezone else []
    lines += [f"location: {q(launch.location)}"]
    lines += [f"coordinates: [{launch.coordinates[0]}, {launch.coordinates[1]}]"] if launch.coordinates else []
    lines += ["missiles:"] + [
        "  - {" + ", ".join([f"type: {t}"] + ([f"name: {q(name)}"] if name else []) +
                            ([f"count: {c}"] if c else [])) + "}" for t, name, c in launch.missiles]
    for name, reports in launch.facts:
        if len(reports) == 1:
            lines.append(f"{name}: {report_yaml(reports[0])}")
        else:
            lines += [f"{name}:"] + [f"  - {report_yaml(r)}" for r in reports]
    lines += [f"outcome: {launch.outcome}", "actors:"]
    lines += [f"  - {{id: {ident}, role: {role}}}" for ident, role in launch.actors]
    lines += [f"sources: [{', '.join(launch.sources)}]", f"tags: [{', '.join(launch.tags)}]"]
    lines += updates_yaml(launch.updates)
    return "---\n" + "\n".join(lines) + "\n---\n" + launch.body


def source_file(source: Source) -> str:
    lines = [f"title: {q(source.title)}", f"outlet: {q(source.outlet)}",
             f"authors: [{', '.join(q(a) for a in source.authors)}]"]
    lines += [f"contributors: [{', '.join(source.contributors)}]"] if source.contributors else []
    lines += [f"published: {source.published.isoformat()}"]
    lines += [f"updated: {source.updated.isoformat()}"] if source.updated else []
    lines += [f"url: {q(source.url)}"] if source.url else []
    lines += ["language: en"]
    if source.quotes:
        lines.append("quotes:")
        for quote in source.quotes:
            lines += [f"  - speaker: {quote.speaker}", f"    text: {q(quote.text)}"]
            lines += [f"    context: {q(quote.context)}"] if quote.context else []
    lines += updates_yaml(source.updates)
    return "---\n" + "\n".join(lines) + "\n---\n" + source.body


def write_corpus(corpus: Corpus, out: Path) -> int:
    """Write the corpus as a content directory; return the number of files written."""
    files = {"site.yaml": site_yaml(corpus)}
    for actor in corpus.actors:
        name, text = actor_file(actor)
        files[f"actors/{name}"] = text
    files.update({f"sources/{s.id}.md": source_file(s) for s in corpus.sources})
    files.update({f"launches/{launch.id}.md": launch_file(launch) for launch in corpus.launches})
    for folder in ("actors", "sources", "launches"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_bytes(text.encode("utf-8"))
    return len(files)


def prepare(out: Path, force: bool) -> None:
    """Refuse to write into a folder that holds anything but an earlier benchmark corpus."""
    if not out.exists() or not any(out.iterdir()):
        return
    site = out / "site.yaml"
    if force and site.is_file() and MARKER in site.read_text(encoding="utf-8"):
        for folder in ("actors", "sources", "launches"):
            shutil.rmtree(out / folder, ignore_errors=True)
        return
    raise SystemExit(f"corpus: {out} is not empty" + ("" if force else "; pass --force to replace an old corpus"))


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("n", type=int, help="number of launches")
    args.add_argument("out", type=Path, help="content directory to create")
    args.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args.add_argument("--force", action="store_true", help="replace an earlier benchmark corpus in OUT")
    options = args.parse_args(argv)
    if options.n < 1:
        args.error("N must be at least 1")
    prepare(options.out, options.force)
    corpus = generate(options.n, options.seed)
    count = write_corpus(corpus, options.out)
    print(f"{count} files: {len(corpus.launches)} launches, {len(corpus.sources)} sources, "
          f"{len(corpus.actors)} actors in {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
