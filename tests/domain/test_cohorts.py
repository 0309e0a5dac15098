"""Cohort rules without a database: names, invite codes, and who may join what (the use
cases on the real database are in tests/storage/test_cohorts.py and tests/e2e)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.admin import AdminService, Invalid
from domain.cohorts import (
    CODE_BYTES,
    JOIN_PREFIX,
    MAX_NAME,
    Cohort,
    CohortService,
    Membership,
    clean_name,
    invite_code,
    new_code,
)
from domain.errors import AccessDenied, Reason

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COURSE = uuid4()


def test_a_name_is_folded_and_limited() -> None:
    assert clean_name("  Spring   2026 \n evening ") == "Spring 2026 evening"
    assert clean_name("x" * MAX_NAME) == "x" * MAX_NAME
    for bad in ("", "   ", "x" * (MAX_NAME + 1), "y" * 500):
        with pytest.raises(Invalid) as refused:
            clean_name(bad)
        assert refused.value.reason is Reason.COHORT_NAME_LENGTH
        assert refused.value.limit == MAX_NAME


def test_codes_are_random_url_safe_and_fit_telegrams_start_parameter() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200, "unguessable: no two alike"
    for code in codes:
        parameter = JOIN_PREFIX + code
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", parameter), parameter
        assert invite_code(parameter) == code
    assert len(new_code()) == 4 * CODE_BYTES // 3


def test_only_a_join_parameter_is_an_invite_and_a_forged_one_is_no_code() -> None:
    assert invite_code("tiny") is None, "a course slug, not an invite"
    assert invite_code("cert_abc") is None
    assert invite_code("join_") == ""
    assert invite_code("join_short") == "", "too short to be one of ours"
    assert invite_code("join_" + "a" * 41) == ""
    assert invite_code("join_abc$%^&*()x") == ""


class FakeStore:
    def __init__(self, cohort: Cohort) -> None:
        self.cohort = cohort
        self.members: dict[tuple[int, UUID], UUID] = {}

    async def by_code(self, code: str) -> Cohort | None:
        return self.cohort if code == self.cohort.code else None

    async def join(self, cohort: Cohort, user_id: int, now: datetime):
        if cohort.closed:
            return None
        key = (user_id, cohort.course_id)
        newly = self.members.get(key) != cohort.id
        self.members[key] = cohort.id
        return newly, None

    async def memberships(self, user_id: int) -> list[Membership]:
        return [
            Membership(cohort, "Evening", course, "Tea", NOW)
            for (who, course), cohort in self.members.items()
            if who == user_id
        ]

    async def leave(self, user_id: int, cohort_id: UUID, now: datetime) -> bool:
        key = (user_id, self.cohort.course_id)
        if self.members.get(key) != cohort_id:
            return False
        del self.members[key]
        return True


class FakeLearning:
    def __init__(self) -> None:
        self.enrolled: list[tuple[int, UUID]] = []

    async def enroll(self, user_id: int, course_id: UUID):
        self.enrolled.append((user_id, course_id))
        return None, None


def service(*, closed: bool = False) -> tuple[CohortService, FakeStore, FakeLearning]:
    cohort = Cohort(uuid4(), COURSE, "tiny", "Tea", "Evening", "abcdEFGH1234", closed)
    store, learning = FakeStore(cohort), FakeLearning()
    admin = AdminService(None)  # type: ignore[arg-type]  # joining is no staff command
    return CohortService(store, admin, learning, clock=lambda: NOW), store, learning  # type: ignore[arg-type]


async def test_a_valid_invite_enrols_then_joins_once() -> None:
    cohorts, store, learning = service()
    first = await cohorts.join(42, "abcdEFGH1234")
    again = await cohorts.join(42, "abcdEFGH1234")
    assert (first.newly, again.newly) == (True, False)
    assert learning.enrolled == [(42, COURSE), (42, COURSE)], "enrolment is idempotent itself"
    assert list(store.members) == [(42, COURSE)]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", Reason.INVITE_UNKNOWN),
        ("zzzzzzzzzzzz", Reason.INVITE_UNKNOWN),
        (None, Reason.INVITE_UNKNOWN),
    ],
)
async def test_an_unknown_code_is_refused_before_enrolling(code, reason) -> None:
    cohorts, store, learning = service()
    with pytest.raises(AccessDenied) as refused:
        await cohorts.join(42, code)
    assert refused.value.reason is reason
    assert learning.enrolled == [] and store.members == {}


async def test_a_closed_cohort_takes_nobody() -> None:
    cohorts, _store, learning = service(closed=True)
    with pytest.raises(AccessDenied) as refused:
        await cohorts.join(42, "abcdEFGH1234")
    assert refused.value.reason is Reason.INVITE_CLOSED
    assert learning.enrolled == []


async def test_leaving_twice_is_refused_the_second_time() -> None:
    cohorts, store, _ = service()
    await cohorts.join(42, "abcdEFGH1234")
    assert await cohorts.leave(42, store.cohort.id) == []
    with pytest.raises(AccessDenied) as refused:
        await cohorts.leave(42, store.cohort.id)
    assert refused.value.reason is Reason.NOT_IN_COHORT
