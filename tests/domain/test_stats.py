"""/stats rules without a database: the funnel's figures, pass rates, and who may see what
(every attempt audited, exactly like the other staff commands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.admin import Action, CourseRef, Invalid, NotAllowed, Staff
from domain.errors import Reason
from domain.stats import (
    CourseStats,
    Figures,
    ModuleFunnel,
    QuestionCount,
    StatsReport,
    StatsService,
    share,
)
from domain.users import Role

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TEA = CourseRef(uuid4(), "tiny", "Tea basics", 2)
CODE = CourseRef(uuid4(), "code", "Coding", 1)


def module(no=1, *, passed=0, failed=0, abandoned=0, typed=0) -> ModuleFunnel:
    return ModuleFunnel(no, f"M{no}", 3, 2, 1, 1, passed, failed, abandoned, typed)


def test_shares_round_and_say_none_when_there_is_nothing_to_divide() -> None:
    assert [share(1, 3), share(2, 3), share(0, 5), share(3, 3), share(0, 0)] == [
        33,
        67,
        0,
        100,
        None,
    ]


def test_the_pass_rate_counts_finished_attempts_only() -> None:
    m = module(passed=1, failed=3, abandoned=5)
    assert (m.attempts_finished, m.pass_rate) == (4, 25)
    assert module(abandoned=2).pass_rate is None
    assert m.stages == (3, 2, 1, 1)


def test_typed_questions_add_up_per_course_and_report() -> None:
    tea = CourseStats(TEA, Figures.none(), (module(1, typed=4), module(2, typed=1)))
    code = CourseStats(CODE, Figures.none(), (module(1, typed=2),))
    report = StatsReport(None, Role.ADMIN, NOW, Figures.none(), (tea, code), ())
    assert (tea.typed, code.typed, report.typed) == (5, 2, 7)
    assert Figures.none().by_status == {"active": 0, "suspended": 0, "completed": 0}


class FakeAdmin:
    def __init__(self, staff: dict[int, Staff]) -> None:
        self._staff = staff
        self.audited: list[tuple[int, str, str, str, dict]] = []

    async def staff(self, user_id: int) -> Staff:
        return self._staff.get(user_id, Staff(user_id, Role.LEARNER, frozenset()))

    async def course(self, slug: str) -> CourseRef | None:
        return {c.slug: c for c in (TEA, CODE)}.get(slug)

    async def audit(self, actor_id, action, target, outcome, detail) -> None:
        self.audited.append((actor_id, action.value, target, outcome, detail))


class FakeStats:
    def __init__(self) -> None:
        self.asked: list[tuple[frozenset[UUID] | None, datetime]] = []

    async def figures(self, courses, since, top):
        self.asked.append((courses, since))
        stats = tuple(
            CourseStats(c, Figures.none(), ())
            for c in (TEA, CODE)
            if not courses or c.id in courses
        )
        return Figures(1, 1, {}), stats, (QuestionCount("why?", 2),)


@pytest.fixture
def fakes() -> tuple[StatsService, FakeAdmin, FakeStats]:
    admin = FakeAdmin(
        {
            1: Staff(1, Role.ADMIN, frozenset()),
            2: Staff(2, Role.TUTOR, frozenset({TEA.id})),
            3: Staff(3, Role.TUTOR, frozenset()),
        }
    )
    store = FakeStats()
    return StatsService(admin, store, clock=lambda: NOW), admin, store


async def test_an_admin_sees_every_course_and_activity_counts_from_a_week_ago(fakes) -> None:
    service, admin, store = fakes
    report = await service.report(1)
    assert [c.course.slug for c in report.courses] == ["tiny", "code"]
    assert store.asked == [(None, NOW - timedelta(days=7))]
    assert report.since == NOW - timedelta(days=7) and report.course is None
    assert admin.audited == [(1, "stats", "", "done", {"course": "all", "courses": 2})]


async def test_a_tutor_sees_only_their_courses(fakes) -> None:
    service, admin, store = fakes
    report = await service.report(2)
    assert store.asked[-1][0] == frozenset({TEA.id})
    assert [c.course.slug for c in report.courses] == ["tiny"]
    assert (await service.report(2, "TINY ")).course == TEA

    with pytest.raises(NotAllowed):
        await service.report(2, "code")
    assert admin.audited[-1] == (2, "stats", "code", "denied", {"course": "code"})
    assert len(store.asked) == 2, "a refused report reads nothing"


async def test_a_tutor_without_courses_gets_an_empty_report_without_a_query(fakes) -> None:
    service, admin, store = fakes
    report = await service.report(3)
    assert (report.courses, report.top_questions, store.asked) == ((), (), [])
    assert admin.audited == [(3, "stats", "", "done", {"course": "all", "courses": 0})]


async def test_learners_are_refused_and_unknown_courses_named(fakes) -> None:
    service, admin, store = fakes
    with pytest.raises(NotAllowed) as refused:
        await service.report(9, "tiny")
    assert refused.value.reason is Reason.NOT_ALLOWED
    with pytest.raises(NotAllowed):
        await service.require(9)
    with pytest.raises(Invalid) as unknown:
        await service.report(1, "nosuch")
    assert (unknown.value.reason, unknown.value.name) == (Reason.UNKNOWN_COURSE, "nosuch")
    assert [a[:4] for a in admin.audited] == [
        (9, "stats", "tiny", "denied"),
        (9, "stats", "", "denied"),
        (1, "stats", "nosuch", "invalid"),
    ]
    assert store.asked == []
    assert Action.STATS.value == "stats"
