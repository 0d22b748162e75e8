"""The command line: `digest build`, `digest check`, `digest serve`.

main(argv) returns the exit status: 0 success, 1 content errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import BuildOptions, build
from .errors import FORMATS, ContentError, format_problems
from .write import OutputError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="digest", description="Build a static news-digest site from content files.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser("build", help="build the site", description="Validate the content and build the site.")
    add_content_options(build_cmd)
    build_cmd.add_argument("--out", type=Path, default=Path("site"), metavar="DIR",
                           help="output directory (default: site)")
    build_cmd.add_argument("--base-url", metavar="URL", help="public URL of the site, overriding site.yaml")
    build_cmd.add_argument("--drafts", action="store_true", help="include records marked draft: true")

    check_cmd = commands.add_parser("check", help="validate the content, write nothing",
                                    description="Validate every content file and report all problems.")
    add_content_options(check_cmd)
    check_cmd.add_argument("--drafts", action="store_true", help="check as if building with drafts")
    check_cmd.add_argument("--format", choices=FORMATS, default="text",
                           help="text lines on stderr (default), a JSON array or GitHub Actions annotations on stdout")
    return top


def add_content_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                         help="content directory (default: content)")
    command.add_argument("--templates", type=Path, metavar="DIR",
                         help="the site's own templates, overriding the defaults by name "
                              "(default: templates/ beside the content directory, if any)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = BuildOptions(content_dir=args.content, out_dir=getattr(args, "out", Path("site")),
                           base_url=getattr(args, "base_url", None), drafts=args.drafts,
                           templates_dir=args.templates)
    try:
        report = build(options, write=args.command == "build")
    except ContentError as exc:
        style = getattr(args, "format", "text")
        if style != "text":
            print(format_problems(exc.problems, style))
            return 1
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was written.", file=sys.stderr)
        return 1
    except OutputError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "build":
        w = report.written
        print(f"Built {report.pages} pages into {options.out_dir}: {w.written} written, "
              f"{w.unchanged} unchanged, {w.removed} removed in {report.seconds:.2f}s.")
    elif getattr(args, "format", "text") == "json":
        print("[]")
    else:
        print(f"No problems found: {report.pages} pages would be built.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
