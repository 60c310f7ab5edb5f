"""What the logs contain: no card-page tokens, pass serials, search terms or e-mails."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from common.log_redaction import redact

TOKEN = "tok3n-Secret_9"
SERIAL = "SERIAL-2f9c"
EMAIL = "jane.doe@example.com"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f'"GET /c/{TOKEN}/ HTTP/1.1" 200 512', TOKEN),
        (f'"GET /c/{TOKEN}/qr.svg HTTP/1.1" 200 80', TOKEN),
        (f'"GET /api/v1/loyalty/passes/apple/{SERIAL}.pkpass HTTP/1.1" 200 9', SERIAL),
        (f'"GET /api/v1/loyalty/passes/google/{SERIAL} HTTP/1.1" 302 0', SERIAL),
        ('"GET /api/v1/vendor/loyalty/cards?search=jane%40example.com HTTP/1.1" 200 2', "jane"),
        ('"GET /api/v1/vendor/loyalty/cards?search=Jane+Doe&limit=5 HTTP/1.1" 200 2', "Jane"),
        (f"Not Found: /join/main/?email={EMAIL}", "jane"),
        (f"enrolled {EMAIL}", "jane"),
    ],
)
def test_a_secret_in_a_log_line_is_redacted(line: str, secret: str) -> None:
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


def test_what_is_harmless_stays_readable() -> None:
    line = '"GET /api/v1/vendor/loyalty/cards?limit=50&offset=100 HTTP/1.1" 200 2'
    assert redact(line) == line
    assert redact('"GET /staff/card/1234-5678/ HTTP/1.1" 200 9').endswith("200 9")


RUNSERVER_LOGS = """
import logging

from django.utils.log import configure_logging
from loyalty_saas.settings import base

# What Django does at start-up: its defaults, then the project's LOGGING.
configure_logging("logging.config.dictConfig", base.LOGGING)
logging.getLogger("django.server").info('"%s" %s %s', "GET /c/TOKEN/ HTTP/1.1", "200", "5")
logging.getLogger("django.request").warning("Not Found: %s", "/c/TOKEN/qr.svg")
logging.getLogger("cards").info("enrolled %s", "EMAIL")
"""


def test_development_logs_are_redacted_by_the_configured_handler() -> None:
    # runserver's request lines (django.server), "Not Found: …" warnings (django.request) and
    # the project's own messages, under the base settings' LOGGING (test settings replace it).
    script = RUNSERVER_LOGS.replace("TOKEN", TOKEN).replace("EMAIL", EMAIL)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert '"GET /c/[redacted]/ HTTP/1.1" 200 5' in result.stderr
    assert "Not Found: /c/[redacted]/qr.svg" in result.stderr
    assert "enrolled [redacted]" in result.stderr
    assert TOKEN not in result.stderr and EMAIL not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_access_log_has_no_tokens_or_search_terms(tmp_path: Path) -> None:
    # gunicorn started as the image starts it (its config module), serving a bare WSGI app: the
    # access log does not depend on what the application answers.
    app = tmp_path / "hello_app.py"
    app.write_text(
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n"
    )
    port = _free_port()
    log = tmp_path / "access.log"
    root = Path(settings.BASE_DIR)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hello_app:application",
            "-c",
            "python:loyalty_saas.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        httpx.get(
            f"{base}/c/{TOKEN}/qr.svg", headers={"Referer": f"http://demo.localhost/c/{TOKEN}/"}
        )
        httpx.get(f"{base}/api/v1/vendor/loyalty/cards", params={"search": EMAIL, "limit": 5})
        httpx.get(f"{base}/api/v1/loyalty/passes/apple/{SERIAL}.pkpass")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    text = log.read_text()
    assert re.search(r'"GET /c/\[redacted\]/qr.svg HTTP/1.1" 200', text), text
    assert "search=[redacted]&limit=5" in text
    assert "/passes/apple/[redacted].pkpass" in text
    for secret in (TOKEN, SERIAL, "jane", "example.com"):
        assert secret not in text
