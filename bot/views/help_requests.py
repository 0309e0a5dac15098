"""Asking a human tutor, in words: the learner's screens, the tutors' request cards, and
messages relayed between them (domain.help_requests).

What people write is escaped and split into messages within Telegram's 4,096 characters;
a card shows the AI tutor's last answer shortened, since the tutor needs its gist.
"""

from __future__ import annotations

from html import escape

from bot.telegram_html import utf16_len
from bot.views.screen import Button, Screen, button, opening
from domain import wording
from domain.help_requests import QUESTION_LIMIT, Asking, HelpFigures, Relay, Request, Side, Status

RELAY_CHUNK = 3800  # characters of a person's text per message, leaving room for the header
AI_ANSWER_SHOWN = 1200
TOPIC_NAME_LIMIT = 128  # createForumTopic's name: 1-128 characters
CAPTION_LIMIT = 1024
DRAFT_MARK = "———"  # the line above the draft's text in the draft message
MEDIA_KINDS = ("photo", "document", "video", "voice", "audio", "animation")

SENT_ON = "➡️ Passed on."
MEDIA_REFUSED = (
    "I can pass on text, photos, documents, videos, voice messages and audio; "
    "send it as one of those."
)
STAFF_GROUP_ONLY_TUTORS = (
    "This group is where tutors answer learners' requests. Learners: ask me in a private chat."
)


def split_text(text: str, limit: int = RELAY_CHUNK) -> list[str]:
    """Plain text in pieces of at most `limit` characters (as Telegram counts them), cut
    at a line break or a space where there is one."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = limit
        while utf16_len(rest[:cut]) > limit:
            cut -= 1
        window = rest[:cut]
        at = max(window.rfind("\n"), window.rfind(" "))
        if at < limit // 2:
            at = cut
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    pieces.append(rest)
    return [p for p in pieces if p] or [""]


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _place(request: Request) -> str:
    where = escape(request.course_name)
    if request.module_no is not None and request.topic_number is not None:
        where += f" · Module {request.module_no}, Topic {request.topic_number}"
        if request.topic_title:
            where += f" «{escape(request.topic_title)}»"
    return where


def _cancel(kind: str) -> list[Button]:
    return [button("✖ Cancel", "input_cancel", kind=kind)]


# -- the learner --------------------------------------------------------------------------


def confirm(asking: Asking) -> Screen:
    assert asking.last_exchange is not None
    question = _shortened(asking.last_exchange.question, 600)
    return Screen(
        f"🙋 <b>Ask a tutor of {escape(asking.course_name)}</b>\n\n"
        f"I'll send them your question:\n<blockquote>{escape(question)}</blockquote>\n"
        "with how far you are in the course and what I answered. Their reply comes here.",
        [
            [button("📨 Send it", "help_send", course=asking.course_id)],
            [
                button(
                    "✏ Ask something else", "help_write", course=asking.course_id, module=0, topic=0
                )
            ],
            _cancel("help_question"),
        ],
    )


def write_prompt(course_name: str) -> Screen:
    return Screen(
        f"🙋 Type your question for a tutor of {escape(course_name)} in one message "
        f"(up to {QUESTION_LIMIT:,} characters). They'll see how far you are in the course "
        "and your last question to me. /cancel to stop.",
        [_cancel("help_question")],
    )


def sent(request: Request, *, to_group: bool, tutors: int) -> Screen:
    who = "the tutors" if to_group or tutors != 1 else "the tutor"
    return Screen(
        f"📨 Sent to {who} of {escape(request.course_name)} (request #{request.id}). "
        "Their answer comes here; you can reply to it. Close the request when you're done.",
        [[button("✅ Close the request", "help_resolve", request=request.id)]],
    )


def to_learner(relay: Relay, text: str, *, drafted: bool = False) -> list[Screen]:
    """A tutor's message as the learner reads it; the last piece carries the buttons."""
    request = relay.request
    header = f"🧑‍🏫 <b>Tutor {escape(relay.author_name)}</b> · request #{request.id}"
    if drafted:
        header += " <i>(with the AI tutor's draft)</i>"
    pieces = split_text(text)
    screens = [Screen(f"{header}\n\n{escape(piece)}") for piece in pieces]
    screens[-1] = Screen(screens[-1].text, learner_buttons(request))
    return screens


def learner_caption(relay: Relay, caption: str) -> str:
    head = f"🧑‍🏫 <b>Tutor {escape(relay.author_name)}</b> · #{relay.request.id}"
    room = CAPTION_LIMIT - len(head) - 4
    return f"{head}\n\n{escape(_shortened(caption, room))}" if caption else head


def learner_buttons(request: Request) -> list[list[Button]]:
    """Under a tutor's message, which stays in the chat: what they press opens below it."""
    return [
        [
            opening("↩ Answer back", "help_reply", request=request.id),
            opening("✅ Resolved", "help_resolve", request=request.id),
        ]
    ]


def answer_prompt(request: Request, to: str) -> Screen:
    return Screen(
        f"↩ Type your answer for {escape(to)} (request #{request.id}): text, or a photo or "
        "document. /cancel to stop.",
        [_cancel("help_answer")],
    )


def rate_prompt(request: Request, *, by_learner: bool) -> Screen:
    opening = "You closed request" if by_learner else "Your tutor marked request"
    ending = "." if by_learner else " as resolved."
    stars = [button("★" * n, "help_rate", request=request.id, stars=n) for n in range(1, 6)]
    return Screen(
        f"✅ {opening} #{request.id}{ending} How much did it help? (1 = not at all, "
        "5 = a lot) Ask again any time with 🙋 under an answer or a topic.",
        [stars[:3], stars[3:]],
    )


def rated(stars: int) -> Screen:
    return Screen(f"Thank you — {'★' * stars} noted. It helps the tutors get better.")


def escalated(request: Request, hours: int) -> Screen:
    return Screen(
        f"⏰ Nobody has answered your question (request #{request.id}) in {hours} hours — "
        "sorry. I've passed it to the admins; the answer will come here.",
        [[button("✅ Close the request", "help_resolve", request=request.id)]],
    )


# -- the tutors ---------------------------------------------------------------------------


def topic_name(request: Request) -> str:
    return _shortened(f"#{request.id} {request.learner_name} · {request.course_name}", 128)


def card(request: Request, *, in_group: bool, escalated_after: int | None = None) -> Screen:
    lines = []
    if escalated_after is not None:
        lines.append(f"⏰ <b>Unanswered for {escalated_after} h</b> — passed to the admins.")
    lines.append(f"🙋 <b>Request #{request.id}</b> · {_place(request)}")
    learner = f"From: {escape(request.learner_name)} ({request.learner_id})"
    if request.progress is not None:
        p = request.progress
        learner += (
            f" · {p.topics_done}/{p.topics} topics, module {p.module_reached} of {p.modules}, "
            f"{p.quizzes_passed} quiz{'zes' if p.quizzes_passed != 1 else ''} passed"
        )
    lines += [learner, "", "<b>Question</b>", escape(request.question)]
    if request.exchange is not None:
        lines += [
            "",
            f"<b>The AI tutor</b>, asked «{escape(_shortened(request.exchange.question, 200))}», "
            "answered:",
            f"<blockquote>{escape(_shortened(request.exchange.answer, AI_ANSWER_SHOWN))}"
            "</blockquote>",
        ]
    lines += ["", _status(request, in_group=in_group)]
    return Screen("\n".join(lines), card_buttons(request, in_group=in_group))


def _status(request: Request, *, in_group: bool) -> str:
    if request.status is Status.RESOLVED:
        return "✅ Resolved."
    if request.status is Status.CLAIMED:
        return f"🙋 Taken by {escape(request.claimer_name or 'a tutor')}."
    where = "Write in this topic" if in_group else "Press ↩ Reply (or reply to this message)"
    return f"Open: claim it, then answer. {where} to answer the learner."


def card_buttons(request: Request, *, in_group: bool) -> list[list[Button]]:
    if request.status is Status.RESOLVED:
        return []
    draft = button("✍ Draft with AI", "help_draft", request=request.id)
    if request.status is Status.OPEN:
        return [[button("🙋 Claim", "help_claim", request=request.id), draft]]
    rows = [[draft, button("✅ Resolve", "help_resolve", request=request.id)]]
    if not in_group:
        rows.insert(0, [button("↩ Reply", "help_reply", request=request.id)])
    return rows


def to_staff(relay: Relay, text: str, *, in_group: bool) -> list[Screen]:
    request = relay.request
    header = f"💬 <b>{escape(relay.author_name)}</b> · request #{request.id}"
    screens = [Screen(f"{header}\n\n{escape(piece)}") for piece in split_text(text)]
    if not in_group:
        screens[-1] = Screen(screens[-1].text, card_buttons(request, in_group=False))
    return screens


def staff_caption(relay: Relay, caption: str) -> str:
    head = f"💬 <b>{escape(relay.author_name)}</b> · #{relay.request.id}"
    room = CAPTION_LIMIT - len(head) - 4
    return f"{head}\n\n{escape(_shortened(caption, room))}" if caption else head


def tutor_prompt(request: Request) -> Screen:
    return Screen(
        f"↩ Type your reply to {escape(request.learner_name)} (request #{request.id}): text, "
        "or a photo or document. /cancel to stop.",
        [_cancel("help_tutor_reply")],
    )


def draft(request: Request, text: str) -> Screen:
    return Screen(
        f"✍ <b>Draft for request #{request.id}</b> — not sent. Send it as it is, or write "
        "your own reply (copy it and edit).\n"
        f"{DRAFT_MARK}\n{escape(_shortened(text, RELAY_CHUNK))}",
        [[button("📤 Send as it is", "help_send_draft", request=request.id)]],
    )


def draft_text(shown: str) -> str | None:
    """The draft's text from the draft message as Telegram shows it."""
    _, mark, text = shown.partition(f"\n{DRAFT_MARK}\n")
    return text.strip() or None if mark else None


def delivered(request: Request, side: Side) -> str:
    who = request.learner_name if side is Side.TUTOR else (request.claimer_name or "the tutors")
    return f"➡️ Sent to {escape(who)}."


def learner_unreachable(request: Request) -> str:
    return (
        f"⚠ {escape(request.learner_name)} has blocked the bot: your message for request "
        f"#{request.id} was not delivered."
    )


def closed_by_learner(request: Request) -> str:
    return f"✅ {escape(request.learner_name)} closed request #{request.id}."


def group_linked(title: str, before: int | None) -> str:
    moved = " (it replaces the group linked before)" if before is not None else ""
    return (
        f"✅ {escape(title)} is the staff group{moved}: each learner's request opens a topic "
        "here. Tutors claim it, and what they write in the topic reaches the learner."
    )


GROUP_UNLINKED = "This group no longer receives requests; they go to the tutors' private chats."
NOT_LINKED = "This group is not the staff group."


# -- figures ------------------------------------------------------------------------------


def _duration(value) -> str:
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def figures_lines(figures: HelpFigures) -> list[str]:
    if not figures.asked:  # a service that hasn't used it: nothing to read
        return []
    lines = [
        f"<b>Human tutors</b>: {wording.count(figures.asked, 'request')}, {figures.open} open, "
        f"{figures.resolved} resolved, {figures.escalated} escalated"
    ]
    if figures.first_response_p50 is not None and figures.first_response_p90 is not None:
        lines.append(
            f"First answer: p50 {_duration(figures.first_response_p50)}, "
            f"p90 {_duration(figures.first_response_p90)}"
        )
    if figures.rating_average is not None:
        lines.append(f"Help rated {figures.rating_average:.1f}★ ({figures.ratings})")
    return lines
