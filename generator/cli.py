"""The command line: `digest build`, `digest check`, `digest serve`.

main(argv) returns the exit status: 0 success, 1 content errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import FORMATS, ContentError, Progress, format_problems, no_progress
from .snapshot import LookAhead, cache_path, check_path


def parser(new_kinds: bool = True) -> argparse.ArgumentParser:
    """The command line; `new_kinds`: with the kinds of `digest new` and their flags (importing
    what writes them took 7 ms of every other command)."""
    top = argparse.ArgumentParser(prog="digest", description="Build a static news-digest site from content files.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser("build", help="build the site", description="Validate the content and build the site.")
    add_content_options(build_cmd)
    build_cmd.add_argument("--out", type=Path, default=Path("site"), metavar="DIR",
                           help="output directory (default: site)")
    build_cmd.add_argument("--base-url", metavar="URL", help="public URL of the site, overriding site.yaml")
    build_cmd.add_argument("--drafts", action="store_true", help="include records marked draft: true")
    build_cmd.add_argument("--clean", action="store_true",
                           help="ignore the build cache and render every page (the result is the same)")
    build_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors and warnings")
    build_cmd.add_argument("--no-search", dest="search", action="store_false",
                           help="skip the Pagefind search index (the search page then says search is unavailable)")

    check_cmd = commands.add_parser("check", help="validate the content, write nothing",
                                    description="Validate every content file and report all problems.")
    add_content_options(check_cmd)
    check_cmd.add_argument("--drafts", action="store_true", help="check as if building with drafts")
    check_cmd.add_argument("--format", choices=FORMATS, default="text",
                           help="text lines on stderr (default), a JSON array or GitHub Actions annotations on stdout")
    add_editor_commands(commands, new_kinds)

    serve_cmd = commands.add_parser("serve", help="preview the site with live reload",
                                    description="Build into .digest-cache/preview/ (kept for the next "
                                                "preview), serve it on 127.0.0.1 and rebuild and reload the "
                                                "browser on every save.")
    add_content_options(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000,
                           help="port to listen on; if taken, the next free one (default: 8000)")
    serve_cmd.add_argument("--no-drafts", dest="drafts", action="store_false",
                           help="hide records marked draft: true (shown by default)")
    serve_cmd.add_argument("--open", action="store_true", help="open the preview in a web browser")
    serve_cmd.add_argument("--search", action="store_true",
                           help="also build the Pagefind search index on every rebuild (slower; off by default)")
    return top


def terminal_progress(quiet: bool) -> Progress:
    """Progress bars on stderr, shown only on a terminal and only once a stage passes a second."""
    if quiet or not sys.stderr.isatty():
        return no_progress
    from tqdm import tqdm  # only here: importing it took 6-17 ms of every command

    return lambda stage, total: tqdm(total=total, desc=stage, unit=" files", delay=1.0, leave=False,
                                     file=sys.stderr)


def add_content_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                         help="content directory (default: content)")
    command.add_argument("--templates", type=Path, metavar="DIR",
                         help="the site's own templates, overriding the defaults by name "
                              "(default: templates/ beside the content directory, if any)")


def add_editor_commands(commands, new_kinds: bool) -> None:
    """`digest new KIND` (its kinds named only with `new_kinds`) and `digest import`."""
    new_cmd = commands.add_parser("new", help="start a new launch, source or actor file",
                                  description="Write a new content file from flags, asking for what is missing. "
                                              "It never overwrites a file.")
    kinds = new_cmd.add_subparsers(dest="record", required=True, metavar="KIND")
    if new_kinds:
        add_new_kinds(kinds)

    import_cmd = commands.add_parser("import", help="start a source file from a pasted article",
                                     description="Read the plain text of an article (a file, or - for standard "
                                                 "input) and write a source file with its metadata and quotes. "
                                                 "The summary is left for you to write. It never overwrites a file.")
    import_cmd.add_argument("file", metavar="FILE", help="the article as plain text, or - to read standard input")
    import_cmd.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                            help="content directory (default: content)")
    for name, what in (("title", "the headline"), ("outlet", "the outlet"), ("published", "the date (YYYY-MM-DD)"),
                       ("url", "the article's URL")):
        import_cmd.add_argument(f"--{name}", metavar="TEXT", help=f"{what}, when the text lacks it or gets it wrong")


def add_new_kinds(kinds) -> None:
    """Each kind of `digest new`, with one flag per question of that kind."""
    from . import scaffold

    for kind, questions in scaffold.QUESTIONS.items():
        kind_cmd = kinds.add_parser(kind, help=f"a new {kind} file", description=f"Write a new {kind} file.")
        kind_cmd.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                              help="content directory (default: content)")
        for q in questions:
            kind_cmd.add_argument(f"--{q.name}", action="append" if q.many else "store", metavar="TEXT",
                                  help=q.prompt + (" (repeatable)" if q.many else ""))


def new_command(args: argparse.Namespace) -> int:
    """`digest new KIND`: write the file; 1 if it exists, 2 if a value is missing or wrong."""
    from . import scaffold

    if not args.content.is_dir():
        print(f"digest: error: content directory {args.content} not found (pass --content DIR)", file=sys.stderr)
        return 2
    given = {q.name: getattr(args, q.name) for q in scaffold.QUESTIONS[args.record]}
    try:
        values = scaffold.answers(args.record, given, scaffold.known_ids(args.content), ask_line)
        path = scaffold.create(args.content, scaffold.draft(args.record, values))
    except scaffold.ScaffoldError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, scaffold.Exists) else 2
    print(f"Wrote {path}. Fill in its TODO placeholders: `digest check` reports them until you do.")
    return 0


def import_command(args: argparse.Namespace) -> int:
    """`digest import FILE`: write a source file from an article's text; report what was not found."""
    from . import importer, scaffold

    if not args.content.is_dir():
        print(f"digest: error: content directory {args.content} not found (pass --content DIR)", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
        published = scaffold.iso_date(args.published, None) if args.published else None
        url = scaffold.web_url(args.url, None) if args.url else None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return 2
    result = importer.import_article(text, importer.load_cast(args.content), args.title, args.outlet, published, url)
    print(importer.report(result))
    if result.draft is None:
        needed = [f"--{name}" for name in ("outlet", "published") if name in result.missing]
        print(f"digest: error: the file name needs them: pass {' and '.join(needed)}", file=sys.stderr)
        return 2
    try:
        path = scaffold.create(args.content, result.draft)
    except scaffold.ScaffoldError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, scaffold.Exists) else 2
    print(f"Wrote {path}. Write the summary in your own words where it says TODO, check the quotes, "
          "then run `digest check`.")
    return 0


def missing_directory(args: argparse.Namespace) -> str:
    """What is wrong with --content or --templates, or an empty string."""
    if not args.content.is_dir():
        return f"content directory {args.content} not found (run from the site's folder or pass --content DIR)"
    if args.templates and not args.templates.is_dir():
        return f"templates directory {args.templates} not found"
    return ""


def ask_line(prompt: str) -> str | None:
    """Ask on stderr, read one line of stdin; None at the end of input."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    return line.rstrip("\n") if line else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(new_kinds=argv[:1] == ["new"]).parse_args(argv)
    if args.command in ("build", "check", "serve") and (missing := missing_directory(args)):
        print(f"digest: error: {missing}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from .serve import ServeOptions, serve  # the server's imports are only needed here

        return serve(ServeOptions(args.content, args.templates, args.host, args.port, args.drafts, args.open,
                                  args.search))
    if args.command == "new":
        return new_command(args)
    if args.command == "import":
        return import_command(args)
    ahead = look_ahead(args)
    try:
        return build_command(args, ahead)
    finally:
        if ahead:
            ahead.close()


def look_ahead(args: argparse.Namespace) -> LookAhead | None:
    """The snapshot of the files a build or check looks at first, taken in another process while this one
    imports the rest."""
    if args.command == "build":
        return LookAhead(cache_path(args.content, args.out), args.out)
    store = check_path(args.content)
    return LookAhead(store) if store else None


def build_command(args: argparse.Namespace, ahead: LookAhead | None) -> int:
    """`digest build` or `digest check`."""
    from .build import BuildOptions, build, check
    from .write import OutputError

    options = BuildOptions(content_dir=args.content, out_dir=getattr(args, "out", Path("site")),
                           base_url=getattr(args, "base_url", None), drafts=args.drafts,
                           templates_dir=args.templates, search=getattr(args, "search", False))
    if args.command == "build" and not options.search:
        print("digest: warning: --no-search: building without a search index; "
              "the search page will say that search is unavailable", file=sys.stderr)
    try:
        progress = terminal_progress(quiet=getattr(args, "quiet", False))
        if args.command == "check":
            report = check(options, progress, look=ahead)
        else:
            report = build(options, incremental=not args.clean, progress=progress, look=ahead)
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
        if not args.quiet:
            w = report.written
            print(f"Built {report.pages} pages into {options.out_dir}: {w.written} written, "
                  f"{w.unchanged} unchanged, {w.removed} removed in {report.seconds:.2f}s.")
    elif getattr(args, "format", "text") == "json":
        print("[]")
    else:
        print(f"No problems found: {report.pages} pages would be built.")
    return 0


def run() -> None:
    """The `digest` command: main(), then out of the process at once, as mypy does, not freeing
    every object a build made one by one (~0.01 s of a rebuild after an edit at 10,000 launches),
    unless a thread Python would wait for is still at work."""
    try:
        status = main()
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback; then out as Ctrl-C ends a program
        print("digest: stopped (Ctrl-C)", file=sys.stderr)
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        raise
    import threading  # only now, not before the look ahead forks: by now a build has imported it

    if any(not thread.daemon for thread in threading.enumerate() if thread is not threading.main_thread()):
        sys.exit(status)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `digest build | head`: what was not read is lost either way
        pass
    os._exit(status)


if __name__ == "__main__":
    run()
