"""The verification page as a person sees it, in headless Chromium (Debian's `chromium`
and `chromium-driver`, driven by Selenium): a learner completes the course in the chat,
its certificate's code opens as valid; revoked by staff, the same page says revoked; a
made-up code is unknown; the form checks a typed code.

Skips only where no Chromium is installed (`scripts/test.sh` installs it, so CI never skips)."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from bot.context import Services
from tests.e2e import test_ratings
from tests.e2e.test_ratings import complete_the_course
from tests.support import Dialogue
from tests.support.certificates import verify_server

tea = test_ratings.tea  # the tiny course without quizzes: reading its topics completes it

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,800",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if CHROMIUM is None or DRIVER is None:
        pytest.skip(
            "no Chromium here: apt-get install chromium chromium-driver (scripts/test.sh does)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(DRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def seen(browser: webdriver.Chrome, url: str) -> tuple[str, str]:
    """Open `url`; the status line and the whole visible text."""
    browser.get(url)
    return browser.find_element(By.ID, "status").text, browser.find_element(
        By.TAG_NAME, "body"
    ).text


async def test_a_certificate_from_the_chat_checks_out_in_chromium(
    talk, tea, services: Services, browser: webdriver.Chrome
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/certificate_name Zoë Łukasiewicz-Ødegård")
    await complete_the_course(ada)
    [certificate] = [m for m in ada.messages if m.document is not None]
    found = re.search(r"/verify/([A-Za-z0-9_-]{16})", certificate.content)
    assert found, certificate.content
    code = found.group(1)
    await ada.send(f"/verify {code}")
    assert "✅ Valid certificate" in ada.last.text

    async with verify_server(services) as site:
        status, body = await asyncio.to_thread(seen, browser, f"{site}/verify/{code}")
        assert status == "Valid certificate"
        assert "Zoë Łukasiewicz-Ødegård" in body and "Tea basics" in body
        assert re.search(r"Issued\s+\d{1,2} [A-Z][a-z]+ 20\d\d", body), body

        status, body = await asyncio.to_thread(seen, browser, f"{site}/verify/{'Q' * 16}")
        assert status == "Unknown code" and "No certificate has this code" in body

        def typed() -> tuple[str, str]:
            browser.get(f"{site}/verify")
            browser.find_element(By.ID, "code").send_keys(code)
            browser.find_element(By.TAG_NAME, "button").click()
            # The click starts a navigation; the answer page is the one with a status.
            status = WebDriverWait(browser, 10).until(
                expected_conditions.presence_of_element_located((By.ID, "status"))
            )
            return status.text, browser.current_url

        status, landed = await asyncio.to_thread(typed)
        assert status == "Valid certificate" and landed.endswith(f"/verify?code={code}")

        admin: Dialogue = talk(1, "Root")
        await admin.send(f"/certificate revoke {code} issued in error")
        assert "is revoked" in admin.last.text
        status, body = await asyncio.to_thread(seen, browser, f"{site}/verify/{code}")
        assert status == "Revoked certificate"
        assert "no longer attests" in body and "Zoë Łukasiewicz-Ødegård" in body
