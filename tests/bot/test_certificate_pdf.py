"""The certificate PDF: names in Latin with diacritics, Arabic (shaped, right to left) and
Chinese come out as those characters (read back with pypdf), with the course, the code
and a QR code linking the verification page; figures: render time and size."""

from __future__ import annotations

import io
import statistics
import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pypdf import PdfReader

from bot.views.certificate_pdf import fonts_available, render, verify_url
from domain.certificates import Certificate
from tests.support.report import report

URL = verify_url("https://bot.example.com/", "abcdefghijklmnop")
NAMES = {
    "latin": "Zoë Łukasiewicz-Ødegård",
    "arabic": "فاطمة الزهراء",
    "chinese": "王小明",
}


def certificate(name: str | None) -> Certificate:
    issued = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    return Certificate(
        "abcdefghijklmnop",
        42,
        uuid4(),
        "Tea basics",
        name,
        "2 modules, every topic completed",
        issued,
    )


def text_of(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "")


def test_the_fonts_for_every_script_are_installed() -> None:
    # Debian's fonts-noto-core and fonts-noto-cjk (the Dockerfile and scripts/test.sh install them).
    assert fonts_available() == ["NotoSans", "NotoSansArabic", "NotoSansCJK"]


@pytest.mark.parametrize("script", NAMES)
def test_a_name_in_any_script_is_on_the_certificate(script: str) -> None:
    data = render(certificate(NAMES[script]), URL)
    text = text_of(data)
    # Arabic is laid out right to left: its words come back in visual order.
    for word in NAMES[script].split():
        assert word in text, (script, text)
    assert "Tea basics" in text and "abcdefghijklmnop" in text and "2 December 2026" in text


def test_the_qr_code_and_the_link_open_the_verification_page() -> None:
    assert URL == "https://bot.example.com/verify/abcdefghijklmnop"
    page = PdfReader(io.BytesIO(render(certificate("Ada"), URL))).pages[0]
    links = [a.get_object()["/A"]["/URI"] for a in page["/Annots"]]
    assert links == [URL]
    assert len(page.images) == 1, "the QR code"


def test_an_erased_holder_is_said_so() -> None:
    assert "the holder erased their data" in text_of(render(certificate(None), URL))


def test_render_time_and_size() -> None:
    times, sizes = [], []
    for name in list(NAMES.values()) * 3:
        started = time.perf_counter()
        sizes.append(len(render(certificate(name), URL)))
        times.append(time.perf_counter() - started)
    p95 = statistics.quantiles(times, n=20)[-1]
    report(
        "certificate pdf", renders=len(times), p95_ms=round(p95 * 1000), max_kb=max(sizes) // 1024
    )
    assert max(sizes) < 200 * 1024
