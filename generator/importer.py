"""`digest import`: the plain text of a pasted article -> a draft source file.

Reads what the text says about itself (headline, byline, dates, dateline,
outlet, contributing agencies) and the quotes it attributes, and matches the
names it finds against the site's actors. Only short quotes are kept; the
summary is left as a placeholder for the editor to write.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import dateparser

from .load import load_content
from .model import Actor
from .scaffold import QuoteDraft, SourceDraft
from .validate import validate

# --- patterns ---

MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
         r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# A full date: "January 5, 2022", "Jan. 5 2022", "5 January 2022", "2022-01-05", "2030/01/05".
DATE_RE = re.compile(
    rf"(?<![\w/.-])(?:{MONTH}\.?\s+{DAY},?\s+\d{{4}}|{DAY}\s+{MONTH}\.?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{4}}/\d{{1,2}}/\d{{1,2}})(?!\d)")
UPDATED_LABEL_RE = re.compile(r"updat|modif|revis|edited", re.I)
TIME_RE = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:[aApP]\.?[mM]\.?)?|\b(?:GMT|UTC)(?:[+-]\d{1,2})?|\b[A-Z]{2,4}T\b")
WEEKDAY_RE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?", re.I)
DATE_LABEL_WORDS = {"published", "updated", "posted", "last", "modified", "originally", "on", "at", "date",
                    "revised", "first", "|", "-", "·", "—"}

# "SEOUL, South Korea (AP) —", "TOKYO, March 5 (Reuters) -", "date 2022-05-04 (Newser) –", "WASHINGTON —"
DATELINE_RE = re.compile(
    rf"^\s*(?:date\s+(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\s+)?"
    rf"(?P<place>[A-Z][A-Z.'\- ]*[A-Z.](?:,\s*(?!{MONTH}\b)[A-Z][\w.'\-]*(?:\s[A-Z][\w.'\-]*)*)?)?"
    rf"(?:,\s*(?P<md>{MONTH}\.?\s+\d{{1,2}}))?"
    rf"\s*(?:\((?P<agency>[^()]{{2,40}})\))?\s*(?:—|–|--|-)\s+(?=\S)")

BYLINE_RE = re.compile(r"^(?:by|written by|words by|story by)\s+(?P<names>.+)$", re.I)
CREDITS_RE = re.compile(r"^(?:additional\s+)?(?:reporting|writing)\s+by\s+(?P<names>.+)$", re.I)
NAME_RE = re.compile(r"^[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){1,4}$")
NAME_IN_TEXT_RE = re.compile(r"[A-Z][a-z'’]+(?:-[a-z]+)?(?:\s+[A-Z][a-z'’]+(?:-[a-z]+)?){1,3}")
OUTLET = r"(?P<outlet>(?:The\s+)?[A-Z][\w&'’.\-]*(?:\s+(?:of\s+)?[A-Z][\w&'’.\-]*){0,5})"
OUTLET_RES = (
    re.compile(rf"\bis\s+an?\b[^.]*?\b(?:writer|reporter|correspondent|editor|journalist|contributor|news)\b"
               rf"[^.]*?\b(?:for|at|with)\s+{OUTLET}"),
    re.compile(rf"\b(?:originally\s+(?:appeared|published|ran)|first\s+(?:appeared|published))\s+(?:on|in|by|at)\s+{OUTLET}",
               re.I),
    re.compile(rf"^(?:©|\(c\)|copyright)\s*(?:©\s*)?\d{{4}}\s+{OUTLET}", re.I),
)
STAFF_RE = re.compile(r"^(?P<outlet>[A-Z][\w&'’.\- ]+?)\s+Staff$")
AGENCY_WORD = r"[A-Z][\w&'’\-]*(?:\.(?=\w)[\w&'’\-]*)*"  # "AP", "U.S", not a sentence's full stop
AGENCY = rf"(?P<agency>(?:The\s+)?{AGENCY_WORD}(?:\s+{AGENCY_WORD}){{0,4}})"
AGENCY_RES = (
    re.compile(rf"{AGENCY}\s+contributed\b"),
    re.compile(rf"\b(?:per|[Aa]ccording to|via|citing)\s+(?:the\s+)?{AGENCY}"),
)
AGENCY_WORDS_RE = re.compile(r"\b(?:Press|News|Agency|Wire|Service|Reuters|AFP|AP|Yonhap|Kyodo|Xinhua|Bloomberg)\b")
URL_RE = re.compile(r"^(?:(?:url|link|source):\s*)?(https?://\S+?)[)\].,]?$", re.I)
NOISE_RE = re.compile(
    r"^(?:advertisement|skip to (?:main )?content|menu|share(?: this(?: article| story)?)?|listen to this article.*"
    r"|story continues below.*|sign up.*|subscribe.*|read more.*|related:.*|recommended.*|\(ap photo.*"
    r"|(?:photo|image|video)(?: credit)?:.*|advertisement.*|.*\bap photo/.*|\(end\)|end)$", re.I)

SPEECH = r"said|says|told|added|wrote|stated|declared|explained|warned|noted|insisted|asked|replied|continued|tweeted|posted"
FRAGMENT_VERBS = SPEECH + (r"|vowed|vows|pledged|pledges|promised|called|calls|described|reiterated|urged|spoke"
                           r"|emphasizing|emphasising|threatened|claimed|claims|insists|warns|announced")
AFTER_VERB_FIRST_RE = re.compile(
    rf"^\s*,?\s*(?:{SPEECH})\s+(?P<who>(?:[A-Z]|(?:the|a|an|one|another)\s)[^,.;:!?\"“”]*)")
AFTER_SUBJECT_FIRST_RE = re.compile(
    rf"^\s*,?\s*(?P<who>[^.!?\"“”]{{1,80}}?)\s+(?:has\s+|had\s+|have\s+)?(?:{SPEECH})\b")
BEFORE_RE = re.compile(rf"(?P<who>[^.!?\"“”]{{1,120}}?)\s+(?:has\s+|had\s+)?(?:{SPEECH})(?:\s+\w+){{0,3}}\s*[:,]\s*$")
FRAGMENT_VERB_RE = re.compile(rf"\b(?:{FRAGMENT_VERBS})\b")
# A name right after one of these is an object ("peace with North Korea"), not the speaker.
OBJECT_RE = re.compile(r"\b(?:with|to|toward|towards|against|of|on|from|at|in|into|for|about|over|than)\s+(?:the\s+)?\Z")
QUOTE_RE = re.compile(r"“(?P<a>[^“”\n]{2,}?)”|\"(?P<b>[^\"\n]{2,}?)\"")
SENTENCE_END_RE = re.compile(r"(?<![A-Z])[.!?][\"”’)]?\s+(?=[\"“A-Z])")
TITLES = {"president", "prime", "minister", "foreign", "defense", "defence", "captain", "general", "colonel",
          "major", "lieutenant", "admiral", "sergeant", "dr", "mr", "mrs", "ms", "professor", "senator",
          "governor", "mayor", "chief", "secretary", "spokesperson", "spokesman", "spokeswoman", "leader", "king",
          "queen", "chairman", "chairwoman", "ambassador", "commander", "premier", "deputy", "vice"}
PRONOUNS = {"he": "person", "she": "person", "it": "body"}
DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "one", "another", "that", "this"}
FRAGMENT_MIN_WORDS = 3
BYLINE_MAX_WORDS = 12
HEADER_LABEL_WORDS = 6  # shorter lines without a full stop above the first paragraph are page furniture
OUTLET_LINE_MAX_WORDS = 40
# How sure a hint about the outlet is: a byline beats an author's note, which beats a dateline credit.
OUTLET_RANKS = {"byline": 0, "note": 1, "staff": 2, "dateline": 3}


# --- what the text says, and what the site knows ---


@dataclass(frozen=True)
class Article:
    """The metadata a pasted article gives about itself, names as written."""

    title: str | None = None
    outlet: str | None = None
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    updated: dt.date | None = None
    dateline: str | None = None  # the place, e.g. "SEOUL, South Korea"
    agencies: tuple[str, ...] = ()  # contributing agencies as named
    url: str | None = None
    lead: str = ""  # the first words of the text, for a file name when there is no title


@dataclass(frozen=True)
class Cast:
    """The site's actors, indexed for finding them by name in running text."""

    actors: dict[str, Actor]
    keys: dict[str, str]  # a name as it appears in text -> actor id
    pattern: re.Pattern | None
    outlets: tuple[str, ...]  # outlets of the site's existing sources, as spelled there


@dataclass(frozen=True)
class Imported:
    """The draft file and the report of what was found and what was not."""

    article: Article
    draft: SourceDraft | None  # None without the outlet or date that the file name needs
    contributors: tuple[str, ...]  # actor ids
    quotes: tuple[QuoteDraft, ...]
    missing: tuple[str, ...]
    unknown_speakers: tuple[str, ...]
    unknown_agencies: tuple[str, ...]


def load_cast(content_dir: Path) -> Cast:
    """The actors (and source outlets) of the site, even if other files have problems."""
    validated = validate(load_content(content_dir))
    return make_cast(validated.actors, tuple(sorted({s.outlet for s in validated.sources})))


def make_cast(actors: list[Actor], outlets: tuple[str, ...] = ()) -> Cast:
    """Index actors by name, aliases, a person's single names, and a body's name without its owner."""
    by_id = {a.id: a for a in sorted(actors, key=lambda a: a.id)}
    full: dict[str, str] = {}  # names and aliases: the first actor (by id) keeps a shared one
    partial: dict[str, set[str]] = {}  # single names and names without their owner; dropped if shared
    for actor in by_id.values():
        for name in (actor.name, *actor.aliases):
            full.setdefault(normalize(name).strip(), actor.id)
        if actor.kind == "person":
            parts = [t for t in normalize(actor.name).split() if len(t) >= 3 and t.lower() not in TITLES]
        else:
            tail = normalize(actor.name).split("'s ", 1)[1] if "'s " in normalize(actor.name) else ""
            parts = [tail] if len(tail.split()) >= 2 else []
        for part in parts:
            partial.setdefault(part, set()).add(actor.id)
    keys = {key: ids.pop() for key, ids in partial.items() if len(ids) == 1}
    keys.update(full)
    keys = {key: ident for key, ident in keys.items() if len(key) >= 2}
    alternatives = sorted(keys, key=lambda k: (-len(k), k))
    pattern = re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, alternatives)) + r")(?![\w])") if keys else None
    return Cast(by_id, keys, pattern, outlets)


# --- text helpers ---


def normalize(text: str) -> str:
    """One spelling for apostrophes and spaces; no invisible characters."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    text = re.sub(r"[\u00a0\u2007\u202f]", " ", text)
    return re.sub(r"[\u200b-\u200d\ufeff]", "", text)


def clean_lines(text: str) -> list[str]:
    lines = [re.sub(r"\s+", " ", line).strip() for line in normalize(text).splitlines()]
    return [line for line in lines if line and not NOISE_RE.match(line)]


def words(text: str) -> list[str]:
    return text.split()


def person_name(text: str) -> str | None:
    """A byline part as a name ("MARA QUILL" -> "Mara Quill"), or None if it is not one."""
    text = re.sub(r"\s+in\s+[A-Z][\w ]*$", "", text.strip(" .;:|"))  # "Piet Ardo in Elsin"
    if text.isupper():
        text = string.capwords(text.lower())
    return text if NAME_RE.match(text) and not re.search(r"\d", text) else None


def parse_date(text: str) -> dt.date | None:
    """A date written out in full (day, month and year), else None."""
    text = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text).replace("Sept.", "Sep.")
    order = "YMD" if re.match(r"\d{4}", text) else None
    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "STRICT_PARSING": True,
                "RELATIVE_BASE": dt.datetime(2000, 1, 1)}  # never the clock
    if order:
        settings["DATE_ORDER"] = order
    found = dateparser.parse(text, languages=["en"], settings=settings)
    return found.date() if found else None


# --- the header: title, byline, dates, outlet ---


@dataclass
class Reading:
    """What has been found so far while reading the lines (local to one import)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    outlets: list[tuple[int, str]] = field(default_factory=list)  # (rank, name), see OUTLET_RANKS
    published: dt.date | None = None
    updated: dt.date | None = None
    url: str | None = None

    def claim_outlet(self, how: str, name: str) -> None:
        self.outlets.append((OUTLET_RANKS[how], name))

    def outlet(self) -> str | None:
        return min(self.outlets, key=lambda o: o[0])[1] if self.outlets else None


def read_article(text: str, cast: Cast) -> tuple[Article, list[str]]:
    """The article's metadata, and its body paragraphs (the lines that are not metadata)."""
    lines = clean_lines(text)
    found = Reading()
    body: list[str] = []
    dateline = agency = None
    for index, line in enumerate(lines):
        if found.url is None and " " not in line and URL_RE.match(line):
            found.url = URL_RE.match(line)[1]
        elif read_byline(line, found, cast):
            read_dates(line, found)
        elif read_outlet_line(line, found):
            pass
        elif line in found.authors:
            pass  # a byline repeated by the page layout
        elif is_date_line(line):
            read_dates(line, found)
        elif not body and found.title is None and is_title(line):
            found.title = line
            after = next_line(lines, index)
            name = person_name(after) if after and not BYLINE_RE.match(after) else None
            if name and not found.authors and name not in cast.keys and not STAFF_RE.match(after):
                found.authors.append(name)  # a byline without "By", right under the headline
        elif not body and (len(words(line)) < HEADER_LABEL_WORDS and not re.search(r"[.!?\"”]$", line)):
            pass  # menus, section labels, "Updated 2 hours ago": page furniture above the article
        else:
            match = DATELINE_RE.match(line) if not body else None
            if match and (match["place"] or match["agency"]):
                dateline, agency = match["place"], match["agency"]
                found.published = found.published or (parse_date(match["iso"]) if match["iso"] else None)
                line = line[match.end():]
            body.append(line)
    if agency:
        found.claim_outlet("dateline", agency)
    updated = found.updated if found.updated and (not found.published or found.updated >= found.published) else None
    article = Article(
        title=found.title, outlet=found.outlet(), authors=tuple(dict.fromkeys(found.authors)),
        published=found.published, updated=updated, dateline=dateline, agencies=find_agencies(lines, agency),
        url=found.url, lead=" ".join(words(body[0])[:12]) if body else "")
    return article, body


def next_line(lines: list[str], index: int) -> str | None:
    return lines[index + 1] if index + 1 < len(lines) else None


def is_title(line: str) -> bool:
    count = len(words(line))
    return 3 <= count <= 30 and not re.search(r"[.:;,]$", line) and not DATELINE_RE.match(line)


def is_date_line(line: str) -> bool:
    """A line that is a date with labels and times around it, not a sentence that mentions one."""
    if not DATE_RE.search(line):
        return False
    rest = TIME_RE.sub(" ", WEEKDAY_RE.sub(" ", DATE_RE.sub(" ", line)))
    rest_words = [w for w in re.split(r"[\s:|·]+", rest.lower()) if w and w not in DATE_LABEL_WORDS]
    return len(rest_words) <= 2


def read_dates(line: str, found: Reading) -> None:
    """Published and updated dates from a line, told apart by the words before each."""
    start = 0
    for match in DATE_RE.finditer(line):
        label, start = line[start:match.start()], match.end()
        date = parse_date(match[0])
        if date is None:
            continue
        if UPDATED_LABEL_RE.search(label):
            found.updated = found.updated or date
        elif found.published is None:
            found.published = date


def read_byline(line: str, found: Reading, cast: Cast) -> bool:
    """Authors (and an outlet named beside them) from "By ..." or "Reporting by ..." lines."""
    match = BYLINE_RE.match(line)
    credits = [m for part in line.split(";") if (m := CREDITS_RE.match(part.strip()))]
    if not (match and len(words(line)) <= BYLINE_MAX_WORDS) and not credits:
        return False
    groups = [m["names"] for m in credits] if credits else [match["names"]]
    for names in groups:
        names = re.sub(rf"\s+on\s+(?:\w+,?\s+)?(?:{DAY}\s+)?{MONTH}.*$|\s+on\s+\d.*$", "", names)  # "... on 5 March 2030"
        names, _, outlet = names.partition("|")
        if outlet.strip():
            found.claim_outlet("byline", outlet.strip())
        for part in re.split(r",|\s+and\s+|\s*&\s*", names):
            part = part.strip()
            if not part:
                continue
            if AGENCY_WORDS_RE.search(part) or part.endswith(" Staff") or normalize(part) in cast.keys:
                found.claim_outlet("byline", re.sub(r"\s+Staff$", "", part))
                continue
            name = person_name(part)
            if name:
                found.authors.append(name)
    return True


def read_outlet_line(line: str, found: Reading) -> bool:
    """An author's note, a copyright line or "originally appeared on ...": an outlet."""
    if len(words(line)) > OUTLET_LINE_MAX_WORDS:
        return False
    for pattern in OUTLET_RES:
        match = pattern.search(line)
        if match:
            found.claim_outlet("note", clean_outlet(match["outlet"]))
            return True
    match = STAFF_RE.match(line)
    if match and len(words(line)) <= 5:
        found.claim_outlet("staff", match["outlet"])
        return True
    return False


def clean_outlet(name: str) -> str:
    return re.sub(r"\s+(?:All|Inc|LLC|Ltd)\b.*$", "", name).strip(" .,;")


def find_agencies(lines: list[str], dateline_agency: str | None) -> tuple[str, ...]:
    """Agencies the text credits: "X contributed to this report", "per the AP", "according to X"."""
    named: list[str] = []
    for line in lines:
        for pattern in AGENCY_RES:
            for match in pattern.finditer(line):
                named.append(re.sub(r"^The\s+", "", match["agency"]).strip(" .,"))
    if dateline_agency:
        named.append(dateline_agency)
    return tuple(dict.fromkeys(named))


# --- quotes and speakers ---


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    actor: str | None  # a known actor id, or None for a person named only in the text
    name: str


def mentions(text: str, cast: Cast) -> list[Mention]:
    if cast.pattern is None:
        return []
    return [Mention(m.start(), m.end(), cast.keys[m[0]], m[0]) for m in cast.pattern.finditer(text)]


def find_quotes(paragraphs: list[str], cast: Cast) -> list[QuoteDraft]:
    """Quoted words with the speaker the text gives them; fragments only with a speech verb."""
    text = "\n".join(paragraphs)
    known = mentions(text, cast)
    quotes: list[QuoteDraft] = []
    previous: tuple[int, QuoteDraft] | None = None  # the last quote and where it ended
    for match in QUOTE_RE.finditer(text):
        said = (match["a"] or match["b"]).strip()
        same_paragraph = previous if previous and "\n" not in text[previous[0]:match.start()] else None
        quote = attribute(text, match.start(), match.end(), said, known, quotes, cast,
                          same_paragraph[1] if same_paragraph else None)
        if quote:
            quotes.append(quote)
            previous = (match.end(), quote)
    return dedupe(quotes)


def attribute(text: str, start: int, end: int, said: str, known: list[Mention], earlier: list[QuoteDraft],
              cast: Cast, previous: QuoteDraft | None) -> QuoteDraft | None:
    """The speaker of one quote: named beside it, or the subject of a speech verb in its sentence."""
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text, 0, start + 1) if m.end() <= start]
    sentence_start = max([text.rfind("\n", 0, start) + 1, *ends])
    before, after = text[sentence_start:start], text[end:]
    after = after[: (SENTENCE_END_RE.search(after).start() + 1) if SENTENCE_END_RE.search(after) else None]
    after = after.split("\n", 1)[0]
    clean = said.rstrip(",").strip()
    full = bool(re.search(r"[.,?!]$", said)) or after.startswith(",")  # a statement, not a phrase in a sentence
    for pattern in (AFTER_VERB_FIRST_RE, AFTER_SUBJECT_FIRST_RE):
        match = pattern.match(after)
        if match and full:
            return speaker(match["who"], end + match.start("who"), clean, text, known, earlier, cast)
    match = BEFORE_RE.search(before)
    if match:
        return speaker(match["who"], sentence_start + match.start("who"), clean, text, known, earlier, cast)
    if previous and not before.strip() and full:
        return replace(previous, text=clean)  # the same speaker goes on in the same paragraph
    if len(words(clean)) < FRAGMENT_MIN_WORDS:
        return None
    verbs = list(FRAGMENT_VERB_RE.finditer(before))
    if not verbs:
        return None
    verb_at = sentence_start + verbs[-1].start()
    subject = text[sentence_start:verb_at]
    return subject_speaker(subject, sentence_start, clean, text, known, earlier, cast)


def subject_speaker(subject: str, at: int, said: str, text: str, known: list[Mention], earlier: list[QuoteDraft],
                    cast: Cast) -> QuoteDraft | None:
    """The speaker nearest before the verb: a known actor, a pronoun, or a name."""
    inside = [m for m in known if at <= m.start and m.end <= at + len(subject)
              and not OBJECT_RE.search(text, 0, m.start)]
    pronoun = list(re.finditer(r"\b(?:he|she)\b", subject))
    name = list(NAME_IN_TEXT_RE.finditer(subject))
    candidates = [(m.start - at, "actor", m) for m in inside] + [(p.start(), "pronoun", p) for p in pronoun]
    if not candidates and name:
        candidates = [(n.start(), "name", n) for n in name if not n[0].split()[0].lower() in DETERMINERS]
    if not candidates:
        return None
    _, kind, last = max(candidates, key=lambda c: c[0])
    said = said.rstrip(".,;")  # a phrase taken from a sentence
    if kind == "actor":
        return QuoteDraft(last.actor, said, last.name)
    return speaker(last[0], at + last.start(), said, text, known, earlier, cast)


def speaker(who: str, at: int, said: str, text: str, known: list[Mention], earlier: list[QuoteDraft],
            cast: Cast) -> QuoteDraft:
    """Resolve the words naming a speaker to an actor id, or keep them as a name for the editor."""
    who = re.split(r",\s*|\s+who\s+|\s+(?:in|at|on|during)\s+(?:a|an|the|his|her|its)\s", who.strip())[0].strip()
    inside = [m for m in known if at <= m.start < at + len(who) + 1]
    if inside:
        persons = [m for m in inside if cast.actors[m.actor].kind == "person"]
        chosen = persons[0] if persons else inside[-1]
        return QuoteDraft(chosen.actor, said, chosen.name)
    lowered = who.lower()
    if lowered in PRONOUNS:
        return pronoun_speaker(lowered, at, said, known, earlier, cast)
    nominal = [w for w in re.findall(r"[a-z]+", lowered) if w not in DETERMINERS]
    if who[:1].islower() and nominal:
        for mention in reversed([m for m in known if m.end <= at]):
            actor_words = set(re.findall(r"[a-z]+", cast.actors[mention.actor].name.lower()))
            if set(nominal) <= actor_words:
                return QuoteDraft(mention.actor, said, who)
    name = NAME_IN_TEXT_RE.search(who)
    if name:
        tokens = [t for t in name[0].split() if t.lower().strip(".") not in TITLES]
        if tokens:
            return QuoteDraft(None, said, " ".join(tokens))
    return QuoteDraft(None, said, who)


def pronoun_speaker(pronoun: str, at: int, said: str, known: list[Mention], earlier: list[QuoteDraft],
                    cast: Cast) -> QuoteDraft:
    """"he said": the person named last before the quote (an actor, or an earlier unknown speaker)."""
    wanted_person = PRONOUNS[pronoun] == "person"
    for mention in reversed([m for m in known if m.end <= at]):
        if (cast.actors[mention.actor].kind == "person") == wanted_person:
            last_known = mention
            break
    else:
        last_known = None
    unknown = [q for q in earlier if q.speaker is None and q.named[:1].isupper()] if wanted_person else []
    if unknown and (last_known is None or unknown[-1] is earlier[-1]):
        return QuoteDraft(None, said, unknown[-1].named)
    if last_known:
        return QuoteDraft(last_known.actor, said, last_known.name)
    return QuoteDraft(None, said, pronoun)


def dedupe(quotes: list[QuoteDraft]) -> list[QuoteDraft]:
    """Drop a quote whose words are inside a longer one by the same speaker."""
    kept: list[QuoteDraft] = []
    for quote in quotes:
        key = quote.text.lower().strip(" .,")
        if any(key in other.text.lower() and (other.speaker or other.named) == (quote.speaker or quote.named)
               for other in quotes if other is not quote and len(other.text) > len(quote.text)):
            continue
        if any(key == k.text.lower().strip(" .,") for k in kept):
            continue
        kept.append(quote)
    return kept


# --- putting it together ---


def canonical_outlet(name: str | None, cast: Cast) -> str | None:
    """An outlet as the site spells it: an agency actor's name, or an existing source's outlet."""
    if not name:
        return None
    bare = re.sub(r"^the\s+", "", normalize(name), flags=re.I).lower()
    for outlet in cast.outlets:
        if re.sub(r"^the\s+", "", normalize(outlet), flags=re.I).lower() == bare:
            return outlet
    ident = actor_for(name, cast)
    return cast.actors[ident].name if ident else name


def actor_for(name: str, cast: Cast) -> str | None:
    name = normalize(name).strip()
    for candidate in (name, re.sub(r"^the\s+", "", name, flags=re.I), "The " + name):
        if candidate in cast.keys:
            return cast.keys[candidate]
    return None


def import_article(text: str, cast: Cast, title: str | None = None, outlet: str | None = None,
                   published: dt.date | None = None, url: str | None = None) -> Imported:
    """Read a pasted article; values passed in win over what the text says."""
    article, body = read_article(text, cast)
    article = replace(article, title=title or article.title, url=url or article.url,
                      outlet=canonical_outlet(outlet or article.outlet, cast),
                      published=published or article.published)
    outlet_actor = actor_for(article.outlet, cast) if article.outlet else None
    contributors, unknown_agencies = [], []
    for agency in article.agencies:
        ident = actor_for(agency, cast)
        if ident and ident != outlet_actor and cast.actors[ident].kind == "organization":
            contributors.append(ident)
        elif not ident and AGENCY_WORDS_RE.search(agency) and canonical_outlet(agency, cast) != article.outlet:
            unknown_agencies.append(agency)
    quotes = find_quotes(body, cast)
    missing = tuple(name for name, value in (
        ("title", article.title), ("outlet", article.outlet), ("authors", article.authors),
        ("published", article.published), ("url", article.url)) if not value)
    notes = tuple(note for note in (
        "Imported from pasted text: check every value against the article.",
        f"Dateline: {article.dateline}" if article.dateline else "",
        f"Agencies named but not among the actors: {', '.join(unknown_agencies)}" if unknown_agencies else "",
    ) if note)
    draft = SourceDraft(
        title=article.title, outlet=article.outlet, published=article.published,
        updated=article.updated if article.updated and article.updated >= article.published else None,
        authors=article.authors, url=article.url, contributors=tuple(dict.fromkeys(contributors)),
        quotes=tuple(quotes), notes=notes, slug_hint=article.lead) if article.outlet and article.published else None
    unknown_speakers = tuple(dict.fromkeys(q.named for q in quotes if q.speaker is None))
    return Imported(article, draft, tuple(dict.fromkeys(contributors)), tuple(quotes), missing, unknown_speakers,
                    tuple(unknown_agencies))


def report(result: Imported) -> str:
    """What the import found, what it could not find, and who the editor still has to add."""
    a = result.article
    found = [f"{name} ({value})" for name, value in (
        ("title", a.title), ("outlet", a.outlet), ("authors", ", ".join(a.authors)),
        ("published", a.published), ("updated", a.updated), ("dateline", a.dateline),
        ("contributors", ", ".join(result.contributors)), ("url", a.url)) if value]
    known = sum(1 for q in result.quotes if q.speaker)
    lines = [f"Found: {'; '.join(found) or 'nothing'}.",
             f"Quotes: {known} by known actors, {len(result.quotes) - known} by speakers who are not actors yet."]
    if result.missing:
        lines.append(f"Could not find: {', '.join(result.missing)}.")
    if result.unknown_speakers:
        lines.append("Unknown speakers (add them with `digest new actor`, then move their quotes up): "
                     + "; ".join(result.unknown_speakers) + ".")
    if result.unknown_agencies:
        lines.append(f"Agencies named but not among the actors: {', '.join(result.unknown_agencies)}.")
    return "\n".join(lines)
