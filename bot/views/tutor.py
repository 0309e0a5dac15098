"""The tutor's answers in the chat: streamed text, the final answer with its sources as
buttons, the quota left, suggested follow-ups, and honest messages when it can't answer."""

from __future__ import annotations

from html import escape

from bot.views.markdown import MESSAGE_LIMIT, paginate
from bot.views.screen import Button, Screen, button, opening
from domain.tutor import Answer, AskContext, Passage, RunningQuiz, Suggestion, not_covered_reply

THINKING = "💭 Looking through the course material…"
# Room on an answer's last page for the sources and quota lines.
ANSWER_PAGE_CHARS = MESSAGE_LIMIT - 600
STREAM_PREVIEW_CHARS = 3_800
MAX_SUGGESTIONS = 3
MAX_TOPIC_BUTTONS = 6

MODEL_FAILED = {
    "timeout": "the AI model took too long to answer",
    "busy": "the AI model is busy right now",
    "unavailable": "the AI model can't be reached right now",
    "broken": "the AI model's answer broke off",
}


def streaming(text: str) -> str:
    """The answer as it arrives: plain text (half-written Markdown isn't valid HTML yet)."""
    text = not_covered_reply(text) or text
    preview = text if len(text) <= STREAM_PREVIEW_CHARS else text[:STREAM_PREVIEW_CHARS] + "…"
    return escape(preview, quote=False) + " ▍"


def answer(
    reply: Answer,
    context: AskContext,
    suggestions: list[Suggestion],
    *,
    title: str | None = None,
) -> list[Screen]:
    """One or more messages; the last carries the sources, the quota line and buttons."""
    pages = paginate(reply.text, ANSWER_PAGE_CHARS)
    if title:
        pages[0] = f"💡 <b>{escape(title)}</b>\n\n{pages[0]}"
    footer: list[str] = []
    sources = reply.cited or (reply.passages[:3] if reply.extractive else ())
    if sources:
        footer.append("<b>Sources</b>")
        grouped: dict[str, list[int]] = {}
        for passage in sources:
            grouped.setdefault(_label(passage, context), []).append(passage.number)
        footer += [
            "".join(f"[{n}]" for n in numbers) + f" {escape(label)}"
            for label, numbers in grouped.items()
        ]
    notes = []
    if reply.shortened:
        notes.append("Your question was long, so I read its first 1,000 characters.")
    if reply.remaining is not None:
        notes.append(f"{_typed_left(reply.remaining, context.quota)} for Module {reply.module_no}.")
    elif title:
        notes.append("Suggested questions are free.")
    if notes:
        footer.append("<i>" + " ".join(escape(n) for n in notes) + "</i>")
    rows = _source_buttons(sources, context)
    rows += _suggestion_rows(suggestions)
    rows.append([back_to_course(context), ask_a_tutor(context)])
    last = pages[-1] + ("\n\n" + "\n".join(footer) if footer else "")
    return [Screen(p) for p in pages[:-1]] + [Screen(last, rows)]


def back_to_course(context: AskContext) -> Button:
    """Every answer ends with a way on: the course menu, below the answer (which stays)."""
    return opening(f"📚 {context.course_name}", "course_menu", course=context.course_id)


def quota_exhausted(context: AskContext, suggestions: list[Suggestion]) -> Screen:
    text = f"🔒 You've used all {context.quota} typed questions for Module {context.module_no}."
    if suggestions:
        text += " The suggested questions below are free — tap one."
    return Screen(text, _suggestion_rows(suggestions))


def not_covered(
    context: AskContext, reply: str = "", taught_later: tuple[int, int] | None = None
) -> Screen:
    """The course doesn't answer that (yet): say so, count nothing, show what it covers."""
    if taught_later is not None:
        return _taught_later(context, *taught_later)
    said = reply.strip() or (
        f"{context.course_name} doesn't cover that, so I can't answer it from the course."
    )
    lines = [
        f"🤔 {escape(said)}",
        "",
        "<i>Nothing was counted against your typed questions.</i> "
        f"Here is what the course covers up to Module {context.max_module}:",
    ]
    return Screen("\n".join(lines), _covered_topics(context))


def _taught_later(context: AskContext, module_no: int, topic_number: int) -> Screen:
    """Where a locked module teaches it: its number and topic title, never its text."""
    title = context.topic_titles.get((module_no, topic_number))
    where = f" (topic {module_no}.{topic_number} “{escape(title)}”)" if title else ""
    lines = [
        f"🔒 That's taught in <b>Module {module_no}</b>{where}, which isn't open yet.",
        f"Finish Module {context.max_module} and pass its quiz to move on — "
        "I'll gladly answer it then.",
        "",
        "<i>Nothing was counted against your typed questions.</i> "
        f"Here is what you can explore now, up to Module {context.max_module}:",
    ]
    return Screen("\n".join(lines), _covered_topics(context))


def _covered_topics(context: AskContext) -> list[list[Button]]:
    """The open topics, the chat's module first."""
    open_topics = sorted(
        (key for key in context.topic_titles if key[0] <= context.max_module),
        key=lambda key: (key[0] != context.module_no, key),
    )
    return [
        [_topic_button(context, key, f"{key[0]}.{key[1]} {context.topic_titles[key]}")]
        for key in open_topics[:MAX_TOPIC_BUTTONS]
    ]


def paused_for_quiz(quiz: RunningQuiz) -> Screen:
    """Asking the tutor mid-quiz would turn it into an open-book quiz."""
    return Screen(
        f"✋ I'm not answering questions while your Module {quiz.module_no} quiz is running. "
        "Finish it (or abandon it), then ask me anything. Nothing was counted.",
        [[button("▶ Back to the quiz", "quiz_resume", attempt=quiz.attempt_id)]],
    )


def model_failed(kind: str) -> Screen:
    why = MODEL_FAILED.get(kind, "the AI model couldn't answer")
    return Screen(
        f"😕 Sorry — {why}. Your question wasn't counted against your quota; "
        "please send it again in a minute."
    )


def index_not_ready() -> Screen:
    return Screen(
        "😕 Sorry — this course's material isn't ready for questions yet (it needs to be "
        "re-indexed). Your question wasn't counted. Please tell an admin."
    )


def ask_hint(context: AskContext, topic_title: str, suggestions: list[Suggestion]) -> Screen:
    lines = [
        f"💬 Type your question about <b>{escape(topic_title)}</b> — or anything in "
        f"{escape(context.course_name)} up to Module {context.max_module}.",
        f"<i>{_typed_left(context.remaining, context.quota)} for Module {context.module_no}; "
        "suggested questions are free.</i>",
    ]
    module, topic = context.topic or (0, 0)
    human = opening(
        "🙋 Ask a human tutor", "help_ask", course=context.course_id, module=module, topic=topic
    )
    return Screen("\n".join(lines), [*_suggestion_rows(suggestions), [human]])


def ask_a_tutor(context: AskContext) -> Button:
    """A person, when the tutor's answer isn't enough: the question goes on with this
    exchange (domain.help_requests)."""
    return opening("🙋 Ask a tutor", "help_ask", course=context.course_id, module=0, topic=0)


def new_thread(context: AskContext) -> Screen:
    return Screen(
        f"🧹 Fresh start: I've set aside our earlier conversation about Module "
        f"{context.module_no}. Your next question starts a new one."
    )


def suggestion_buttons(suggestions: list[Suggestion]) -> list[list[Button]]:
    return _suggestion_rows(suggestions)


def _suggestion_rows(suggestions: list[Suggestion]) -> list[list[Button]]:
    return [
        [button(f"💡 {s.prompt}", "suggestion", suggestion=s.id)]
        for s in suggestions[:MAX_SUGGESTIONS]
    ]


def _source_buttons(sources: tuple[Passage, ...], context: AskContext) -> list[list[Button]]:
    rows, seen = [], set()
    for passage in sources:
        if passage.module_no is None or passage.topic_number is None:
            continue
        key = (passage.module_no, passage.topic_number)
        if key in seen:
            continue
        seen.add(key)
        rows.append([_topic_button(context, key, _label(passage, context))])
    return rows


def _topic_button(context: AskContext, topic: tuple[int, int], label: str) -> Button:
    """Opens the topic below the answer, which stays in the chat to be read again."""
    module, number = topic
    return opening(
        f"📖 {label}", "topic", course=context.course_id, module=module, topic=number, page=0
    )


def _label(passage: Passage, context: AskContext) -> str:
    if passage.module_no is not None and passage.topic_number is not None:
        title = context.topic_titles.get((passage.module_no, passage.topic_number))
        if title:
            return f"{passage.module_no}.{passage.topic_number} {title}"
    return passage.citation


def _typed_left(remaining: int, quota: int) -> str:
    return f"{remaining} of {quota} typed question{'s' if quota != 1 else ''} left"
