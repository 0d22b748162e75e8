"""The live preview in a real browser: save, and the open page follows by itself.

Starts `digest serve` on a copy of a small site, opens a launch page in headless
Chromium and never reloads it: livereload does. Waits are bounded, on what shows.
"""

from __future__ import annotations

from tests.test_serve_cli import LAUNCH, PAGE, save, serving

TIMEOUT_MS = 60_000
CONNECTED = "() => window.LiveReload !== undefined && window.LiveReload.connector.protocol >= 7"


def open_launch_page(browser, served):
    """The launch page in a new tab, once livereload is listening."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(served.url + PAGE)
    page.wait_for_function(CONNECTED)
    return page


def test_the_open_page_follows_saves_errors_and_fixes(site_dir, browser):
    launch = site_dir / LAUNCH
    good = launch.read_text()
    with serving(site_dir) as served:
        page = open_launch_page(browser, served)
        assert page.locator("h1").inner_text() == "First test launch"

        # An edit to the narrative appears on the open page.
        save(launch, good.replace("fired a rocket.", "fired a rocket before sunrise."))
        page.get_by_text("fired a rocket before sunrise.").wait_for()
        page.wait_for_function(CONNECTED)

        # Broken front matter: the page turns into the list of problems, at the same address.
        save(launch, good.replace("date: 2030-03-01", "date: 2030-02-30"))
        problem = page.locator("code.problem").first
        problem.wait_for()
        assert problem.inner_text().startswith(f"{LAUNCH}:3:7: error: date:")
        assert "date: 2030-02-30" in page.locator("li pre").first.inner_text()  # the offending line itself
        assert page.url == served.url + PAGE
        page.wait_for_function(CONNECTED)

        # Fixed: back to the launch page it was on, with the latest text.
        save(launch, good.replace("fired a rocket.", "fired a rocket, fixed."))
        page.get_by_text("fired a rocket, fixed.").wait_for()
        assert page.url == served.url + PAGE
        assert page.locator("h1").inner_text() == "First test launch"
        assert page.locator("code.problem").count() == 0

        # Ctrl-C with the page still connected: a clean stop.
        page.wait_for_function(CONNECTED)
        assert served.stop() == 0
        errors = served.err.rest()
        assert "Traceback" not in errors and "Task was destroyed" not in errors, errors
        page.close()


def test_a_page_that_was_loading_during_a_rebuild_catches_up(site_dir, browser):
    launch = site_dir / LAUNCH
    good = launch.read_text()
    with serving(site_dir) as served:
        page = open_launch_page(browser, served)

        # Hold back livereload.js on the next load, so the page connects only after a later rebuild.
        held, holding = [], [True]

        def hold_back(route):
            if holding[0]:
                held.append(route)
            else:
                route.continue_()

        page.route("**/livereload.js*", hold_back)
        save(launch, good.replace("fired a rocket.", "fired a rocket, first edit."))
        page.get_by_text("fired a rocket, first edit.").wait_for()  # reloaded, not yet listening
        save(launch, good.replace("fired a rocket.", "fired a rocket, second edit."))
        served.out.wait_for(rf"{LAUNCH} modified: built")
        served.out.wait_for(rf"{LAUNCH} modified: built")  # the second rebuild is done; its news went out
        assert held  # the page did ask for it, and is not listening yet
        holding[0] = False
        for route in held:
            route.continue_()

        page.get_by_text("fired a rocket, second edit.").wait_for()
        page.close()
