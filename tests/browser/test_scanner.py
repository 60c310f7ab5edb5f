"""static/terminal/scanner.js reads a QR code from the camera (a fake one filming a QR code).

The page is served by Playwright itself (``page.route``) with the two scripts read from disk,
from a ``*.localhost`` origin so that it is a secure context and may open the camera.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://scanner.localhost"
CARD_NUMBER = "123456789012"
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Scanner</title></head>
<body>
  <video id="camera" width="320" height="240"></video>
  <video id="preview" width="320" height="240"></video>
  <p>Decoded: <output id="result"></output></p>
  <script src="/static/vendor/jsqr/jsQR.js"></script>
  <script src="/static/terminal/scanner.js"></script>
</body>
</html>
"""
# Keeps the streams the scanner opens (to check it stops them) and plays a clone of the camera in
# #preview, which outlives the scan, for the screenshot.
WATCH_CAMERA = """
if (navigator.mediaDevices) {
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.cameraStreams = [];
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    window.cameraStreams.push(stream);
    const preview = document.getElementById("preview");
    preview.muted = true;
    preview.srcObject = stream.clone();
    preview.play();
    return stream;
  };
}
"""
START = """(options) => LoyaltyScanner.start(document.getElementById("camera"), (code) => {
  document.getElementById("result").textContent = code;
  document.body.dataset.code = code;
}, options).then(
  () => { document.body.dataset.started = "yes"; },
  (error) => { document.body.dataset.error = error.code + ": " + error.message; },
)"""


def _serve(route: Route) -> None:
    path = "/" + route.request.url.split("/", 3)[3]
    if path == "/scan/":
        route.fulfill(body=PAGE, content_type="text/html; charset=utf-8")
    elif path.startswith("/static/") and path.endswith(".js"):
        route.fulfill(path=STATIC / path.removeprefix("/static/"), content_type="text/javascript")
    else:
        route.fulfill(status=404)


def _scanner_page(browser: Browser, origin: str = ORIGIN) -> Page:
    page = browser.new_page()
    page.add_init_script(WATCH_CAMERA)
    page.route(f"{origin}/**", _serve)
    page.goto(f"{origin}/scan/")
    return page


def test_the_camera_reads_a_qr_code(
    browser_factory: Callable[..., Browser], artifacts: Callable[[Page, str], Path]
) -> None:
    page = _scanner_page(browser_factory(camera_text=CARD_NUMBER))
    assert page.evaluate("LoyaltyScanner.supported()") is True
    native = page.evaluate("'BarcodeDetector' in window")

    page.evaluate(START, {})
    page.wait_for_selector("body[data-code], body[data-error]", state="attached", timeout=15_000)

    assert page.get_attribute("body", "data-error") is None
    assert page.get_attribute("body", "data-code") == CARD_NUMBER
    assert page.get_attribute("#camera", "data-decoder") == (
        "barcode-detector" if native else "jsqr"
    )
    # Debian's Chromium on Linux has no BarcodeDetector: the vendored jsQR did the work.
    assert not native
    # The first code stops the camera.
    assert page.evaluate("document.getElementById('camera').srcObject") is None
    tracks = page.evaluate(
        "cameraStreams.flatMap((stream) => stream.getTracks()).map((track) => track.readyState)"
    )
    assert tracks == ["ended"]
    page.wait_for_function("document.getElementById('preview').readyState >= 2")
    artifacts(page, "decoded")


@pytest.mark.parametrize(
    ("camera_args", "origin", "expected"),
    [
        pytest.param([], ORIGIN, "no_camera: No camera was found on this device.", id="no-camera"),
        pytest.param(
            ["--use-fake-device-for-media-stream"],  # a camera, but nobody grants it
            ORIGIN,
            "denied: Camera access was refused. Allow the camera for this site and try again.",
            id="denied",
        ),
        pytest.param(
            ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
            "http://shop.example",  # plain http off localhost: no camera API at all
            "insecure: The camera is only available on a secure (https) page.",
            id="insecure",
        ),
    ],
)
def test_start_rejects_with_a_message_to_show(
    browser_factory: Callable[..., Browser], camera_args: list[str], origin: str, expected: str
) -> None:
    page = _scanner_page(browser_factory(extra_args=camera_args), origin)

    page.evaluate(START, {})
    page.wait_for_selector("body[data-error], body[data-started]", state="attached")

    assert page.get_attribute("body", "data-error") == expected
    assert page.get_attribute("body", "data-started") is None


def test_the_page_can_translate_the_messages(browser_factory: Callable[..., Browser]) -> None:
    page = _scanner_page(browser_factory())

    page.evaluate(START, {"messages": {"no_camera": "Keine Kamera gefunden."}})
    page.wait_for_selector("body[data-error]", state="attached")

    assert page.get_attribute("body", "data-error") == "no_camera: Keine Kamera gefunden."
