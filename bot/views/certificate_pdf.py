"""A certificate as a one-page A4 landscape PDF (fpdf2) with a QR code (segno) that opens
its verification page.

Names in any script: Noto Sans for Latin, Greek and Cyrillic, with Noto Sans Arabic and
Noto Sans CJK as fallbacks (Debian's `fonts-noto-core` and `fonts-noto-cjk`); text shaping
(uharfbuzz) joins Arabic letters and writes them right to left. Fonts are looked up under
`FONT_DIRS`; without Noto the PDF is still made, in a core font, with characters it
cannot show replaced by "?" (the Dockerfile and `scripts/test.sh` install the fonts).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import segno
from fpdf import FPDF

from domain.certificates import Certificate

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
_FONTS = {  # family -> (style -> file), the first family is the main one
    "NotoSans": {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"},
    "NotoSansArabic": {"": "NotoSansArabic-Regular.ttf", "B": "NotoSansArabic-Bold.ttf"},
    "NotoSansCJK": {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"},
}
_CJK_SC = 2  # Noto Sans CJK's collection: JP, KR, SC, TC, HK
INK = (33, 37, 41)
ACCENT = (26, 95, 122)


@cache
def _font_files() -> dict[str, dict[str, Path]]:
    found: dict[str, dict[str, Path]] = {}
    for family, styles in _FONTS.items():
        paths = {}
        for style, name in styles.items():
            path = next((d / name for d in FONT_DIRS if (d / name).is_file()), None)
            if path is not None:
                paths[style] = path
        if "" in paths:
            found[family] = paths
    return found


def fonts_available() -> list[str]:
    """The font families found (the main one first, when there)."""
    return list(_font_files())


def verify_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{code}"


def render(certificate: Certificate, url: str) -> bytes:
    """The PDF; `url` is the verification page the QR code opens."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate: {certificate.course_name}")
    pdf.set_creator("Tutorbot")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    family = _setup_fonts(pdf, f"{certificate.holder_name or ''}{certificate.course_name}")
    safe = (lambda s: s) if family != "helvetica" else _latin1

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, pdf.w - 28, pdf.h - 28)

    pdf.set_text_color(*ACCENT)
    pdf.set_font(family, "B", 34)
    pdf.set_y(34)
    pdf.cell(0, 16, "Certificate of completion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font(family, "", 14)
    pdf.ln(6)
    pdf.cell(0, 8, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "B", 30)
    holder = certificate.holder_name or "(the holder erased their data)"
    pdf.cell(0, 16, safe(holder), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "", 14)
    pdf.cell(0, 8, "has completed the course", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "B", 22)
    pdf.multi_cell(0, 11, safe(certificate.course_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "", 12)
    issued = certificate.issued_at.strftime("%-d %B %Y")
    pdf.cell(0, 7, safe(f"on {issued} · {certificate.score}"), align="C")

    qr = segno.make(url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=8, border=2)
    size = 38
    x, y = pdf.w - 24 - size, pdf.h - 24 - size
    pdf.image(png, x=x, y=y, w=size, h=size)
    pdf.set_font(family, "", 10)
    pdf.set_xy(24, pdf.h - 40)
    pdf.cell(0, 6, f"Verification code: {certificate.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(24)
    pdf.cell(0, 6, safe(f"Check it at {url}"), link=url)
    return bytes(pdf.output())


def _needed(text: str) -> set[str]:
    """The fallback families the text needs: loading a CJK font takes most of a render."""
    needed = {"NotoSans"}
    for ch in text:
        point = ord(ch)
        if 0x0600 <= point <= 0x08FF or 0xFB50 <= point <= 0xFEFF:
            needed.add("NotoSansArabic")
        elif point >= 0x2E80:
            needed.add("NotoSansCJK")
    return needed


def _setup_fonts(pdf: FPDF, text: str) -> str:
    files = _font_files()
    if "NotoSans" not in files:
        return "helvetica"
    needed = _needed(text)
    files = {family: styles for family, styles in files.items() if family in needed}
    for family, styles in files.items():
        number = _CJK_SC if family == "NotoSansCJK" else 0
        for style, path in styles.items():
            pdf.add_font(family, style, path, collection_font_number=number)
        if "B" not in styles:  # bold falls back to the regular face
            pdf.add_font(family, "B", styles[""], collection_font_number=number)
    pdf.set_fallback_fonts([f for f in files if f != "NotoSans"], exact_match=False)
    pdf.set_text_shaping(True)
    return "NotoSans"


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
