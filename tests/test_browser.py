"""The chat in a real browser (Debian's chromium, driven by Playwright) against the real server.

Writes tests/artifacts/chat.png; with CSOBOT_UPDATE_SCREENSHOT=1 also docs/screenshot.png.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (run `make browser`)")
TIMEOUT_MS = 30_000


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server)
            yield page
        finally:
            browser.close()


def test_chat_answers_with_sources_in_the_browser(page):
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_contain_text("Chief Security Officer")
    question = page.locator("#question textarea")
    question.fill("How much does a CSO earn?")
    question.press("Enter")

    answers = page.locator('#chat [data-testid="bot"]')
    expect(answers).to_have_count(1)
    first = answers.first
    expect(first).to_contain_text("[1]")
    expect(first).to_contain_text("$")
    expect(first).to_contain_text("Sources: [1] cso-role.md § Salary")
    expect(question).to_have_value("")

    page.get_by_role("button", name="What skills does a CSO need?").click()
    expect(answers).to_have_count(2)
    second = answers.nth(1)
    expect(second).to_contain_text("cso-role.md § Skills")

    passage = second.locator("details blockquote").filter(has_text="analytical and critical thinking skills")
    expect(passage).to_be_hidden()
    second.locator("details summary").click()
    expect(passage).to_be_visible()
    expect(second.locator("details")).to_contain_text("score 0.")
    passage.scroll_into_view_if_needed()

    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=artifacts / "chat.png")
    if os.environ.get("CSOBOT_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(artifacts / "chat.png", ROOT / "docs" / "screenshot.png")

    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#documents")).to_contain_text("cso-role.md")
    add = expect(page.get_by_role("button", name="Add text and rebuild"))
    add.to_be_enabled() if os.environ.get("CSOBOT_ADMIN_PASSWORD") else add.to_be_disabled()
