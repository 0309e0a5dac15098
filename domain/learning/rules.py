"""The journey's rules as pure functions: a module's state, a course's progress, the
module a learner may open, where "Continue" goes."""

from __future__ import annotations

from datetime import datetime

from domain.errors import ModuleLocked, NotEnrolled, NotFound, Reason
from domain.learning.model import (
    Continue,
    CourseProgress,
    LearnerCourse,
    ModuleRecord,
    ModuleState,
    ModuleStatus,
    ModuleView,
    Resume,
)


def module_state(record: ModuleRecord, now: datetime) -> ModuleState:
    """The quiz's state wins over the topics' once the quiz has been started: a failed
    quiz's module is waiting for its retry, not simply "completed"."""
    if not record.unlocked:
        return ModuleState.LOCKED
    if record.has_quiz:
        if record.quiz_passed:
            return ModuleState.QUIZ_PASSED
        if record.quiz_running:
            return ModuleState.QUIZ_RUNNING
        if record.cooldown_until is not None and record.cooldown_until > now:
            return ModuleState.QUIZ_COOLDOWN
        if record.out_of_attempts:
            return ModuleState.NO_ATTEMPTS
    elif record.quiz_passed:
        return ModuleState.QUIZ_PASSED
    if record.topics and record.completed >= record.topics:
        return ModuleState.COMPLETED
    if record.completed:
        return ModuleState.IN_PROGRESS
    return ModuleState.UNLOCKED


def continue_from(state: LearnerCourse, now: datetime) -> Resume:
    """Where the learner should go next: the topic they left unfinished, else the next
    unfinished topic after it (then from the start) in an open module, else the quiz
    of the first open module not passed yet. None: nothing is left to do."""
    progress = progress_of(state, now)
    open_modules = [m for m in progress.modules if m.is_open]
    last = state.last
    start = (last.module_no, last.topic_number) if last is not None else (0, 0)
    left = list(state.unfinished)
    after = [t for t in left if (t.module_no, t.number) >= start]
    topic = (after or left or [None])[0]
    if topic is not None:
        return Continue(topic.module_no, topic.number, topic.title)
    waiting = (m for m in open_modules if m.has_quiz and m.state is not ModuleState.QUIZ_PASSED)
    quiz = next(waiting, None)
    return Continue(quiz.number, None, quiz.title) if quiz is not None else None


def module_view(state: LearnerCourse | None, module_no: int, now: datetime) -> ModuleView:
    """A module's screen from the learner's state read with its marks, or the refusal that
    applies: not enrolled, suspended, no such module, still locked."""
    checked = enrolled_state(state)
    progress = progress_of(checked, now)
    return ModuleView(progress.course, open_module(progress, module_no), checked.marks)


def enrolled_state(state: LearnerCourse | None) -> LearnerCourse:
    if state is None:
        raise NotEnrolled()
    if state.enrollment.status == "suspended":
        raise NotEnrolled(Reason.SUSPENDED)
    return state


def open_module(progress: CourseProgress, module_no: int) -> ModuleStatus:
    module = next((m for m in progress.modules if m.number == module_no), None)
    if module is None:
        raise NotFound(Reason.MODULE_GONE)
    if not module.is_open:
        raise ModuleLocked(module_no)
    return module


def progress_of_each(states: list[LearnerCourse], now: datetime) -> list[CourseProgress]:
    """The courses a learner may see: a suspended enrollment is not listed."""
    return [progress_of(s, now) for s in states if s.enrollment.status != "suspended"]


def progress_of(state: LearnerCourse, now: datetime) -> CourseProgress:
    modules = tuple(module_status(r, now) for r in state.modules)
    return CourseProgress(
        state.enrollment.course,
        state.enrollment.persona,
        modules,
        completed_course=state.enrollment.status == "completed",
    )


def module_status(record: ModuleRecord, now: datetime) -> ModuleStatus:
    state = module_state(record, now)
    return ModuleStatus(
        record.number,
        record.title,
        record.description,
        record.topics,
        record.completed,
        state,
        record.has_quiz,
        record.cooldown_until if state is ModuleState.QUIZ_COOLDOWN else None,
    )
