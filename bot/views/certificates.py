"""Certificates as the learner sees them in the chat, and the public verification page.

The page shows the name, the course and the date only (and when a revoked certificate
was revoked); everything on it is escaped, and it loads nothing from elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.views.screen import Screen, button
from domain.certificates import NAME_LIMIT, Certificate, Status, Verification

ERASED = "Issued; the holder erased their data"


def _day(at: datetime) -> str:
    return at.strftime("%-d %B %Y")


def caption(certificate: Certificate, url: str) -> str:
    return (
        f"🎓 <b>Your certificate: {escape(certificate.course_name)}</b>\n"
        f"Code <code>{certificate.code}</code> — anyone can check it at {escape(url)}"
    )


def file_name(certificate: Certificate) -> str:
    return f"certificate-{certificate.code}.pdf"


def listing(certificates: list[Certificate], name: str) -> Screen:
    lines = ["🎓 <b>Your certificates</b>", ""]
    rows = []
    if not certificates:
        lines.append("None yet: complete a course and its certificate arrives here.")
    for c in certificates:
        state = f" — revoked {_day(c.revoked_at)}" if c.revoked_at else ""
        lines.append(
            f"• {escape(c.course_name)}, {_day(c.issued_at)}: <code>{c.code}</code>{state}"
        )
        if not c.revoked:
            rows.append([button(f"📄 {c.course_name[:40]}", "certificate_resend", code=c.code)])
    lines += [
        "",
        f"Name on new certificates: <b>{escape(name)}</b>",
        f"Change it with /certificate_name Your Name (up to {NAME_LIMIT} characters).",
    ]
    return Screen("\n".join(lines), rows)


def name_set(name: str) -> Screen:
    return Screen(
        f"Your certificates will carry the name <b>{escape(name)}</b>.\n"
        "Certificates issued before keep the name they were issued with."
    )


def verified(found: Verification) -> Screen:
    """The chat's answer to /verify CODE and the verify_ deep link."""
    match found.status:
        case Status.UNKNOWN:
            return Screen("❓ <b>Unknown code</b>: no certificate has this code.")
        case Status.VALID:
            head = "✅ <b>Valid certificate</b>"
        case Status.REVOKED:
            head = "⛔ <b>Revoked certificate</b>"
    lines = [head, *_facts(found)]
    return Screen("\n".join(escape(line) if i else line for i, line in enumerate(lines)))


def verify_usage() -> Screen:
    return Screen("Send the code printed on the certificate: /verify CODE")


def _facts(found: Verification) -> list[str]:
    holder = found.holder_name if found.holder_name is not None else ERASED
    assert found.issued_at is not None and found.course_name is not None
    lines = [
        f"Holder: {holder}",
        f"Course: {found.course_name}",
        f"Issued: {_day(found.issued_at)}",
    ]
    if found.revoked_at is not None:
        lines.append(f"Revoked: {_day(found.revoked_at)}")
    return lines


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
  padding: 0 1rem; color: #212529; }}
.status {{ font-size: 1.6rem; font-weight: bold; }}
.valid {{ color: #1a7f37; }} .revoked {{ color: #b42318; }} .unknown {{ color: #6c757d; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }}
dt {{ font-weight: bold; }}
</style></head>
<body><h1>Certificate check</h1>
{body}
<form method="get" action="/verify">
<label for="code">Certificate code</label>
<input id="code" name="code" maxlength="64" autocomplete="off" value="{code}">
<button type="submit">Check</button>
</form></body></html>
"""


def page(found: Verification | None, code: str = "") -> str:
    """The verification page; None: the empty form."""
    shown_code = escape(code[:64])
    if found is None:
        body = "<p>Type the code printed on a certificate to check it.</p>"
        return _PAGE.format(title="Certificate check", body=body, code="")
    if found.status is Status.UNKNOWN:
        body = (
            '<p id="status" class="status unknown">Unknown code</p>'
            "<p>No certificate has this code. Check it for typing mistakes.</p>"
        )
        return _PAGE.format(title="Unknown certificate", body=body, code=shown_code)
    words = {Status.VALID: "Valid certificate", Status.REVOKED: "Revoked certificate"}
    facts = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
        for k, v in (line.split(": ", 1) for line in _facts(found))
    )
    body = (
        f'<p id="status" class="status {found.status.value}">{words[found.status]}</p>'
        f'<dl id="facts">{facts}</dl>'
    )
    if found.status is Status.REVOKED:
        body += "<p>This certificate was revoked and no longer attests the completion.</p>"
    return _PAGE.format(title=words[found.status], body=body, code=shown_code)
