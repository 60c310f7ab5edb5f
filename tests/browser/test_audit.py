"""The page audit used by the flow tests finds what it is meant to find."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser

from . import audit

GOOD = """<main style="background:#0b5cad;color:#fff;font:16px sans-serif">
  <p>White on blue reads well.</p>
  <button style="min-width:44px;min-height:44px">OK</button>
  <p>A sentence with <a href="/x" style="color:#fff">an inline link</a> in it.</p>
</main>"""
BAD = """<main style="font:16px sans-serif">
  <p style="color:#aaa">Pale grey on white</p>
  <p style="color:#777;font-size:30px">Large grey on white is allowed</p>
  <div style="background:rgba(0,0,0,.5)"><span style="color:#555">Grey on a dark veil</span></div>
  <button style="width:30px;height:30px;padding:0">x</button>
  <a href="/y" style="display:inline-block">Small</a>
</main>"""


def test_a_readable_page_passes(browser_factory: Callable[..., Browser]) -> None:
    page = browser_factory().new_page()
    page.set_content(GOOD)
    assert audit.problems(page) == []


def test_low_contrast_and_small_targets_are_reported(
    browser_factory: Callable[..., Browser],
) -> None:
    page = browser_factory().new_page()
    page.set_content(BAD)
    found = audit.problems(page)
    assert any(p.startswith("contrast 2.32:1") and "Pale grey" in p for p in found), found
    assert any(p.startswith("contrast") and "dark veil" in p for p in found), found
    assert not any("Large grey" in p for p in found), found
    assert any(p.startswith("target 30x30") for p in found), found
    assert any(p.startswith("target") and '"Small"' in p for p in found), found
    assert len(found) == 4, found
