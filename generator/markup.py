"""Markdown -> HTML for record bodies, with one reused converter.

Raw HTML in content is escaped, not passed through, and links are limited to
http/https and the record schemes (`launch:`, `actor:`, `source:`), which are
rewritten to relative URLs by the resolver the caller gives.
"""

from __future__ import annotations

from typing import Callable

import markdown
from markdown.treeprocessors import Treeprocessor

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


class MarkdownRenderer:
    """A configured Markdown converter; `render` is safe to call many times."""

    def __init__(self):
        self._md = markdown.Markdown(
            extensions=["tables", "footnotes", "sane_lists", "smarty", "toc"],
            extension_configs={"toc": {"baselevel": 2}},
            output_format="html",
        )
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self._links = _LinkRewriter(self._md)
        self._md.treeprocessors.register(self._links, "record_links", 1)

    def render(self, text: str, resolve: Resolver) -> str:
        """Markdown text -> HTML, with record links resolved by `resolve`."""
        if not text.strip():
            return ""
        self._md.reset()
        self._links.resolve = resolve
        return self._md.convert(text)
