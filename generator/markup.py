"""Markdown -> HTML for record bodies, with one reused converter.

Raw HTML in content is escaped, not passed through, and links are limited to
http/https and the record schemes (`launch:`, `actor:`, `source:`), which are
rewritten to relative URLs by the resolver the caller gives.
"""

from __future__ import annotations

import re
from typing import Callable

import markdown
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor
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


# What each of smarty's patterns needs in a text to change it: a quote, "--" or "...".
SMARTY_TRIGGER = re.compile(r"""['"]|--|\.\.\.""")
# What each of Markdown's inline patterns needs in a text to change it (a backtick, a backslash,
# "[", "<", "&", "*", "_" or a line break), or a placeholder it made: for these patterns only.
INLINE_PATTERNS = ("backtick", "escape", "footnote", "reference", "link", "image_link", "image_reference",
                   "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "entity", "em_strong")
INLINE_TRIGGER = re.compile(r"[`\\\[<&*_\x02\x03]|  \n")
ANY_TRIGGER = re.compile(f"{INLINE_TRIGGER.pattern}|{SMARTY_TRIGGER.pattern}")


class _SmartySkip(Treeprocessor):
    """Marks each text smarty would leave as it is as atomic, so its patterns skip it.

    Smarty goes over every text of the tree again with its eighteen patterns: half
    of Markdown's time, though most texts hold no quote, dash or ellipsis. The HTML
    is the same (compared on the 15,104 bodies of a generated 10,000-launch site);
    Markdown took 0.65-0.72 ms a body against 1.05-1.28 ms.
    """

    trigger = SMARTY_TRIGGER

    def run(self, root):
        for element in root.iter():
            element.text, element.tail = self.atomic_unless(element.text), self.atomic_unless(element.tail)

    def atomic_unless(self, text: str | None) -> str | None:
        """`text` as an AtomicString unless it holds the trigger."""
        return AtomicString(text) if text and not self.trigger.search(text) else text


class _InlineSkip(_SmartySkip):
    """Marks each text that neither Markdown's inline patterns nor smarty would change as atomic, before
    either looks: Markdown tries each of its fourteen patterns on every text, though many hold none of
    what they look for. The HTML is the same (compared on the 15,121 bodies of a generated
    10,000-launch site); Markdown took 7.5-7.9 s for them against 8.3-8.5 s (four runs taking turns)."""

    trigger = ANY_TRIGGER


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
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self._links = _LinkRewriter(self._md)
        self._md.treeprocessors.register(self._links, "record_links", 1)
        self._md.treeprocessors.register(_SmartySkip(self._md), "smarty_skip", 7)  # after inline, before smarty
        patterns = self._md.inlinePatterns
        if len(patterns) == len(INLINE_PATTERNS) and all(name in patterns for name in INLINE_PATTERNS):
            self._md.treeprocessors.register(_InlineSkip(self._md), "inline_skip", 21)  # before inline

    def render(self, text: str, resolve: Resolver) -> str:
        """Markdown text -> HTML, with record links resolved by `resolve`."""
        if not text.strip():
            return ""
        self._md.reset()
        self._links.resolve = resolve
        return self._md.convert(text)
