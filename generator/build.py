"""The whole pipeline: load -> validate -> link -> plan -> render -> write.

Everything is read and checked before anything is written; any problem stops
the build with the list of all problems and leaves the output untouched.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .errors import ContentError, Problem, display_path
from .link import Site, link
from .load import load_content
from .render import Renderer, default_templates_dir
from .routes import PageSpec, plan
from .validate import validate
from .write import WriteReport, check_output_dir, safe_relative, write_site


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("site")
    base_url: str | None = None
    drafts: bool = False
    templates_dir: Path | None = None  # the site's own templates; defaults fill the gaps


@dataclass(frozen=True)
class BuildReport:
    pages: int
    files: dict[str, bytes]
    written: WriteReport | None  # None when nothing was written (check)
    seconds: float


def build(options: BuildOptions, write: bool = True) -> BuildReport:
    """Build the site; raise ContentError (bad content) or OutputError (bad --out)."""
    started = time.perf_counter()
    if write:
        check_output_dir(options.out_dir, options.content_dir)
    site = load_site(options.content_dir, options.base_url, options.drafts)
    pages = plan(site)
    check_unique_paths(pages)
    dirs = template_dirs(options)
    files = render_pages(Renderer(site, dirs), pages, options.content_dir)
    files.update(static_files(dirs))
    report = write_site(files, options.out_dir) if write else None
    return BuildReport(len(pages), files, report, time.perf_counter() - started)


def load_site(content_dir: Path, base_url: str | None = None, drafts: bool = False) -> Site:
    """Load, validate and link the content; raise ContentError listing every problem."""
    if not content_dir.is_dir():
        raise ContentError([Problem(str(content_dir), 1, 1, "", "content directory not found",
                                    "run from the site's folder or pass --content DIR")])
    return link(validate(load_content(content_dir), base_url), include_drafts=drafts)


def template_dirs(options: BuildOptions) -> list[Path]:
    """The site's templates (explicit, or `templates/` beside the content) before the defaults."""
    default = default_templates_dir()
    own = options.templates_dir or options.content_dir.parent / "templates"
    if own.is_dir() and own.resolve() != default.resolve():
        return [own, default]
    return [default]


def check_unique_paths(pages: list[PageSpec]) -> None:
    seen: dict[str, PageSpec] = {}
    problems = []
    for page in pages:
        safe_relative(page.path)
        if page.path in seen:
            problems.append(Problem(page.origin or seen[page.path].origin or "content", 1, 1, "aliases",
                                    f"two pages would be written to {page.path}", "remove or change the alias"))
        seen[page.path] = page
    if problems:
        raise ContentError(problems)


def render_pages(renderer: Renderer, pages: list[PageSpec], content_dir: Path) -> dict[str, bytes]:
    """Render every page; template mistakes become problems at the template's line."""
    try:
        return {page.path: renderer.render(page) for page in pages}
    except jinja2.TemplateSyntaxError as exc:
        where = display_path(Path(exc.filename), content_dir) if exc.filename else exc.name or "template"
        raise ContentError([Problem(where, exc.lineno or 1, 1, "", f"template error: {exc.message}")]) from None
    except (jinja2.TemplateError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # A site's own template failed while rendering: point at its innermost template line.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml"))]
        where = (display_path(Path(frames[-1].filename), content_dir), frames[-1].lineno) if frames else ("templates", 1)
        raise ContentError([Problem(where[0], where[1] or 1, 1, "", f"template error: {exc}")]) from None


def static_files(dirs: list[Path]) -> dict[str, bytes]:
    """Files under each templates dir's static/, the site's own winning by name."""
    files: dict[str, bytes] = {}
    for base in reversed(dirs):
        static = base / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(static).parts):
                files["static/" + path.relative_to(static).as_posix()] = path.read_bytes()
    return files
