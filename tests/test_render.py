"""Stage 5, render: templates, helpers, escaping, record links, and a site's own templates and static files."""

from __future__ import annotations

import datetime as dt
import zoneinfo
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.runtime
import markupsafe
import pytest
from bs4 import BeautifulSoup
from hypothesis import example, given
from hypothesis import strategies as st

from generator.build import BuildOptions, build
from generator.errors import ContentError
from generator.model import Fact
from generator import markup, render
from generator.render import facts_differ, fact_value, long_date, ordinal, utc_offset
from tests.conftest import REPO, minimal_site, write_tree

FIRST = "launches/2030-03-01-first/index.html"


def rendered(root: Path, monkeypatch, files: dict[str, str] | None = None, **options) -> dict[str, bytes]:
    """Every file the build of the minimal site (plus `files`) would write, without writing it."""
    write_tree(root, {**minimal_site(), **(files or {})})
    monkeypatch.chdir(root)
    return build(BuildOptions(Path("content"), Path("site"), **options), write=False).files


def soup(files: dict[str, bytes], path: str) -> BeautifulSoup:
    return BeautifulSoup(files[path].decode("utf-8"), "html.parser")


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinal(n, text):
    assert ordinal(n) == text


def test_dates_are_written_out_without_the_locale():
    assert long_date(dt.date(2030, 1, 5)) == "5 January 2030"
    assert long_date(dt.date(2030, 12, 31)) == "31 December 2030"


@pytest.mark.parametrize("fact, unit, text", [
    (Fact(value=500, approx=True), "km", "about 500 km"),
    (Fact(value=1500), "km", "1,500 km"),
    (Fact(value=12.5), "min", "12.5 min"),
    (Fact(minimum=25, maximum=90), "km", "between 25 and 90 km"),
    (Fact(value=14), "ordinal", "14th"),
    (Fact(minimum=3, maximum=4), "ordinal", "between 3rd and 4th"),
])
def test_fact_values(fact, unit, text):
    assert fact_value(fact, unit) == text


def test_facts_differ_only_when_the_numbers_do():
    assert not facts_differ((Fact(value=5, per="a"), Fact(value=5, per="b")))
    assert facts_differ((Fact(value=5), Fact(value=6)))
    assert facts_differ((Fact(value=5), Fact(minimum=4, maximum=6)))


@pytest.mark.parametrize("zone, when, text", [
    ("Asia/Tokyo", dt.datetime(2030, 1, 5, 8, 7), "UTC+09:00"),
    ("Asia/Kolkata", dt.datetime(2030, 1, 5, 8, 7), "UTC+05:30"),
    ("America/New_York", dt.datetime(2030, 1, 5, 8, 7), "UTC-05:00"),
    ("America/New_York", dt.datetime(2030, 7, 5, 8, 7), "UTC-04:00"),
    ("UTC", dt.datetime(2030, 7, 5, 8, 7), "UTC+00:00"),
])
def test_utc_offset(zone, when, text):
    assert utc_offset(when.replace(tzinfo=zoneinfo.ZoneInfo(zone))) == text


def test_links_are_relative_to_each_page(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch)
    launch = soup(files, FIRST)
    hrefs = {a.get_text(strip=True): a["href"] for a in launch.select("main a")}
    assert hrefs["Northland"] == "../../actors/northland/index.html"
    assert launch.select_one('link[rel="stylesheet"]')["href"] == "../../static/style.css"
    home = soup(files, "index.html")
    assert home.select_one('link[rel="stylesheet"]')["href"] == "static/style.css"
    assert home.select_one('main a[href$="2030-03-01-first/index.html"]')["href"] == FIRST


def test_the_404_page_links_absolutely_from_base_url(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, base_url="https://mirror.example.test/sub/")
    page = soup(files, "404.html")
    assert page.select_one('link[rel="stylesheet"]')["href"] == "https://mirror.example.test/sub/static/style.css"
    assert {a["href"] for a in page.select("main a")} >= {"https://mirror.example.test/sub/",
                                                          "https://mirror.example.test/sub/launches/"}


def test_the_markdown_converter_does_not_look_its_extensions_up_among_installed_packages():
    # By name, Python-Markdown looks each extension up among every installed package's entry
    # points first: importing what reads them alone took 14 ms of every build. A new interpreter,
    # as another test may have imported it already.
    text = '| a |\\n|---|\\n| \"b\" |\\n\\n## Part\\n\\nNote[^1]\\n\\n[^1]: it.'
    probe = ("import sys; from generator.markup import MarkdownRenderer; "
             f"html = MarkdownRenderer().render('{text}', None); "
             "print('importlib.metadata' in sys.modules, '<table>' in html, '&ldquo;b&rdquo;' in html, "
             "'<h3 id=\"part\">' in html, 'footnote' in html)")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert found == "False True True True True\n"


def test_content_is_escaped_and_raw_html_in_markdown_is_not_passed_through(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md": """\
        ---
        title: "<script>alert('title')</script> & more"
        date: 2030-04-10
        location: "<b>bold</b>"
        ---
        Text with <script>alert(2)</script> and <img src=x onerror=alert(1)>.

        <div>block html</div>
        """})
    html = files["launches/2030-04-10-second/index.html"].decode()
    assert "<script>" not in html and "<img src=x" not in html and "<div>block" not in html and "<b>bold" not in html
    page = BeautifulSoup(html, "html.parser")
    assert page.h1.get_text() == "<script>alert('title')</script> & more"
    assert "<script>alert(2)</script>" in page.select_one(".narrative").get_text()


def test_record_links_in_bodies_become_relative_urls(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md": """\
        ---
        title: Second
        date: 2030-04-10
        ---
        After [the first](launch:2030-03-01-first#facts), says [the paper](source:2030-03-01-daily-example);
        see [the web](https://example.test/x).
        """})
    links = {a.get_text(): a["href"] for a in soup(files, "launches/2030-04-10-second/index.html")
             .select(".narrative a")}
    assert links == {"the first": "../2030-03-01-first/index.html#facts",
                     "the paper": "../../sources/2030-03-01-daily-example/index.html",
                     "the web": "https://example.test/x"}


def test_text_that_looks_like_a_link_marker_stays_text(tmp_path, monkeypatch):
    marker = f"{render.LINK_MARKER_START}launches/x/index.html{render.LINK_MARKER_END}"
    files = rendered(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md": f"""\
        ---
        title: Second
        date: 2030-04-10
        ---
        Text <a href="{marker}"> and `="{marker}"` and [a link](https://example.test/{marker}).
        """})
    narrative = soup(files, "launches/2030-04-10-second/index.html").select_one(".narrative")
    assert narrative.get_text().count(marker) == 2
    assert narrative.a["href"].startswith("https://example.test/")


def test_a_sites_templates_override_the_defaults_by_name(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {
        "templates/actor.html": "{% extends 'base.html' %}{% block main %}<p id=mine>{{ actor.name }} "
                                "({{ site.launches_of_actor.get(actor.id, ()) | length }})</p>{% endblock %}",
    })
    actor = soup(files, "actors/northland/index.html")
    assert actor.select_one("#mine").get_text() == "Northland (2)"
    assert actor.select_one("header.site-header")  # the default base.html still wraps it
    assert soup(files, FIRST).select_one("table.facts")  # other pages keep the default templates


def test_the_helpers_link_from_the_page_being_rendered_in_macros_imported_with_or_without_context(
        tmp_path, monkeypatch):
    macro = ("{% macro links(ids, launch) %}{% for id in ids %}{% set actor = site.actors[id] %}"
             "<a href='{{ link(actor) }}'>{{ actor.name }}</a>{% endfor %}"
             "<a href='{{ url(routes.path_of('launch', '2030-03-01-first')) }}'>first</a>{{ body(launch) }}{% endmacro %}")
    page = ("{% from '_mine.html' import links %}{% from '_mine.html' import links as with_context with context %}"
            "{% set launch = site.launch_by_id['2030-03-01-first'].launch %}"
            "<div id=plain>{{ links(['northland'], launch) }}</div><div id=context>{{ with_context(['northland'], launch) }}</div>")
    files = rendered(tmp_path, monkeypatch, {"templates/_mine.html": macro, "templates/actors.html": page,
                                             "templates/actor.html": page})
    for path, expected in [("actors/index.html", ["northland/index.html", "../launches/2030-03-01-first/index.html"]),
                           ("actors/northland/index.html",
                            ["index.html", "../../launches/2030-03-01-first/index.html"])]:
        for shown in soup(files, path).select("#plain, #context"):
            # the actor, the launch, and the launch's body linking to the actor
            assert [a["href"] for a in shown.select("a")] == expected + [expected[0]]


def test_templates_option_points_at_another_folder(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"theme/404.html": "gone, {{ site.config.title }}"},
                     templates_dir=Path("theme"))
    assert files["404.html"] == b"gone, Test Digest"


def test_static_files_override_by_name_and_can_be_added(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"templates/static/style.css": "body { color: teal }\n",
                                             "templates/static/img/logo.svg": "<svg/>\n"})
    assert files["static/style.css"] == b"body { color: teal }\n"
    assert files["static/img/logo.svg"] == b"<svg/>\n"
    default = rendered(tmp_path / "plain", monkeypatch)
    assert default["static/style.css"] == (REPO / "templates/static/style.css").read_bytes()


def test_a_template_mistake_is_one_problem_at_the_template_line(tmp_path, monkeypatch):
    with pytest.raises(ContentError) as caught:
        rendered(tmp_path, monkeypatch, {"templates/source.html":
                                         "{% extends 'base.html' %}\n{% block main %}\n\n{{ source.nope }}\n{% endblock %}\n"})
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("templates/source.html", 4)
    assert problem.message == "template error: 'generator.model.Source object' has no attribute 'nope'"


def test_a_missing_include_names_the_template(tmp_path, monkeypatch):
    with pytest.raises(ContentError) as caught:
        rendered(tmp_path, monkeypatch, {"templates/404.html": "a\n{% include 'nowhere.html' %}\n"})
    assert [p.format() for p in caught.value.problems] == [
        "templates/404.html:2:1: error: template error: template 'nowhere.html' not found "
        "(check the name in extends, include or import)"]


def test_a_template_that_extends_itself_is_reported_not_crashed_on(tmp_path, monkeypatch):
    with pytest.raises(ContentError) as caught:
        rendered(tmp_path, monkeypatch, {"templates/year.html": "{% extends 'year.html' %}\n"})
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.message) == ("templates/year.html", 1, "template error: endless recursion")


def test_disagreeing_reports_are_each_shown_and_said_to_differ(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md": """\
        ---
        title: Second
        date: 2030-04-10
        sources: [2030-03-01-daily-example]
        distance_km:
          - {value: 300, approx: true, per: south-staff, source: 2030-03-01-daily-example}
          - {min: 250, max: 350, per: northland}
        apogee_km:
          - {value: 50, per: south-staff}
          - {value: 50, per: northland}
        ---
        """})
    rows = soup(files, "launches/2030-04-10-second/index.html").select("table.facts tr")
    cells = [[" ".join(cell.get_text().split()) for cell in row.find_all(["th", "td"])] for row in rows[1:]]
    assert cells == [
        ["Distance sources differ", "about 300 km", "Southland Joint Staff, in Daily Example, 1 March 2030"],
        ["between 250 and 350 km", "Northland"],
        ["Apogee", "50 km", "Southland Joint Staff"],
        ["50 km", "Northland"],
    ]


def test_an_evening_launch_west_of_greenwich_is_the_next_day_in_utc(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"content/launches/2030-04-10-second.md": """\
        ---
        title: Second
        date: 2030-07-04
        time: "22:30"
        timezone: America/New_York
        ---
        """})
    when = " ".join(soup(files, "launches/2030-04-10-second/index.html").select_one(".when").get_text().split())
    assert when.startswith("4 July 2030, 22:30 local time (America/New_York, UTC-04:00)")
    assert "5 July 2030, 02:30 UTC" in when


def test_relative_url_agrees_with_relpath():
    import posixpath

    from generator.render import relative_url

    targets = ["index.html", "launches/index.html", "launches/a/index.html", "static/style.css",
               "actors/b/feed.xml", "launches/2022/index.html"]
    for start in ["", "launches", "launches/a", "actors/b", "search", "x/y/z"]:
        for target in targets:
            assert relative_url(start.split("/") if start else [], target) == posixpath.relpath(target, start or ".")


def _with_markdowns_own_inline_processors(renderer):
    """The renderer with Markdown's own inline processor and smarty's, each trying all its patterns."""
    from markdown.treeprocessors import InlineProcessor

    md, smarty = renderer._md, InlineProcessor(renderer._md)
    smarty.inlinePatterns = [pattern for pattern, _ in md.treeprocessors["smarty"].needs]
    md.treeprocessors.register(smarty, "smarty", 6)
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    return renderer


# Each of smarty's changes alone in a text, next to texts with none, in the places Markdown makes texts.
TYPOGRAPHY = [
    "The crew's log.\n\nIt was \"calm\".\n\nWait... and see.\n\nFrom 1998 -- or 1999 --- on.\n\nNothing to change.",
    "Back in the '90s.\n\n- an item with no quote\n- an 'item' with one\n\n> quoted 'text'",
    "**bold** and *it's* [a \"link\"](https://example.org \"its 'title'\") then plain words.",
    "| a | b |\n| - | - |\n| x -- y | plain |\n\nA note.[^1]\n\n[^1]: It said \"soon\".",
    "## A \"heading\"\n\nText with `code 'kept'` and \\'escaped\\' quotes; a URL https://example.org/a--b.",
    "Plain text, then ' alone and \" alone.",
]


def test_typography_is_what_smarty_alone_makes():
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), _with_markdowns_own_inline_processors(MarkdownRenderer())
    for text in TYPOGRAPHY:
        html = fast.render(text, lambda kind, ident: ident)
        assert html == plain.render(text, lambda kind, ident: ident)
        assert any(mark in html for mark in ("&rsquo;", "&ldquo;", "&ndash;", "&mdash;", "&hellip;"))


# Each of Markdown's inline patterns alone in a text, next to texts that hold none of what they look for.
INLINE_MARKUP = [
    "Plain words.\n\nSome `code` here.\n\nA \\*literal\\* star.\n\nA [link](https://example.org) and plain.",
    "An ![image](https://example.org/a.png) and [a reference][r].\n\n[r]: https://example.org/r\n\nPlain.",
    "A [short reference] and ![short image].\n\n[short reference]: https://example.org/s\n"
    "[short image]: https://example.org/i.png",
    "Mail <someone@example.org> or see <https://example.org/x>.\n\nNothing here.",
    "A line that breaks  \nhere.\n\nAT&amp;T &copy; and &#169; or & alone.",
    "Some *emphasis*, **strong** and _under_ words; snake_case_name.[^n]\n\n[^n]: A note with *stress*.",
    "Just _one_ word.\n\nAn escaped \\# hash.",
    "- plain item\n- item with `code`\n\n> plain quote\n\n> quote with [link](https://example.org)",
    "| plain | cell |\n| - | - |\n| *em* | [l](https://example.org) |",
    # Emphasis only inside a link's text; a break that only Markdown's tab stops make (no "  \n" in the text).
    "[*stressed* words](https://example.org) and plain.\n\nA tab then a break\t\nhere.",
]


def test_inline_markup_is_what_markdown_alone_makes(monkeypatch):
    from markdown import core

    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), _with_markdowns_own_inline_processors(MarkdownRenderer())
    assert isinstance(fast._md.treeprocessors["inline"], markup._InlineWhereNeeded)
    for text in INLINE_MARKUP:
        html = fast.render(text, lambda kind, ident: ident)
        assert html == plain.render(text, lambda kind, ident: ident)
        assert "<" in html.replace("<p>", "").replace("</p>", "")  # each text has some inline markup
    # A Markdown with other inline patterns than those known here keeps its own inline processor.
    build = core.build_inlinepatterns
    monkeypatch.setattr(core, "build_inlinepatterns", lambda md, **kwargs: _with_one_more(build(md, **kwargs)))
    with_strike = MarkdownRenderer()
    assert not isinstance(with_strike._md.treeprocessors["inline"], markup._InlineWhereNeeded)
    assert with_strike.render("Some ~~struck~~ and *stressed* words.", lambda kind, ident: ident) == (
        "<p>Some <del>struck</del> and <em>stressed</em> words.</p>")


def test_each_body_gets_only_the_inline_patterns_its_texts_need():
    from generator.markup import MarkdownRenderer

    renderer = MarkdownRenderer()
    inline, patterns = renderer._md.treeprocessors["inline"], renderer._md.inlinePatterns
    names = {id(patterns[name]): name for name in markup.INLINE_NEEDS}
    renderer.render("A [link](https://example.org) and *stress*.", lambda kind, ident: ident)
    assert [names[id(pattern)] for pattern in inline.inlinePatterns] == [
        "reference", "link", "short_reference", "em_strong"]  # those that need a "[" or a "*" alone, in order
    renderer.render("Only `code` here.", lambda kind, ident: ident)
    assert [names[id(pattern)] for pattern in inline.inlinePatterns] == ["backtick"]


@given(st.text(alphabet="ab -.'\"\n[^!*_`\\<&\x02\x03", max_size=20))
def test_a_text_holds_a_trigger_when_it_holds_one_of_its_needs(text):
    for needs in (markup.ANY_NEEDS, markup.SMARTY_NEEDS):
        assert markup.holds_any_of(needs)(text) == any(need in text for need in needs)


def test_table_of_contents_is_what_markdown_alone_makes():
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), MarkdownRenderer()
    plain._md.treeprocessors.register(fast._md.treeprocessors["toc"].toc, "toc", 5)  # the processor itself
    for text in ["## A heading\n\nText.\n\n### A smaller one", "[TOC]\n\nNo heading, the marker alone.",
                 "Text.\n\n- an item\n\n  [TOC]  \n\nMore.", "No heading, no marker: *nothing* to do."]:
        html = fast.render(text, lambda kind, ident: ident)
        assert html == plain.render(text, lambda kind, ident: ident)
    assert '<h2 id="a-heading">' in fast.render("# A heading", lambda kind, ident: ident)
    assert 'class="toc"' in fast.render("[TOC]", lambda kind, ident: ident)
    assert 'class="toc"' not in fast.render("Plain.", lambda kind, ident: ident)


@given(st.text(alphabet="[]a!(", max_size=40))
def test_bracket_ends_are_those_markdown_finds(data):
    from markdown import Markdown
    from markdown.inlinepatterns import LinkInlineProcessor

    pattern = LinkInlineProcessor(r"\[", Markdown())
    brackets = markup._BracketEnds()
    for index in range(len(data) + 1):  # just past each "[", as the link patterns ask, and anywhere else
        assert brackets.get_text(pattern, data, index) == LinkInlineProcessor.getText(pattern, data, index)


BLOCKS = ["Para one.\n\nPara two\nwith a lazy line.", "# Title\n\nText.\n\nSub\n---\n\n***\n\nAfter a rule.",
          "- a\n- b\n    - nested\n\n1. one\n2. two\n\n3. three", "> quote\ncontinued\n\n>> deeper",
          "    code block\n    more\n\nText.", "| a | b |\n| - | - |\n| c | d |", "Note[^1].\n\n[^1]: The note.\n\n    Indented.",
          "[r]: https://example.org/r\n\n[a link][r] and text.", "- item\n\n    a paragraph in it\n\n- next"]


def _with_markdowns_own_block_tests(renderer):
    for processor in renderer._md.parser.blockprocessors:
        processor.__dict__.pop("test", None)
    return renderer


def test_blocks_are_what_markdown_alone_makes(monkeypatch):
    from generator import markup

    fast = markup.MarkdownRenderer()
    monkeypatch.setattr(markup, "tuple", lambda registry: registry, raising=False)  # the parser's own registry
    plain = _with_markdowns_own_block_tests(markup.MarkdownRenderer())
    assert isinstance(fast._md.parser.blockprocessors, tuple)
    assert not isinstance(plain._md.parser.blockprocessors, tuple)
    assert sum("test" in vars(processor) for processor in fast._md.parser.blockprocessors) == len(markup.BLOCK_NEEDS)
    assert not any("test" in vars(processor) for processor in plain._md.parser.blockprocessors)
    for text in BLOCKS:
        assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


# Pieces of blocks: what each block processor looks for, and what holds the same characters but is not it.
BLOCK_PIECES = ["words", " ", "\n", "\n\n", "=", "==", "-", "---", "> ", ">", "|", " | ", "| - |", "|:-:|", "- ", "* ",
                "1. ", "    ", "\t", "# ", "***", "_ _ _", "*  *", "- -", "`", "[r]: https://example.org\n", "[^1]: note\n",
                "[^", "]:", "[x]", "a > b"]


@given(st.lists(st.sampled_from(BLOCK_PIECES), max_size=14).map("".join))
@example("Title\n=====\n\n| a | b |\n| - | - |\n| c | d |\n\n> quoted\n\nSub\n---")
@example("Words.\n\n*  *  *\n\n_  _  _\n\n[r]:https://example.org/r\n\n[x][r]")
def test_blocks_of_any_text_are_what_markdown_alone_makes(text):
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), _with_markdowns_own_block_tests(MarkdownRenderer())
    assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


def test_links_are_what_markdown_alone_makes():
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), MarkdownRenderer()
    for pattern in plain._md.inlinePatterns:
        pattern.__dict__.pop("getText", None)  # Markdown's own
    assert "getText" in fast._md.inlinePatterns["link"].__dict__
    for text in ["[one](https://example.org/1), [two](launch:b) and [three][r].\n\n[r]: https://example.org/3",
                 "[a [nested] text](https://example.org) then [an unclosed one and ![an image](x.png) [",
                 "![alt [with] brackets](a.png) [short] [ref]\n\n[short]: https://example.org/s",
                 "] stray [closers] ] and [openers [ with [a link](https://example.org)"]:
        assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


# Pieces of bodies: plain links, and around them all that makes Markdown read a bracket or a text otherwise.
LINK_PIECES = ["words ", "[Name](actor:x)", "[two words](https://example.org/p?q=1#f)", "[a](launch:b#c)", "[", "]",
               "(", ")", "!", "*", "**", "_", "`", "\\", "<", ">", "<https://example.org>", "&", "&amp;", "\n",
               "\n\n", "  \n", "\t", "- ", "> ", "## ", "1. ", "'", '"', "--", "...", "[^1]", "[^1]: note\n",
               "[x][r]", "[r]: https://example.org/r\n", "[r]", "[](launch:e)", "[ spaced ](launch:y)", "(launch:z)",
               "](", "[a\nb](actor:x)", '[t](https://example.org "title")', "[x](<https://example.org>)",
               "[x]( launch:y )", "[x](launch:(y))", "![i](a.png)", "| a | b |\n| - | - |\n| [c](launch:d) | e |\n",
               "    [indented](launch:code)\n", "[é](actor:ü)", "[TOC]"]


@given(st.lists(st.sampled_from(LINK_PIECES), max_size=12).map("".join))
@example("[outer [a](launch:b) words](https://example.org)")  # a link in a link's words
@example("*stress [a](launch:b) here*")  # emphasis across a link
@example("_so [c](launch:d) too_")
@example("`code [a](launch:b)`")  # what a pattern tried before the links, or an image, makes of one
@example("\\[e](launch:f)")
@example("![g](launch:h)")
@example("<https://example.org/[i](launch:j)>")
@example("AT&amp;T [k](launch:l)&copy;")
@example("[a](launch:b) [c][r] [s] [^1]\n\n[r]: https://example.org/r\n[s]: https://example.org/s\n[^1]: A note.")
def test_plain_links_are_what_markdown_alone_makes(text):
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), MarkdownRenderer()
    plain._md.treeprocessors.deregister("plain_links")
    assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


@given(st.lists(st.sampled_from(LINK_PIECES + ["---", "----", "....", "'90s", "\"'", "'\"", " '", "' ", '" ', "s' "]),
                max_size=12).map("".join))
@example("A [link](launch:a) 'quoted' -- and *stressed* [another](launch:b) tail...\n\n- item [x](actor:c) `code` 'q'")
@example("He said \"'Quoted' words\" in the '90s---and 'then' \"'sets'\"...")
@example("Said \"'Quoted words.")  # each with only what some of smarty's patterns need
@example("Said '\"Quoted words.")
@example("\"?\" asked one; \"double\" quotes, –\"dashed\" and \"here\".")
@example("'?' asked one; 'single' quotes, –'dashed' and 'here'.")
def test_inline_markup_of_any_text_is_what_markdown_alone_makes(text):
    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), _with_markdowns_own_inline_processors(MarkdownRenderer())
    assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


@given(st.lists(st.sampled_from(["words", " ", "   ", "\n", "\n\n", " \n", "\t", "\r\n", "\r", "\x02", "\x03", "\\*",
                                 "\\[x\\]", "\\`", "- ", "    code", "[a](launch:b)"]), max_size=12).map("".join))
@example("Line\n   \nafter spaces\tand a tab\r\nand \\*escapes\\* \x02kept\x03 out")
@example("Ends in spaces   ")
@example("A\ttab alone.")
@example("Words\n   ")
def test_whitespace_and_escapes_are_what_markdown_alone_makes(text):
    from markdown.preprocessors import NormalizeWhitespace
    from markdown.treeprocessors import UnescapeTreeprocessor

    from generator.markup import MarkdownRenderer

    fast, plain = MarkdownRenderer(), MarkdownRenderer()
    plain._md.preprocessors.register(NormalizeWhitespace(plain._md), "normalize_whitespace", 30)
    plain._md.treeprocessors.register(UnescapeTreeprocessor(plain._md), "unescape", 0)
    assert type(fast._md.preprocessors["normalize_whitespace"]) is not NormalizeWhitespace
    assert fast.render(text, lambda kind, ident: ident) == plain.render(text, lambda kind, ident: ident)


def test_plain_links_are_made_before_markdown_looks_for_links():
    from generator.markup import MarkdownRenderer

    renderer = MarkdownRenderer()
    inline, patterns = renderer._md.treeprocessors["inline"], renderer._md.inlinePatterns
    html = renderer.render("See [the ministry](actor:m) and [a report](https://example.org/r).\n\n- [one](launch:o)",
                           lambda kind, ident: f"/{kind}/{ident}/")
    assert html == ('<p>See <a href="/actor/m/">the ministry</a> and <a href="https://example.org/r">a report</a>.</p>'
                    '\n<ul>\n<li><a href="/launch/o/">one</a></li>\n</ul>')
    assert not set(map(id, inline.inlinePatterns)) & {id(patterns[name]) for name in ("reference", "link")}
    renderer.render("A [link](launch:x) beside *stress*.", lambda kind, ident: ident)  # emphasis may span links
    assert id(patterns["link"]) in set(map(id, inline.inlinePatterns))


def _with_one_more(patterns):
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    patterns.register(SimpleTagInlineProcessor(r"(~~)(.+?)~~", "del"), "strike", 55)
    return patterns


def test_each_body_is_converted_once_per_build(tmp_path, monkeypatch):
    """A launch's body shows on its page and in feeds, and Markdown (the costliest step) runs once for it."""
    converted = []
    convert = markup.MarkdownRenderer.render
    monkeypatch.setattr(markup.MarkdownRenderer, "render",
                        lambda self, text, resolve: converted.append(text) or convert(self, text, resolve))
    files = rendered(tmp_path, monkeypatch)
    assert b"fired a rocket." in files["feed.xml"] and b"fired a rocket." in files[FIRST]
    assert b"Another one." in files["actors/northland/feed.xml"]  # shown in two feeds and on its page
    assert len(converted) == len(set(converted)) == 3  # both launches' bodies and the source's, once each


@pytest.mark.parametrize("source, shows", [
    ("{% for v in site.launches %}{{ v.launch.title }}{% endfor %}", False),
    ("{{ launch.body.text }}", True),
    ("{{ body(launch) }}", True),
    ("{{ launch['body'] }}", True),
    ("{{ launch | attr('body') }}", True),
    ("{{ feed_entry(entry) }}", True),  # a feed entry shows its launch's body
    ("{% import '_mine.html' as mine %}{{ mine.show(launch) }}", True),  # the macro does
    ("{% include name %}", True),  # chosen while rendering: may be anything
    ("<body>{{ page.title }}</body>", False),  # the word in the markup is no use of a body
    ("{{ page.title ~ 42 }}{{ 1.5 }}", False),  # constants that are not strings are no names
])
def test_a_template_is_known_to_show_bodies_or_not(tmp_path, monkeypatch, source, shows):
    """Pages whose templates show no body do not depend on bodies (see build.page_fingerprints)."""
    write_tree(tmp_path, {"templates/page.html": source, "templates/_mine.html":
                          "{% macro show(record) %}{{ record.body.text }}{% endmacro %}"})
    renderer = render.Renderer(None, [tmp_path / "templates", render.default_templates_dir()])
    assert renderer.shows_bodies("page.html") is shows


def test_the_shipped_listings_show_no_bodies_and_the_record_pages_do():
    renderer = render.Renderer(None, [render.default_templates_dir()])
    shows = {name for name in ("home.html", "launches.html", "year.html", "actors.html", "sources.html",
                               "launch.html", "actor.html", "source.html", "feed.xml") if renderer.shows_bodies(name)}
    assert shows == {"launch.html", "actor.html", "source.html", "feed.xml"}


def test_a_template_is_shipped_only_if_all_it_uses_is_digests_own(tmp_path):
    """Only digest's own templates are trusted to show just the bodies a page names (PageSpec.bodies)."""
    write_tree(tmp_path, {"templates/base.html": "{% block main %}{% endblock %}\n",
                          "templates/_feed_entry.xml": "<entry/>\n"})
    default = render.default_templates_dir()
    assert render.Renderer(None, [default]).is_shipped("actor.html")
    assert render.Renderer(None, [tmp_path / "empty", default]).is_shipped("actor.html")
    own_base = render.Renderer(None, [tmp_path / "templates", default])
    assert not own_base.is_shipped("actor.html")  # it extends the site's own base.html
    assert not own_base.is_shipped("robots.txt")  # the site's own feed entry helper is used by any page


def test_the_index_pages_link_newer_and_older_and_name_their_page(tmp_path, monkeypatch):
    extra = {f"content/launches/2030-0{m}-01-more.md": f"---\ntitle: More in month {m}\ndate: 2030-0{m}-01\n---\n"
             for m in (5, 6)}  # with minimal_site's March and April: four months
    files = rendered(tmp_path, monkeypatch, {**extra, "content/site.yaml": minimal_site()["content/site.yaml"]
                                             + "per_page: 2\n"}, search=False)
    first, second = soup(files, "launches/index.html"), soup(files, "launches/page/2/index.html")
    assert "launches/page/3/index.html" not in files
    assert [a.get_text() for a in first.select("main li a")] == ["More in month 6", "More in month 5"]
    assert [a.get_text() for a in second.select("main li a")] == ["Second test launch", "First test launch"]
    assert first.h1.get_text(" ", strip=True) == "All launches (page 1 of 2)"
    assert second.title.get_text().startswith("All launches, page 2 of 2")
    assert [(a["rel"], a["href"]) for a in first.select(".pager a")] == [(["next"], "page/2/index.html")]
    assert [(a["rel"], a["href"]) for a in second.select(".pager a")] == [(["prev"], "../../index.html")]
    # A year's heading counts the whole year, wherever its launches are listed.
    assert first.select_one("#y2030").get_text(" ", strip=True) == "2030 (4)"


def test_an_actor_s_later_pages_list_launches_alone(tmp_path, monkeypatch):
    files = rendered(tmp_path, monkeypatch, {"content/site.yaml": minimal_site()["content/site.yaml"]
                                             + "per_page: 1\n"}, search=False)
    first, second = soup(files, "actors/northland/index.html"), soup(files, "actors/northland/page/2/index.html")
    assert [a.get_text() for a in first.select("#launches ~ ol a")] == ["Second test launch"]
    assert [a.get_text() for a in second.select("#launches ~ ol a")] == ["First test launch"]
    assert second.h1.get_text(" ", strip=True) == "Northland (page 2 of 2)"
    assert first.select_one(".summary") is not None and second.select_one(".summary") is None
    assert [(a["rel"], a["href"]) for a in second.select(".pager a")] == [(["prev"], "../../index.html")]
    # Search indexes an actor's first page alone.
    assert first.main.has_attr("data-pagefind-body") and not second.main.has_attr("data-pagefind-body")


def test_the_sources_list_goes_on_numbering_on_its_later_pages(tmp_path, monkeypatch):
    newer = "---\ntitle: A later report\noutlet: Example Wire\npublished: 2030-04-11\n---\n"
    files = rendered(tmp_path, monkeypatch, {"content/site.yaml": minimal_site()["content/site.yaml"] + "per_page: 1\n",
                                             "content/sources/2030-04-11-wire.md": newer}, search=False)
    first, second = soup(files, "sources/index.html"), soup(files, "sources/page/2/index.html")
    assert first.select_one("ol.sources").get("start") is None
    assert second.select_one("ol.sources")["start"] == "2"
    assert [a.get_text() for a in second.select("ol.sources cite > a:first-of-type")] == ["Northland tests a rocket"]


class Helpers:
    """Callables of each kind a template may call, which Jinja hands the context or not."""

    def method(self, value):
        return f"method {value}"

    @jinja2.pass_context
    def method_with_context(self, context, name):
        return f"{name}={context.get(name)}"

    def __call__(self, value):
        return f"object {value}"


class ContextObject:
    @jinja2.pass_context
    def __call__(self, context, name):
        return f"object {name}={context.get(name)}"


def stops(value):
    raise StopIteration


CALLS = """\
{% macro item(x) %}[{{ x }}]{% endmacro %}{% macro wrap(x) %}[{{ x }}{{ caller() }}]{% endmacro %}
{% for n in [1, 2] %}{% set m = n * 10 %}{{ plain(n) }} {{ helpers.method(n) }} {{ helpers.method_with_context('m') }}
{{ with_context('m') }} {{ with_environment() }} {{ with_eval_context() }} {{ helpers(n) }} {{ object_('m') }}
{{ item(n) }}{% call wrap(n) %}called {{ n }}{% endcall %} {{ range(n) | list }} {{ dict(a=n) }} {{ 'ab'.upper() }} {{ min(n, 5) }}{% endfor %}
{% block b %}{% set inner = 'b' %}{{ with_context('inner') }} {{ plain('in block') }}{% endblock %}
"""


@pytest.mark.parametrize("context_class", [jinja2.runtime.Context, render.DirectCallContext])
def test_templates_call_helpers_as_jinja_does(context_class):
    env = jinja2.Environment(**render.SYNTAX)
    env.context_class = context_class
    env.globals.update(plain=lambda value: f"plain {value}", helpers=Helpers(), object_=ContextObject(),
                       with_context=jinja2.pass_context(lambda context, name: f"{name}={context.get(name)}"),
                       with_environment=jinja2.pass_environment(lambda environment: environment is env),
                       with_eval_context=jinja2.pass_eval_context(lambda eval_context: eval_context.autoescape),
                       stops=stops, min=min, next=next, iter=iter)
    assert env.from_string(CALLS).render() == (
        "plain 1 method 1 m=10\nm=10 True True object 1 object m=10\n[1][1called 1] [0] {&#39;a&#39;: 1} AB 1"
        "plain 2 method 2 m=20\nm=20 True True object 2 object m=20\n[2][2called 2] [0, 1] {&#39;a&#39;: 2} AB 2"
        "inner=b plain in block")
    for stopping in ("{{ stops(1) }}", "{{ next(iter([])) }}"):
        with pytest.raises(jinja2.UndefinedError, match="StopIteration"):
            env.from_string(stopping).render()


def test_a_mistake_in_a_macro_is_reported_at_its_line(tmp_path, monkeypatch):
    with pytest.raises(ContentError) as caught:
        rendered(tmp_path, monkeypatch, {
            "templates/_mine.html": "{% macro broken(x) %}\n{{ x.nope }}\n{% endmacro %}\n",
            "templates/404.html": "{% from '_mine.html' import broken %}\n{% for n in [1] %}{{ broken(site) }}{% endfor %}\n"})
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("templates/_mine.html", 2)


class Html:
    def __html__(self):
        return "<b>already safe</b>"


OUTPUTS = """\
{% macro shout(x) %}<em>{{ x }}</em>{% endmacro %}{% macro wrap() %}<b>{{ caller() }}</b>{% endmacro %}
{% set kept %}<p>{{ text }}</p>{% endset %}
{{ text }} {{ safe }} {{ html }} {{ number }} {{ none }} {{ text | upper }} {{ text ~ safe }} {{ kept }}
{{ shout(text) }} {% filter upper %}{{ text }}{% endfilter %} {% call wrap() %}{{ text }}{% endcall %}
{% autoescape false %}{{ text }}{% endautoescape %} {% autoescape flag %}{{ text }}{% endautoescape %}
{% for item in [text, safe, html] %}[{{ item }}]{% endfor %} {{ kept | length }} {{ (text ~ '') | length }}
"""


@given(st.text(alphabet="<>&\"'ab é\n", max_size=20))
def test_values_are_escaped_as_markupsafe_escapes_them(text):
    for value in (text, markupsafe.Markup(text), Html(), 42, 2.5, None, [text]):
        assert render.escape_output(value) == str(markupsafe.escape(value))


@pytest.mark.parametrize("flag", [True, False])
def test_templates_escape_their_output_as_jinja_does(flag):
    values = dict(text="<a href='x'>&\"</a>", safe=markupsafe.Markup("<i>ok</i>"), html=Html(), number=3,
                  none=None, flag=flag)
    outputs = {}
    for template_class in (jinja2.Template, render.OutputEscapingTemplate):
        env = jinja2.Environment(**render.SYNTAX)
        env.template_class = template_class
        template = env.from_string(OUTPUTS)
        escaping = template.root_render_func.__globals__["escape"]
        assert escaping is (render.escape_output if template_class is render.OutputEscapingTemplate else markupsafe.escape)
        outputs[template_class] = template.render(**values)
    assert outputs[jinja2.Template] == outputs[render.OutputEscapingTemplate]
    assert "<b>&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;</b>" in outputs[jinja2.Template]  # escaped at all
    with pytest.raises(jinja2.UndefinedError):  # through digest's template class, the last made
        env.from_string("{{ missing }}").render()


def test_the_renderers_templates_escape_with_the_plain_escaper():
    renderer = render.Renderer(None, [render.default_templates_dir()])
    for name in ("launch.html", "_macros.html", "base.html"):
        assert renderer.env.get_template(name).root_render_func.__globals__["escape"] is render.escape_output


def test_a_templates_globals_are_a_dict_of_the_environments_and_its_own():
    env = jinja2.Environment(**render.SYNTAX)
    env.template_class = render.OutputEscapingTemplate
    env.globals["shared"] = "S"
    template = env.from_string("{{ shared }} {{ own }}", globals={"own": "O"})
    assert type(template.globals) is dict  # not Jinja's ChainMap, copied in Python at each render
    assert template.render() == "S O"
    assert "own" not in env.globals
