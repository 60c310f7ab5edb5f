"""Browser tests: Playwright driving Debian's Chromium (python-playwright cannot download one).

Fixtures:
- ``chromium_path`` (session): the Chromium binary. Installed with apt-get when missing and we are
  root; the run fails (never skips) when there is still none, since the suite must use a browser.
- ``playwright_instance`` (package, i.e. the whole of tests/browser): a started
  ``sync_playwright()``. While it runs, ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set: Playwright's sync
  API keeps an event loop running in the test thread, and Django would refuse ORM calls (fixtures
  such as ``committed_loyalty`` included) with SynchronousOnlyOperation.
- ``browser_factory``: ``launch(camera_text=None, extra_args=())`` returns a headless Browser.
  With ``camera_text`` the browser's camera is a fake one filming a QR code of that text
  (permission granted, see ``fake_camera``). Every browser launched is closed after the test.
- ``csp_violations``: every Content-Security-Policy violation reported in a browser the test
  launched (Chromium's console message, and the page's ``securitypolicyviolation`` event). The
  test fails when it is not empty at its end, so every page the browser tests visit is proven
  to work under the policy; a test that provokes one on purpose clears the list.
- ``artifacts``: ``shot(page, name)`` saves a full-page screenshot to
  ``test-artifacts/screenshots/<test name>-<name>.png`` and returns its path.

Pages of the project: ``live_server_url`` (tests/conftest.py) serves ``http://localhost:<port>``
and a merchant at ``http://<slug>.localhost:<port>/``; Chromium resolves ``*.localhost`` to
127.0.0.1 itself, and treats it as a secure context (so the camera is allowed on plain http).
Data the server must see is made with ``committed_db`` / ``committed_loyalty``: browser test
modules carry no ``django_db`` mark.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

from .fake_camera import write_y4m

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APT_TIMEOUT = 1800  # seconds, for update and install each
# Chromium logs a refused script, style, image... to the console; the event is reported too, in
# case a violation ever comes without a console line.
CSP_EVENT_PREFIX = "csp-violation:"
REPORT_CSP_EVENTS = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error("{CSP_EVENT_PREFIX} " + event.violatedDirective + " " + event.blockedURI);
}});
"""


def _install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Wait for a concurrent apt/dpkg (another xdist worker, a provisioning script) to finish.
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    for command in (["apt-get", *lock, "update"], ["apt-get", *lock, "install", "-y", "chromium"]):
        subprocess.run(command, check=True, timeout=APT_TIMEOUT, env=env)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _install_chromium()
        path = shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is required for tests/browser: install Debian's package "
            "(apt-get install -y chromium) so that `chromium` is on PATH",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django refuse
    # every ORM call (SynchronousOnlyOperation) although the calls stay synchronous and in one
    # thread. Allowed while Playwright runs; "package" scope stops it (and the override) after the
    # last browser test, so the rest of the suite keeps Django's check.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        yield playwright
        playwright.stop()


@pytest.fixture(scope="session")
def _camera_files(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    folder = tmp_path_factory.mktemp("camera")
    made: dict[str, Path] = {}

    def video_for(text: str) -> Path:
        if text not in made:
            made[text] = write_y4m(folder / f"qr-{len(made)}.y4m", text)
        return made[text]

    return video_for


@pytest.fixture
def csp_violations() -> list[str]:
    return []


def _watch_csp(context: BrowserContext, violations: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith(CSP_EVENT_PREFIX):
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    context.add_init_script(REPORT_CSP_EVENTS)
    context.on("console", on_console)


@pytest.fixture
def browser_factory(
    chromium_path: str,
    playwright_instance: Playwright,
    _camera_files: Callable[[str], Path],
    csp_violations: list[str],
) -> Iterator[Callable[..., Browser]]:
    browsers: list[Browser] = []

    def launch(camera_text: str | None = None, extra_args: Sequence[str] = ()) -> Browser:
        args = [*CHROMIUM_ARGS, *extra_args]
        if camera_text is not None:
            args += [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",  # grants the camera without asking
                f"--use-file-for-fake-video-capture={_camera_files(camera_text)}",
            ]
        browser = playwright_instance.chromium.launch(executable_path=chromium_path, args=args)
        browsers.append(browser)
        new_context = browser.new_context

        def watched_context(**options: Any) -> BrowserContext:
            context = new_context(**options)
            _watch_csp(context, csp_violations)
            return context

        def watched_page(**options: Any) -> Page:
            # A page of its own context: watch that context before the page loads anything.
            context = watched_context(**options)
            page = context.new_page()
            return page

        browser.new_context = watched_context  # type: ignore[method-assign]
        browser.new_page = watched_page  # type: ignore[method-assign]
        return browser

    yield launch
    for browser in browsers:
        browser.close()  # closes its contexts and pages too
    assert csp_violations == [], "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    folder = request.config.rootpath / "test-artifacts" / "screenshots"
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name)

    def shot(page: Page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{test_name}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return shot
