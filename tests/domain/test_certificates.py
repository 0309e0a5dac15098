"""Certificate rules: codes are unguessable and forged ones never reach the store, names
are cleaned and bounded, a verifier sees only the name, course and dates."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.certificates import (
    NAME_LIMIT,
    UNKNOWN,
    Certificate,
    Status,
    clean_name,
    new_code,
    parse_code,
    verification,
)
from domain.errors import CertificateRefused, Reason

AT = datetime(2026, 12, 2, tzinfo=UTC)


def test_codes_are_long_random_and_parse_back() -> None:
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        assert len(code) == 16 and parse_code(f"  {code} ") == code


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "short",
        "x" * 33,
        "../../etc/passwd",
        "' OR 1=1 --",
        "abcdefghijklmnoé",
        "a b" * 8,
        "abcdefghijklmnop\x00",
        "%2e%2e%2fabcdefghijk",
    ],
)
def test_a_forged_code_is_no_code(forged: str) -> None:
    assert parse_code(forged) is None


def test_names_are_one_line_and_bounded() -> None:
    assert clean_name("  Zoë   Łukasiewicz-Ødegård \n") == "Zoë Łukasiewicz-Ødegård"
    assert clean_name("فاطمة الزهراء") == "فاطمة الزهراء"
    with pytest.raises(CertificateRefused) as refused:
        clean_name("x" * (NAME_LIMIT + 1))
    assert (refused.value.reason, refused.value.length) == (Reason.CERTIFICATE_NAME_TOO_LONG, 81)
    for empty in ("", "   ", "Ada\u200bLovelace\x07"):
        with pytest.raises(CertificateRefused):
            clean_name(empty)


def test_a_verifier_sees_the_name_course_and_dates_only() -> None:
    issued = Certificate("c" * 16, 42, uuid4(), "Tea basics", "Ada", "2 modules", AT)
    seen = verification(issued)
    assert (seen.status, seen.holder_name, seen.course_name, seen.issued_at) == (
        Status.VALID,
        "Ada",
        "Tea basics",
        AT,
    )
    assert not hasattr(seen, "score") and not hasattr(seen, "user_id")
    revoked = Certificate("c" * 16, 42, uuid4(), "Tea", "Ada", "", AT, AT, "copied")
    assert verification(revoked).status is Status.REVOKED
    assert verification(revoked).revoked_at == AT
    assert verification(None) == UNKNOWN
