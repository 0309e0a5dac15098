"""Quiz screens: the intro, one question at a time, the feedback, the result, reminders.

Buttons carry option indexes only; whether an option is right is said in the feedback
after the answer is recorded, never before.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.views.clock import local_time, until
from bot.views.common import course_completed
from bot.views.modules import MARKS, state_words
from bot.views.screen import Button, Screen, button, opening
from domain.learning.model import CourseProgress, ModuleState
from domain.quiz.model import (
    AnswerOutcome,
    Attempt,
    DueCooldown,
    Gate,
    Question,
    QuestionKind,
    QuizResult,
    QuizStatus,
)
from domain.wording import count

LETTERS = "ABCDEF"


def quiz_button(status: QuizStatus, timezone: str | None, now: datetime) -> Button | None:
    """The module screen's quiz button: what the learner can do with the quiz, at a glance."""
    record = status.record
    ids = {"course": record.course_id, "module": record.module_no}
    match status.gate:
        case Gate.NO_QUIZ | Gate.MODULE_LOCKED:
            return None
        case Gate.IN_PROGRESS:
            label = (
                f"▶ Resume the quiz (question "
                f"{record.open_attempt_index + 1}/{record.open_attempt_total})"
            )
            return button(label, "quiz_start", **ids)
        case Gate.COOLDOWN:
            assert status.reopens_at is not None
            label = f"⏳ Quiz reopens {local_time(status.reopens_at, timezone, now)}"
        case Gate.NO_ATTEMPTS_LEFT:
            label = "🔒 Quiz: no attempts left"
        case Gate.TOPICS_PENDING:
            label = f"🔒 Quiz: finish the topics first ({record.topics_completed}/{record.topics})"
        case Gate.PASSED:
            label = f"🏆 Quiz passed — {_best(status)}"
        case _:
            label = f"📝 Take the Module {record.module_no} quiz"
    return button(label, "quiz", **ids)


def intro(status: QuizStatus, timezone: str | None, now: datetime) -> Screen:
    record = status.record
    rules = record.rules
    ids = {"course": record.course_id, "module": record.module_no}
    lines = [
        f"<b>📝 Module {record.module_no} quiz: {escape(record.module_title)}</b>",
        f"<i>{escape(record.course_name)}</i>",
        "",
        f"{status.question_count} questions · pass mark {rules.pass_threshold}%",
        f"Attempts left: {_attempts(status.attempts_left)}",
    ]
    if rules.cooldown_hours:
        lines.append(f"If you don't pass, you can retry after {_hours(rules.cooldown_hours)}.")
    if record.best_score is not None:
        lines.append(f"Your best score so far: {round(record.best_score)}%")
    lines.append("")
    rows = []
    match status.gate:
        case Gate.OPEN:
            lines.append("Ready? One question at a time; you'll see the explanation after each.")
            rows.append([button("▶ Start the quiz", "quiz_start", **ids)])
        case Gate.IN_PROGRESS:
            lines.append(
                f"You're on question {record.open_attempt_index + 1} of "
                f"{record.open_attempt_total}."
            )
            rows.append([button("▶ Resume the quiz", "quiz_start", **ids)])
        case Gate.COOLDOWN:
            assert status.reopens_at is not None
            lines.append(
                f"⏳ The quiz reopens {local_time(status.reopens_at, timezone, now)} "
                f"({until(status.reopens_at, now)}). I'll message you when it's open."
            )
        case Gate.NO_ATTEMPTS_LEFT:
            lines.append("🔒 You've used all your attempts. A tutor or admin can grant more.")
        case Gate.TOPICS_PENDING:
            lines.append(
                f"🔒 Finish the module's topics first: {record.topics_completed}/"
                f"{record.topics} done."
            )
        case Gate.PASSED:
            lines.append(f"🏆 You passed this quiz ({_best(status)}).")
            if record.next_module_title is not None:
                rows.append(
                    [
                        button(
                            f"▶ Module {record.module_no + 1}: {record.next_module_title}",
                            "module",
                            course=record.course_id,
                            module=record.module_no + 1,
                        )
                    ]
                )
        case Gate.MODULE_LOCKED:
            lines.append(f"🔒 Module {record.module_no} is still locked.")
        case Gate.NO_QUIZ:
            lines.append("This module has no quiz.")
    rows.append([button("⬅ Module", "module", **ids)])
    return Screen("\n".join(lines), rows)


def question(attempt: Attempt, mask: int = 0) -> Screen:
    """The current question; for multiple choice `mask` holds the options ticked so far."""
    current = attempt.current
    assert current is not None
    index = attempt.current_index
    lines = [
        f"<b>Module {attempt.module_no} quiz · Question {index + 1} of {attempt.total}</b>",
        "",
        f"<b>{escape(current.text)}</b>",
    ]
    if current.kind is not QuestionKind.TRUE_FALSE:
        lines.append("")
        lines += [f"{LETTERS[i]}) {escape(text)}" for i, text in enumerate(current.options)]
    rows: list = []
    ids = {"attempt": attempt.id, "question": index}
    match current.kind:
        case QuestionKind.TRUE_FALSE:
            rows.append(
                [
                    button(text, "quiz_answer", **ids, option=i)
                    for i, text in enumerate(current.options)
                ]
            )
        case QuestionKind.SINGLE:
            rows += [
                [button(f"{LETTERS[i]}) {text}", "quiz_answer", **ids, option=i)]
                for i, text in enumerate(current.options)
            ]
        case QuestionKind.MULTIPLE:
            lines += ["", "<i>Tick every right option, then submit.</i>"]
            for i, text in enumerate(current.options):
                ticked = bool(mask & (1 << i))
                rows.append(
                    [
                        button(
                            f"{'☑' if ticked else '☐'} {LETTERS[i]}) {text}",
                            "quiz_toggle",
                            **ids,
                            mask=mask ^ (1 << i),
                        )
                    ]
                )
            picked = bin(mask).count("1")
            rows.append([button(f"✔ Submit ({picked} ticked)", "quiz_submit", **ids, mask=mask)])
    rows.append([button("✖ Abandon the quiz", "quiz_abandon", attempt=attempt.id)])
    return Screen("\n".join(lines), rows)


def question_moved(attempt: Attempt) -> str:
    """What a copy of the question left behind says, without buttons: one live copy."""
    return (
        f"<b>Module {attempt.module_no} quiz · Question {attempt.current_index + 1} of "
        f"{attempt.total}</b>\n\n<i>⬇ This question moved to a newer message below.</i>"
    )


def feedback(outcome: AnswerOutcome) -> Screen:
    """The answered question, kept in the chat with its verdict and explanation."""
    asked = outcome.question
    lines = [
        f"<b>Module {outcome.attempt.module_no} quiz · Question {outcome.index + 1} of "
        f"{outcome.attempt.total}</b>",
        "",
        f"<b>{escape(asked.text)}</b>",
        "",
        "Your answer: " + _options(asked, outcome.choice),
    ]
    if outcome.correct:
        lines.append("✅ <b>Correct!</b>")
    else:
        lines.append("❌ <b>Not quite.</b> Right answer: " + _options(asked, asked.correct))
    if asked.explanation:
        lines += ["", f"<i>{escape(asked.explanation)}</i>"]
    return Screen("\n".join(lines))


def result(outcome: QuizResult, timezone: str | None, now: datetime) -> Screen:
    course, module = outcome.course_id, outcome.module_no
    verdict = {
        True: f"🎉 <b>Passed!</b> {outcome.percent}% — the pass mark is {outcome.threshold}%.",
        False: f"<b>Not passed this time:</b> {outcome.percent}% — the pass mark is "
        f"{outcome.threshold}%.",
    }[outcome.passed]
    if outcome.status.value == "abandoned":
        verdict = f"<b>Quiz abandoned</b> at {outcome.percent}%."
    lines = [
        f"<b>Module {module} quiz: {escape(outcome.module_title)}</b>",
        "",
        verdict,
        f"{outcome.correct} of {outcome.total} correct.",
        "",
        "<b>By topic</b>",
    ]
    rows = []
    for section in outcome.sections:
        names = ", ".join(
            f"{module}.{n} {escape(outcome.topic_titles.get(n, ''))}" for n in section.topic_numbers
        )
        mark = "⚠️" if section.weak else "✅"
        lines.append(f"{mark} {names}: {section.correct}/{section.total}")
        if section.weak:  # every topic the weak questions came from, not just the first
            rows += [
                [  # below the result, which stays in the chat
                    opening(
                        f"📖 Revisit {module}.{number} {outcome.topic_titles.get(number, '')}",
                        "topic",
                        course=course,
                        module=module,
                        topic=number,
                        page=0,
                    )
                ]
                for number in section.topic_numbers
            ]
    lines.append("")
    missed = outcome.total - outcome.correct
    if missed and outcome.status.value != "abandoned":
        joins, them = ("joins", "it") if missed == 1 else ("join", "them")
        lines += [
            f"🔁 The {count(missed, 'question')} you missed {joins} your /review: I'll ask "
            f"{them} again in a while, when remembering takes a little effort.",
            "",
        ]
    if outcome.course_completed:
        lines.append(course_completed(outcome.course_name))
    elif outcome.next_module is not None:
        number, title = outcome.next_module
        lines.append(f"🔓 <b>Module {number}: {escape(title)}</b> is now open.")
        rows.insert(
            0, [button(f"▶ Module {number}: {title}", "module", course=course, module=number)]
        )
    elif not outcome.passed:
        if outcome.attempts_left == 0:
            lines.append("🔒 No attempts left; a tutor or admin can grant more.")
        elif outcome.cooldown_until is not None:
            lines.append(
                f"⏳ You can retry {local_time(outcome.cooldown_until, timezone, now)} "
                f"({until(outcome.cooldown_until, now)}); I'll message you then."
            )
        else:
            rows.insert(0, [button("🔁 Try again", "quiz", course=course, module=module)])
        if outcome.attempts_left:
            lines.append(f"Attempts left: {outcome.attempts_left}")
    rows.append([button("⬅ Module", "module", course=course, module=module)])
    return Screen("\n".join(lines), rows)


def abandon_confirm(attempt: Attempt, status: QuizStatus) -> Screen:
    rules = status.record.rules
    consequence = "It counts as an attempt"
    if rules.cooldown_hours:
        consequence += f", and the quiz reopens after {_hours(rules.cooldown_hours)}"
    lines = [
        f"<b>Abandon the Module {attempt.module_no} quiz?</b>",
        "",
        f"You've answered {attempt.current_index} of {attempt.total} questions. {consequence}.",
    ]
    rows = [
        [button("✖ Yes, abandon", "quiz_abandon_confirm", attempt=attempt.id)],
        [button("↩ Back to the question", "quiz_resume", attempt=attempt.id)],
    ]
    return Screen("\n".join(lines), rows)


def cooldown_over(due: DueCooldown) -> Screen:
    lines = [
        f"⏰ <b>The Module {due.module_no} quiz is open again</b>",
        f"{escape(due.course_name)} — {escape(due.module_title)}",
    ]
    if due.attempts_left is not None:
        lines.append(f"Attempts left: {due.attempts_left}")
    return Screen(
        "\n".join(lines),
        [[button("📝 Take the quiz", "quiz", course=due.course_id, module=due.module_no)]],
    )


def nothing_running(mine: list[CourseProgress], timezone: str | None, now: datetime) -> Screen:
    """No quiz is running: say so, and where each quiz the learner has reached stands."""
    lines = ["You have no quiz in progress."]
    rows = []
    for progress in mine:
        for module in progress.modules:
            if module.state not in _QUIZ_STATES or not module.has_quiz:
                continue
            words = state_words(
                module.state,
                has_quiz=True,
                reopens_at=module.cooldown_until,
                timezone=timezone,
                now=now,
            )
            lines.append(
                f"{MARKS[module.state]} {escape(progress.course.name)}, Module {module.number}: "
                f"{escape(words)}"
            )
            if module.state is ModuleState.COMPLETED:
                ids = {"course": progress.course.id, "module": module.number}
                rows.append([button(f"📝 Take the Module {module.number} quiz", "quiz", **ids)])
    if len(lines) == 1:
        lines[0] += " Open a module and take its quiz from there."
    rows.append([button("📊 My courses", "progress")])
    return Screen("\n".join(lines), rows)


# The states in which a quiz has something to say when none is running.
_QUIZ_STATES = (ModuleState.COMPLETED, ModuleState.QUIZ_COOLDOWN, ModuleState.NO_ATTEMPTS)


def _options(asked: Question, picked: frozenset[int]) -> str:
    if asked.kind is QuestionKind.TRUE_FALSE:
        return ", ".join(escape(asked.options[i]) for i in sorted(picked))
    return ", ".join(f"{LETTERS[i]}) {escape(asked.options[i])}" for i in sorted(picked))


def _attempts(left: int | None) -> str:
    return "unlimited" if left is None else str(left)


def _hours(hours: int) -> str:
    return "1 hour" if hours == 1 else f"{hours} hours"


def _best(status: QuizStatus) -> str:
    best = status.record.best_score
    return f"{round(best)}%" if best is not None else "passed"
