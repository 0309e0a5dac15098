"""Certificates as a learner, a verifier and staff live them: completing a course brings
one PDF whose code checks out in the chat (and on the web page: tests/bot/transport);
completing again issues nothing; staff revoke and reissue; /deleteme leaves a
certificate without its holder's name."""

from __future__ import annotations

import io
import re
from uuid import UUID

import asyncpg
from pypdf import PdfReader

from bot.callbacks import action
from bot.emulator import BotApiEmulator, ChatMessage
from tests.e2e import test_ratings
from tests.e2e.test_ratings import complete_the_course
from tests.support import Dialogue

tea = test_ratings.tea  # the tiny course without quizzes: reading its topics completes it

NAME = "Zoë Łukasiewicz-Ødegård"


def code_of(message: ChatMessage) -> str:
    found = re.search(r"Code ([A-Za-z0-9_-]{16,32})", message.content)
    assert found, message.content
    return found.group(1)


def pdf_text(emulator: BotApiEmulator, message: ChatMessage) -> str:
    assert message.document is not None and message.document["file_name"].endswith(".pdf")
    data = emulator.files[message.document["file_id"]].data
    assert data is not None and data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def documents(chat: Dialogue) -> list[ChatMessage]:
    return [m for m in chat.messages if m.document is not None]


async def test_completing_a_course_brings_one_certificate_that_verifies(
    talk,
    tea: UUID,
    pool: asyncpg.Pool,
    emulator: BotApiEmulator,
) -> None:
    ada: Dialogue = talk(42, "Ada", last_name="Lovelace")
    await ada.send("/certificates")
    assert "None yet" in ada.last.text
    assert "Name on new certificates: <b>Ada Lovelace</b>" in ada.last.html
    await ada.send("/certificate_name " + "x" * 81)
    assert "at most 80 characters; yours has 81" in ada.last.text
    await ada.send(f"/certificate_name   {NAME}  ")
    assert f"Your certificates will carry the name {NAME}." in ada.last.text

    await complete_the_course(ada)
    [certificate] = documents(ada)
    code = code_of(certificate)
    assert f"/verify/{code}" in certificate.content
    text = pdf_text(emulator, certificate)
    assert NAME in text and "Tea basics" in text and code in text

    # Completing again (a forged repeat of the last press) issues nothing new.
    topic = ada.messages[-2].message_id  # the topic's screen, above the certificate
    await ada.press_forged(action("complete", course=tea, module=2, topic=2), topic)
    assert ada.answer_text == "Already completed"
    assert len(documents(ada)) == 1
    assert await pool.fetchval("SELECT count(*) FROM certificates") == 1

    bo: Dialogue = talk(43, "Bo")
    await bo.send(f"/verify {code}")
    assert "✅ Valid certificate" in bo.last.text
    assert f"Holder: {NAME}" in bo.last.text and "Course: Tea basics" in bo.last.text
    await bo.send(f"/start verify_{code}")
    assert "✅ Valid certificate" in bo.last.text
    for forged in ("../../etc/passwd", "' OR 1=1 --", "𝓬𝓸𝓭𝓮" * 5, code + "x" * 40, code[:-1]):
        await bo.send(f"/verify {forged}")
        assert "Unknown code" in bo.last.text, forged
    await bo.send("/verify")
    assert "/verify CODE" in bo.last.text

    # The list resends the same certificate; it does not issue another.
    await ada.send("/certificates")
    assert code in ada.last.text
    await ada.press("📄 Tea basics")
    assert ada.answer_text == "Certificate sent"
    assert [code_of(m) for m in documents(ada)] == [code, code]
    await bo.press_forged(action("certificate_resend", code=code))
    assert bo.answer_text == "That is not one of your certificates. /certificates lists them."
    assert documents(bo) == []


async def test_staff_revoke_and_reissue_and_the_page_says_so(
    talk,
    tea: UUID,
    pool: asyncpg.Pool,
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await complete_the_course(ada)
    code = code_of(documents(ada)[0])

    await ada.send(f"/certificate revoke {code} trying")
    assert "not allowed" in ada.last.text
    admin: Dialogue = talk(1, "Root")
    await admin.send(f"/certificate revoke {code} copied the answers")
    assert f"Certificate {code} (Tea basics) is revoked." in admin.last.text
    await admin.send(f"/certificate revoke {code} again")
    assert "No valid certificate has the code" in admin.last.text
    await ada.send(f"/verify {code}")
    assert "⛔ Revoked certificate" in ada.last.text and "Holder: Ada" in ada.last.text

    # A reissue needs a valid certificate: a second learner's.
    bo: Dialogue = talk(43, "Bo")
    await complete_the_course(bo)
    old = code_of(documents(bo)[0])
    await bo.send("/certificate_name Bo Builder")
    await admin.send(f"/certificate reissue {old} name changed")
    assert f"Certificate {old} is revoked; the new code is" in admin.last.text
    new = code_of(documents(bo)[-1])
    assert new != old and len(documents(bo)) == 2
    await bo.send(f"/verify {new}")
    assert "✅ Valid certificate" in bo.last.text and "Holder: Bo Builder" in bo.last.text
    await bo.send(f"/verify {old}")
    assert "⛔ Revoked" in bo.last.text
    audit = await pool.fetch(
        "SELECT outcome FROM admin_audit WHERE action = 'certificate' ORDER BY id"
    )
    assert [r["outcome"] for r in audit] == ["denied", "done", "done", "done"]


async def test_after_deleteme_the_certificate_stays_without_the_name(
    talk,
    tea: UUID,
    pool: asyncpg.Pool,
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/certificate_name Ada Lovelace")
    await complete_the_course(ada)
    code = code_of(documents(ada)[0])
    await ada.send("/deleteme")
    await ada.press("🗑 Yes, erase everything")

    bo: Dialogue = talk(43, "Bo")
    await bo.send(f"/verify {code}")
    assert "✅ Valid certificate" in bo.last.text
    assert "Holder: Issued; the holder erased their data" in bo.last.text
    assert "Ada" not in bo.last.text
    row = await pool.fetchrow("SELECT user_id, holder_name, holder_erased FROM certificates")
    assert tuple(row) == (None, None, True)


async def test_a_certificate_telegram_failed_to_take_is_resent_from_the_list(
    talk, tea: UUID, pool: asyncpg.Pool, emulator: BotApiEmulator
) -> None:
    ada: Dialogue = talk(42, "Ada")
    fault = emulator.inject("sendDocument", 500, count=3)
    await ada.send("/start tiny")
    await ada.press("📘 Normal")
    await ada.press("▶ Continue: 1.1")
    await ada.press("Complete & go on")
    await ada.press("✅ Mark complete")
    await ada.send("/start tiny")
    await ada.press("▶ Continue: 2.1")
    await ada.press("Complete & go on")
    await ada.press("✅ Mark complete")
    assert "You completed Tea basics" in ada.last.text, "the completion is shown all the same"
    assert fault.hits >= 1 and documents(ada) == []
    code = await pool.fetchval("SELECT code FROM certificates WHERE user_id = 42")
    fault.end()
    await ada.send("/certificates")
    assert code in ada.last.text
    await ada.press("📄 Tea basics")
    assert [code_of(m) for m in documents(ada)] == [code]


async def test_the_name_certificates_carry_is_put_to_the_learner_when_they_enroll(
    talk, tea
) -> None:
    ada: Dialogue = talk(42, "Ada")
    await ada.send("/start tiny")
    welcome = ada.last.text
    assert "You're enrolled in Tea basics" in welcome
    assert "certificate with your Telegram name; /certificate_name sets the name" in welcome
