"""What the learner reads when the domain refuses: every refusal's text comes from here."""

from __future__ import annotations

from domain.learning import AccessDenied


def refusal_text(error: AccessDenied) -> str:
    return error.reason
