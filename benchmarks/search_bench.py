"""What a reader's search costs: the search index in one bundle against the shards `digest build` makes.

Builds run.py's corpus of N launches twice with the search index, as `digest build`
does (past 2,000 pages, in shards) and with every page in one bundle, serves both on
localhost and searches each in headless Chromium (/usr/bin/chromium), a fresh
browser context per search, taking turns. For each query it prints the median time
from opening /search/?q=... to the first result shown, the requests and kilobytes that
took, whether both found as many results, how many of one bundle's first ten results
the shards also rank first ten, and the scores of the first and tenth result of each
(Pagefind's own, through its JavaScript API): results whose scores are nearly equal
may come in another order when each shard scores with its own word statistics.
Usage: python benchmarks/search_bench.py [--launches 10000] [--reps 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import run

CHROMIUM = "/usr/bin/chromium"
ONE_BUNDLE = "from generator import routes, cli; routes.SEARCH_SHARD_PAGES = 10**9; raise SystemExit(cli.main())"
SCORES = """async ([query, bundles]) => {
  const pagefind = await import(bundles[0] + 'pagefind.js');
  await pagefind.options({baseUrl: '/'});
  for (const bundle of bundles.slice(1)) await pagefind.mergeIndex(bundle, {baseUrl: '/'});
  const found = await pagefind.search(query);
  return found.results.slice(0, 10).map(result => result.score);
}"""


def build(content: Path, out: Path, one_bundle: bool) -> None:
    """Build with the search index (again, quickly, when built before)."""
    args = ["build", "--content", str(content), "--out", str(out), "--quiet"]
    command = [sys.executable, "-c", ONE_BUNDLE, *args] if one_bundle else [sys.executable, "-m", "generator", *args]
    subprocess.run(command, check=True, cwd=run.REPO)


def serve(root: Path) -> str:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def bundles(site: Path) -> list[str]:
    """The site's search bundles as URL paths, the first one first."""
    found = sorted(p.parent.relative_to(site).as_posix() for p in site.glob("pagefind/**/pagefind-entry.json"))
    return [f"/{path}/" for path in found]


def queries(content: Path) -> list[str]:
    """Words of the corpus: one nearly every page has, an actor's name, and words of a launch's title."""
    launches = sorted((content / "launches").glob("*.md"))
    name = front_matter_value(sorted((content / "actors").glob("*.yaml"))[0], "name")
    title = front_matter_value(launches[len(launches) // 2], "title")
    return ["missile", name, " ".join(title.split()[:2]), title]


def front_matter_value(path: Path, key: str) -> str:
    """A top-level text field of a file the corpus wrote (one line, maybe quoted)."""
    line = next(line for line in path.read_text().splitlines() if line.startswith(f"{key}:"))
    return line.split(":", 1)[1].strip().strip('"')


def search(browser, base: str, query: str) -> tuple[float, int, float, str, list[str]]:
    """Seconds to the first result, requests, KB, Pagefind's message, and the first ten results' paths."""
    context = browser.new_context()
    sizes: list[int] = []
    context.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]))
    page = context.new_page()
    started = time.perf_counter()
    page.goto(base + "search/?q=" + query.replace(" ", "+"))
    page.wait_for_selector(".pagefind-ui__result-link", timeout=120_000)
    seconds = time.perf_counter() - started
    message = page.inner_text(".pagefind-ui__message")
    first = page.eval_on_selector_all(".pagefind-ui__result-link",
                                      "links => links.slice(0, 10).map(a => new URL(a.href).pathname)")
    context.close()
    return seconds, len(sizes), sum(sizes) / 1024, message, first


def scores(browser, base: str, site: Path, query: str) -> list[float]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "index.html")
    found = page.evaluate(SCORES, [query, bundles(site)])
    context.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3, help="searches per query and site")
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    content = run.prepare(args.launches, args.work) / "digest" / "content"
    sites = {"shards": args.work / str(args.launches) / "search-shards",
             "one bundle": args.work / str(args.launches) / "search-one"}
    for name, site in sites.items():
        print(f"Building {site} ({name}) ...", flush=True)
        build(content, site, one_bundle=name == "one bundle")
    bases = {name: serve(site) for name, site in sites.items()}
    print(f"{args.launches:,} launches; bundles: "
          + ", ".join(f"{name} {len(bundles(site))}" for name, site in sites.items()))
    print("| query | results | one bundle: s, requests, KB | shards: s, requests, KB | same first ten "
          "| scores 1st, 10th: one bundle | shards |")
    print("|---|---:|---|---|---:|---|---|")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        for query in queries(content):
            runs: dict[str, list] = {name: [] for name in sites}
            for rep in range(args.reps):
                for name in (list(sites) if rep % 2 == 0 else list(reversed(sites))):
                    runs[name].append(search(browser, bases[name], query))
            one, shards = runs["one bundle"], runs["shards"]
            counts = {r[3] for r in one} | {r[3] for r in shards}
            same = len(set(one[0][4]) & set(shards[0][4]))
            top = {name: scores(browser, bases[name], sites[name], query) for name in sites}
            cells = [f"{statistics.median(r[i] for r in rs):.{d}f}" for rs in (one, shards) for i, d in ((0, 2), (1, 0), (2, 0))]
            print(f"| {query} | {' / '.join(sorted(counts))} | {', '.join(cells[:3])} | {', '.join(cells[3:])} | "
                  f"{same} of 10 | " + " | ".join(f"{s[0]:.3f}, {s[-1]:.3f}" for s in (top["one bundle"], top["shards"]))
                  + " |", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
