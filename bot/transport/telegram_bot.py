"""Our Bot API client: PTB's ExtBot plus calls whose reply nobody reads.

PTB turns every reply of the Bot API into objects (a sent or edited Message with its
keyboard, chat and sender). Putting a screen in front of a learner does not look at that
reply, and under load building those objects was about a fifth of the bot's CPU
(`docs/performance.md`). `post` sends the same request through the same transport, flood
limiter and error handling, and returns the raw JSON result.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import ExtBot


class TutorBot(ExtBot[None]):
    async def post(self, method: str, **params: Any) -> Any:
        """Call `method` (camelCase, e.g. "editMessageText") and return the raw result.
        Parameters may be PTB objects (a keyboard); None values are left out."""
        return await self._post(method, {k: v for k, v in params.items() if v is not None})
