"""Markdown -> HTML for record bodies, with one reused converter.

Raw HTML in content is escaped, not passed through, and links are limited to
http/https and the record schemes (`launch:`, `actor:`, `source:`), which are
rewritten to relative URLs by the resolver the caller gives.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from typing import Callable

import markdown
from markdown import util
from markdown.extensions import smarty
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.inlinepatterns import LinkInlineProcessor
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import InlineProcessor, Treeprocessor, UnescapeTreeprocessor
from markdown.util import AtomicString

from .validate import RECORD_SCHEMES, SCHEME_RE, WEB_SCHEMES

Resolver = Callable[[str, str], str]  # (kind, id) -> URL relative to the current page


class _LinkRewriter(Treeprocessor):
    resolve: Resolver | None = None

    def run(self, root):
        for element, attribute in [(a, "href") for a in root.iter("a")] + [(i, "src") for i in root.iter("img")]:
            target = element.get(attribute, "")
            scheme = SCHEME_RE.match(target)
            if not scheme:
                continue
            name = scheme[1].lower()
            if name in RECORD_SCHEMES and self.resolve:
                ident, _, fragment = target[len(name) + 1:].partition("#")
                element.set(attribute, self.resolve(name, ident) + (f"#{fragment}" if fragment else ""))
            elif name not in WEB_SCHEMES:
                del element.attrib[attribute]  # validation reports these; never emit them


def holds_any_of(needs) -> Callable[[str], bool]:
    """Whether a text holds any of `needs`: one character class for the one-character needs, `in` for
    the longer ones that hold none of those characters. One alternation of all the needs took seven
    times as long (35 against 5 us a body of a generated site, searching every text Markdown's tree holds)."""
    ones = {need for need in needs if len(need) == 1}
    search = re.compile("[" + re.escape("".join(sorted(ones))) + "]").search if ones else lambda text: None
    longer = tuple(need for need in needs if not ones.intersection(need))

    def holds(text: str) -> bool:
        if search(text):
            return True
        for need in longer:
            if need in text:
                return True
        return False

    return holds


# What each of smarty's patterns needs in a text to change it: a quote, "--" or "...".
SMARTY_NEEDS = ("'", '"', "--", "...")
# What a text must hold for each of Markdown's inline patterns to match in it ("em_strong": one of
# its delimiters, as its `tokens` say). A text holding none of these, nor smarty's needs, nor a
# placeholder an earlier step made ("\x02...\x03"), is left as it is by all of them.
INLINE_NEEDS = {"backtick": ("`",), "escape": ("\\",), "footnote": ("[^",), "reference": ("[",), "link": ("[",),
                "image_link": ("![",), "image_reference": ("![",), "short_reference": ("[",),
                "short_image_ref": ("![",), "autolink": ("<",), "automail": ("<",), "linebreak": ("  \n",),
                "entity": ("&",), "em_strong": ("*", "_")}
PLACEHOLDER_MARKS = ("\x02", "\x03")
ANY_NEEDS = (*(need for needs in INLINE_NEEDS.values() for need in needs), *PLACEHOLDER_MARKS, *SMARTY_NEEDS)
# What a text must hold for each of smarty's patterns, by its expression, to match in it. A pattern not
# named here (another Markdown's) is tried on every text that holds one of SMARTY_NEEDS.
SMARTY_PATTERN_NEEDS = {
    r"(?<!-)---(?!-)": ("---",), r"(?<!-)--(?!-)": ("--",), r"(?<!\.)\.{3}(?!\.)": ("...",),
    **dict.fromkeys([smarty.singleQuoteStartRe, smarty.decadeAbbrRe, smarty.openingSingleQuotesRegex,
                     smarty.closingSingleQuotesRegex, smarty.closingSingleQuotesRegex2,
                     smarty.remainingSingleQuotesRegex], ("'",)),
    **dict.fromkeys([smarty.doubleQuoteStartRe, smarty.openingDoubleQuotesRegex, smarty.closingDoubleQuotesRegex,
                     smarty.closingDoubleQuotesRegex2, smarty.remainingDoubleQuotesRegex], ('"',)),
    **dict.fromkeys([smarty.doubleQuoteSetsRe, smarty.singleQuoteSetsRe2], ("\"'",)),
    **dict.fromkeys([smarty.singleQuoteSetsRe, smarty.doubleQuoteSetsRe2], ("'\"",)),
}

# What a block must hold for each of these block processors to take it. The parser offers every block
# to each in turn, and each searches or splits the whole block to see (footnotes and references in
# `run`, their `test` taking any block): ~25 us a body of a generated site (measured), whose blocks
# hold none of these but a quote's ">" or a list's "\n-" now and then.
BLOCK_NEEDS = {"hashheader": ("#",), "setextheader": ("\n=", "\n-"),
               "hr": tuple(f"{c}{gap}{c}" for c in "-_*" for gap in ("", " ", "  ")),
               "table": ("|",), "quote": (">",), "footnote": ("[^",), "reference": ("]:",)}


def tested_only_if(holds: Callable[[str], bool], test):
    """A block processor's `test`, tried only on a block that `holds` what it needs."""
    def tested(parent, block):
        return holds(block) and test(parent, block)
    return tested


class _InlineWhereNeeded(InlineProcessor):
    """An inline processor (Markdown's own or smarty's) that looks only at the texts holding what one of
    its patterns needs, and tries only the patterns that some text of the tree needs.

    Every other text is made an AtomicString first, as Markdown makes code: no pattern looks at it.
    The processor goes over every element's tail even so, making a list, an element and a list of
    the parent's children for each: the atomic tails are taken off while it runs and put back after.
    With no pattern needed, it does not run. The HTML is the same (compared on the 15,097 bodies of a
    generated 10,000-launch site).

    Markdown tries each of its fourteen patterns on every text, and smarty its eighteen, though most
    texts hold none of what they look for. Marking the texts smarty would leave alone: 0.65-0.72 ms a
    body against 1.05-1.28 ms; marking those Markdown's own patterns would leave alone too, and
    choosing the patterns: 0.37-0.41 against 0.49-0.54 ms. Taking the atomic tails off and not
    running without a pattern: 176-180 against 199-201 us.
    """

    def __init__(self, md: markdown.Markdown, needs: list[tuple[object, tuple[str, ...]]], marks: tuple[str, ...]):
        super().__init__(md)
        self.needs = needs  # each pattern, in the processor's order, and what a text must hold for it
        self.holds = holds_any_of(marks)  # what keeps a text from being made atomic

    def run(self, tree, ancestors=None):
        held, atomic_tails = self.mark_atomic(tree)
        present = "\0".join(held)
        self.inlinePatterns = [pattern for pattern, needs in self.needs if any(need in present for need in needs)]
        if not self.inlinePatterns:
            return tree
        for element, _ in atomic_tails:
            element.tail = None
        tree = super().run(tree, ancestors)
        for element, tail in atomic_tails:
            element.tail = tail
        return tree

    def mark_atomic(self, tree) -> tuple[list[str], list[tuple[object, AtomicString]]]:
        """Make each element's text that holds none of the marks an AtomicString. The texts and tails that
        hold one (but those atomic already, as code is); each element whose tail holds none, with that
        tail as an AtomicString (`run` puts it back so)."""
        held, atomic_tails, holds = [], [], self.holds
        for element in tree.iter():
            text, tail = element.text, element.tail
            if text and type(text) is str:
                if holds(text):
                    held.append(text)
                else:
                    element.text = AtomicString(text)
            if tail:
                if type(tail) is str and holds(tail):
                    held.append(tail)
                else:
                    atomic_tails.append((element, tail if isinstance(tail, AtomicString) else AtomicString(tail)))
        return held, atomic_tails

    @staticmethod
    def needs_of(patterns) -> list[tuple[object, tuple[str, ...]]] | None:
        """Each of Markdown's inline `patterns` with what it needs, or None if one is not known here."""
        if len(patterns) != len(INLINE_NEEDS) or not all(name in patterns for name in INLINE_NEEDS):
            return None
        if getattr(patterns["em_strong"], "tokens", None) != list(INLINE_NEEDS["em_strong"]):
            return None
        return [(patterns[name], INLINE_NEEDS[name]) for name in sorted(INLINE_NEEDS, key=patterns.get_index_for_name)]


class _PlainLinks(Treeprocessor):
    """Makes the `a` elements of a text whose every bracket is in a plain link, `[words](target)`,
    as Markdown's link pattern makes them, before its inline processor looks at the text.

    Markdown tries its three link patterns at each "[", stashes each link found and builds the
    tree again from the placeholders: ~30 us a link, a third of its time on the bodies of a
    generated 10,000-launch site, whose texts hold a record link every sentence or two. Only a
    text holding nothing that a pattern tried before the links (code, an escape) or after them
    across a link (emphasis) would read otherwise, nor an image or an autolink, is taken; the words
    and what lies between the links stay texts for the other patterns and smarty, as Markdown leaves
    them. The HTML is the same (the 15,097 bodies of the corpus compared; tested on random texts):
    0.31 ms a body against 0.36-0.37 ms.
    """

    LINK = re.compile(r"\[([^\[\]\n]+)\]\(([\w:/?#=.~%+-]+)\)")
    holds_other = staticmethod(holds_any_of(("`", "\\", "<", "*", "_", "![")))

    def run(self, root):
        for element in list(root.iter())[1:]:  # not the root, whose text Markdown leaves alone
            text = element.text
            if type(text) is not str or "[" not in text or self.holds_other(text):
                continue
            pieces = self.LINK.split(text)  # text, words, target, text, words, target, ..., text
            between = pieces[::3]
            if any("[" in piece or "]" in piece for piece in between):
                continue  # a bracket Markdown may read otherwise (a reference, a footnote)
            element.text = between[0] or None
            for at, start in enumerate(range(1, len(pieces), 3)):
                link = etree.Element("a", {"href": pieces[start + 1]})
                link.text, link.tail = pieces[start], pieces[start + 2] or None
                element.insert(at, link)


class _NormalizeWhitespace(NormalizeWhitespace):
    """Markdown's own, but a text holding none of what it changes is only split into lines: its
    expression for lines of spaces alone tries every character of every body (5 of 9 us a body)."""

    changes = staticmethod(holds_any_of((util.STX, util.ETX, "\r", "\t", " \n")))

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines) + "\n\n"
        return super().run(lines) if self.changes(source) else source.split("\n")


class _Unescape(UnescapeTreeprocessor):
    """Markdown's own, but a text without the placeholder of an escaped character is left as it is,
    not searched again by its expression (~5 us a body)."""

    def unescape(self, text: str) -> str:
        return super().unescape(text) if util.STX in text else text


class _TocWithHeadings(Treeprocessor):
    """The table of contents' processor, run only on a tree that has a heading or holds its marker.

    It goes over the whole tree three times (ids, headings, the marker) and builds an empty table
    for a body with neither, which changes nothing else: about 9 % of Markdown's time (profiled) on
    the bodies of a generated 10,000-launch site, none of which has a heading.
    """

    def __init__(self, md: markdown.Markdown, toc: Treeprocessor):
        super().__init__(md)
        self.toc = toc

    def run(self, root):
        marker, heading = self.toc.marker, self.toc.header_rgx
        for element in root.iter():
            if isinstance(element.tag, str) and heading.match(element.tag) or marker and marker in (element.text or ""):
                return self.toc.run(root)
        return None


class _BracketEnds:
    """Where each "[" of a text is closed, for Markdown's six link patterns, found once a text.

    Each of them asks `getText` for the text between a "[" and its "]". Markdown 3.11.4 answers
    by finding the closing bracket of every position of the text, in Python, whenever the text
    changed (each link found changes it) and for each pattern on its own: a paragraph with k
    links is gone over about 2k times: 0.77 ms a body of a generated site with 3.11.4, 0.49 with 3.11.3.
    This pairs the brackets that a regular expression finds, once a text: the same answers
    (tested against Markdown's own) for every position just past a "[", the only ones those
    patterns ask about; any other goes to Markdown's own `getText`.
    """

    BRACKET = re.compile(r"[\[\]]")

    def __init__(self):
        self.text: str | None = None
        self.ends: dict[int, int | None] = {}  # just past a "[" -> just past its "]", None if never closed

    def get_text(self, pattern: LinkInlineProcessor, data: str, index: int) -> tuple[str, int, bool]:
        """What `pattern.getText(data, index)` gives."""
        if data is not self.text:
            self.text, self.ends = data, self.pairs(data)
        if index not in self.ends:
            return type(pattern).getText(pattern, data, index)
        end = self.ends[index]
        if end is None:
            return data[index:], len(data), False
        return data[index:end - 1], end, True

    def pairs(self, data: str) -> dict[int, int | None]:
        ends: dict[int, int | None] = {}
        opened = []
        for bracket in self.BRACKET.finditer(data):
            if bracket[0] == "[":
                opened.append(bracket.end())
                ends[bracket.end()] = None
            elif opened:
                ends[opened.pop()] = bracket.end()
        return ends


class MarkdownRenderer:
    """A configured Markdown converter; `render` is safe to call many times."""

    def __init__(self):
        # Extensions given as objects, not names: a name is looked up among the entry points of
        # every installed package first (importing importlib.metadata took 14 ms of every build).
        self._md = markdown.Markdown(
            extensions=[TableExtension(), FootnoteExtension(), SaneListExtension(), SmartyExtension(),
                        TocExtension(baselevel=2)],
            output_format="html",
        )
        # Asked for every element, several times, by the tree's processors and serializer: a list of 60 tags.
        self._md.block_level_elements = frozenset(self._md.block_level_elements)
        self._md.preprocessors.deregister("html_block")
        self._md.preprocessors.register(_NormalizeWhitespace(self._md), "normalize_whitespace", 30)
        self._md.treeprocessors.register(_Unescape(self._md), "unescape", 0)
        self._md.inlinePatterns.deregister("html")
        self._links = _LinkRewriter(self._md)
        self._md.treeprocessors.register(self._links, "record_links", 1)
        typography = [(pattern, SMARTY_PATTERN_NEEDS.get(getattr(pattern, "pattern", None), SMARTY_NEEDS))
                      for pattern in self._md.treeprocessors["smarty"].inlinePatterns]
        self._md.treeprocessors.register(_InlineWhereNeeded(self._md, typography, SMARTY_NEEDS), "smarty", 6)
        needs = _InlineWhereNeeded.needs_of(self._md.inlinePatterns)
        if needs:  # the texts smarty needs are kept from being made atomic for it
            self._md.treeprocessors.register(_InlineWhereNeeded(self._md, needs, ANY_NEEDS), "inline", 20)
        self._md.treeprocessors.register(_TocWithHeadings(self._md, self._md.treeprocessors["toc"]), "toc", 5)
        self._md.treeprocessors.register(_PlainLinks(self._md), "plain_links", 22)  # after footnotes, before inline
        brackets = _BracketEnds()
        for pattern in self._md.inlinePatterns:
            if isinstance(pattern, LinkInlineProcessor):
                pattern.getText = functools.partial(brackets.get_text, pattern)
        blocks = self._md.parser.blockprocessors
        for name, needs in BLOCK_NEEDS.items():
            blocks[name].test = tested_only_if(holds_any_of(needs), blocks[name].test)
        # The block parser goes over its processors for every block, and their registry lists them anew each
        # time (sorting, a list made): as set up, in a tuple, 236-254 against 245-263 us a body.
        self._md.parser.blockprocessors = tuple(blocks)

    def render(self, text: str, resolve: Resolver) -> str:
        """Markdown text -> HTML, with record links resolved by `resolve`."""
        if not text.strip():
            return ""
        self._md.reset()
        self._links.resolve = resolve
        return self._md.convert(text)
