"""Native polls and quizzes: sendPoll, stopPoll, and users voting in them.

Spaced review asks its cards as quizzes and reads the answers from ``poll_answer``
updates, so the emulator keeps polls the way Telegram does: a poll belongs to the bot's
message, counts votes per option, and closes when stopped (or when its ``open_period`` /
``close_date`` passes). A vote makes a ``poll_answer`` update for non-anonymous polls
only (it carries the user but no chat), plus a ``poll`` update with the poll's new
state; whether the bot gets either is decided by its ``allowed_updates`` like any other
update. A user can only vote as an app lets them: not in a closed poll, not for an
option that isn't there, and not again in a poll that doesn't allow revoting (quizzes,
by default) — asking for that is an ``EmulatorError`` in the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.emulator import poll_checks
from bot.emulator.checks import check_reply_markup
from bot.emulator.core import now
from bot.emulator.methods import ChatMethods, WithWarnings
from bot.emulator.state import ApiError, ChatEvent, ChatMessage, EmulatorError, Json
from bot.emulator.users import SimulatedUsers
from bot.telegram_html import Entity, ParsedText


@dataclass
class EmulatedPoll:
    """A poll or quiz the bot sent, with every user's current vote."""

    id: str
    question: str
    options: list[ParsedText]
    type: str
    is_anonymous: bool
    allows_multiple_answers: bool
    allows_revoting: bool
    correct_option_ids: tuple[int, ...] = ()
    question_entities: list[Entity] = field(default_factory=list)
    explanation: ParsedText | None = None
    description: ParsedText | None = None
    open_period: int | None = None
    close_date: int | None = None
    created: int = 0
    stopped: bool = False
    votes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # user id -> options
    message: ChatMessage | None = field(default=None, repr=False)

    @property
    def is_closed(self) -> bool:
        """Stopped by the bot, or past its open period / close date."""
        deadline = self.close_date
        if self.open_period is not None:
            deadline = self.created + self.open_period
        return self.stopped or (deadline is not None and now() >= deadline)

    @property
    def voter_counts(self) -> list[int]:
        counts = [0] * len(self.options)
        for chosen in self.votes.values():
            for option in chosen:
                counts[option] += 1
        return counts

    @property
    def total_voter_count(self) -> int:
        return sum(1 for chosen in self.votes.values() if chosen)

    def option_text(self, option: int) -> str:
        return self.options[option].text

    def to_api(self) -> Json:
        """The ``Poll`` object as the bot sees it. The correct options are included: the
        spec shows them for quizzes sent by the bot, and the bot sent every poll here."""
        data: Json = {
            "id": self.id,
            "question": self.question,
            "options": [
                _option_api(option, index, count)
                for index, (option, count) in enumerate(
                    zip(self.options, self.voter_counts, strict=True)
                )
            ],
            "total_voter_count": self.total_voter_count,
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": self.allows_revoting,
            "members_only": False,
        }
        if self.question_entities:
            data["question_entities"] = [dict(e) for e in self.question_entities]
        if self.type == "quiz":
            data["correct_option_ids"] = list(self.correct_option_ids)
        if self.explanation is not None:
            data["explanation"] = self.explanation.text
            if self.explanation.entities:
                data["explanation_entities"] = [dict(e) for e in self.explanation.entities]
        if self.open_period is not None:
            data["open_period"] = self.open_period
        if self.close_date is not None:
            data["close_date"] = self.close_date
        if self.description is not None:
            data["description"] = self.description.text
            if self.description.entities:
                data["description_entities"] = [dict(e) for e in self.description.entities]
        return data

    def render(self) -> str:
        """The poll as a transcript shows it: kind, question, one option per line."""
        kind = "quiz" if self.type == "quiz" else "poll"
        if self.is_closed:
            kind += ", closed"
        lines = [f"[{kind}] {self.question}"]
        for index, (option, count) in enumerate(zip(self.options, self.voter_counts, strict=True)):
            mark = "✓" if index in self.correct_option_ids else "○"
            lines.append(f"{mark} {option.text}" + (f" ({count})" if count else ""))
        return "\n".join(lines)


def _option_api(option: ParsedText, index: int, count: int) -> Json:
    data: Json = {"persistent_id": str(index), "text": option.text, "voter_count": count}
    if option.entities:
        data["text_entities"] = [dict(e) for e in option.entities]
    return data


class Polls(SimulatedUsers, ChatMethods):
    """sendPoll and stopPoll for the bot, ``answer_poll`` for the users, and the views
    tests read (``polls``, ``poll``)."""

    def _setup_polls(self) -> None:
        self._polls: dict[str, EmulatedPoll] = {}
        self._poll_numbers = itertools.count(1)

    # -- the bot's methods -----------------------------------------------------------------

    async def _send_poll(self, params: Json) -> WithWarnings:
        chat = self._resolve_chat(params["chat_id"])
        question = poll_checks.question(params)
        options = poll_checks.options(params["options"])
        kind = poll_checks.poll_type(params)
        anonymous = params.get("is_anonymous", True) is not False
        multiple = bool(params.get("allows_multiple_answers"))
        poll_checks.options_for(params, kind, anonymous, chat.type)
        correct = poll_checks.correct_options(params, kind, len(options), multiple)
        explanation = poll_checks.explanation(params)
        description = poll_checks.description(params)
        open_period, close_date = poll_checks.closing(params, now())
        markup = params.get("reply_markup")
        check_reply_markup(markup)
        reply_to, thread = self._placement(chat, params)
        self._account_rate(chat, "sendPoll")
        poll = EmulatedPoll(
            id=f"{self.bot_user.id}{next(self._poll_numbers):09d}",
            question=question.text,
            question_entities=list(question.entities),
            options=options,
            type=kind,
            is_anonymous=anonymous,
            allows_multiple_answers=multiple,
            allows_revoting=bool(params.get("allows_revoting", kind != "quiz")),
            correct_option_ids=correct,
            explanation=explanation,
            description=description,
            open_period=open_period,
            close_date=close_date,
            created=now(),
            stopped=bool(params.get("is_closed")),
        )
        message = self._add_message(
            chat, self.bot_user, poll=poll, reply_markup=markup, reply_to=reply_to, thread=thread
        )
        poll.message = message
        self._polls[poll.id] = poll
        self._event("message", message, note=poll.render())
        warnings = [
            *question.warnings,
            *(w for o in options for w in o.warnings),
            *(explanation.warnings if explanation else ()),
        ]
        return WithWarnings(message.to_api(), tuple(warnings))

    async def _stop_poll(self, params: Json) -> Json:
        _, message = self._message_to_edit(params)
        poll = message.poll
        if poll is None:
            raise ApiError.bad_request("message with poll to stop not found")
        if poll.is_closed:
            raise ApiError.bad_request("poll has already been closed")
        markup = params.get("reply_markup")
        check_reply_markup(markup)
        message.history.append(message.snapshot())
        poll.stopped = True
        if "reply_markup" in params:
            message.reply_markup = markup
        message.edit_date = now()
        self._event("edit", message, note=poll.render())
        self._new_update("poll", poll.to_api(), None)
        return poll.to_api()

    # -- the users -------------------------------------------------------------------------

    def answer_poll(
        self,
        user_id: int,
        poll: str | ChatMessage | EmulatedPoll,
        option_ids: Sequence[int],
        *,
        deliver: bool | None = None,
    ) -> Json | None:
        """The user votes for ``option_ids`` (0-based) in a poll the bot sent; an empty
        list retracts their vote where the poll allows revoting.

        Returns the ``poll_answer`` Update, or None for an anonymous poll (Telegram tells
        the bot nothing about who voted). A ``poll`` Update with the new counts is made
        either way. Raises EmulatorError for a vote no Telegram app can cast.
        """
        user = self._user(user_id)
        target = self._find_poll(poll)
        chosen = tuple(option_ids)
        self._check_vote(user_id, target, chosen)
        target.votes[user.id] = chosen
        message = target.message
        if message is not None:
            self._record(
                ChatEvent(
                    seq=next(self._seq),
                    chat_id=message.chat_id,
                    kind="vote",
                    actor=user.display_name,
                    from_bot=False,
                    message_id=message.message_id,
                    text=", ".join(target.option_text(i) for i in chosen),
                )
            )
        answer: Json | None = None
        if not target.is_anonymous:
            payload = {
                "poll_id": target.id,
                "user": user.to_api(),
                "option_ids": list(chosen),
                "option_persistent_ids": [str(i) for i in chosen],
            }
            answer = self._new_update("poll_answer", payload, deliver)
        self._new_update("poll", target.to_api(), deliver)
        return answer

    def _check_vote(self, user_id: int, poll: EmulatedPoll, chosen: tuple[int, ...]) -> None:
        message = poll.message
        chat = message.chat if message is not None else None
        if chat is not None and chat.type == "private" and chat.id != user_id:
            raise EmulatorError(f"user {user_id} can't see poll {poll.id} in chat {chat.id}")
        if chat is not None and chat.type == "channel":
            raise EmulatorError("the emulator doesn't simulate votes in channels")
        if message is not None and message.deleted:
            raise EmulatorError(f"the message with poll {poll.id} was deleted")
        if poll.is_closed:
            raise EmulatorError(f"poll {poll.id} is closed; nobody can vote in it")
        problem = poll_checks.option_ids(chosen, len(poll.options), poll.allows_multiple_answers)
        if problem is not None:
            raise EmulatorError(f"can't vote in poll {poll.id}: {problem}")
        previous = poll.votes.get(user_id, ())
        if previous and not poll.allows_revoting:
            what = "a quiz answer" if poll.type == "quiz" else "this vote"
            raise EmulatorError(
                f"user {user_id} already answered poll {poll.id}; {what} can't be changed"
            )
        if not chosen and not previous:
            raise EmulatorError(f"user {user_id} has no vote in poll {poll.id} to retract")

    def _find_poll(self, poll: str | ChatMessage | EmulatedPoll) -> EmulatedPoll:
        if isinstance(poll, EmulatedPoll):
            return poll
        if isinstance(poll, ChatMessage):
            if poll.poll is None:
                raise EmulatorError(f"message {poll.message_id} has no poll")
            return poll.poll
        found = self._polls.get(poll)
        if found is None:
            raise EmulatorError(f"the bot sent no poll {poll!r}")
        return found

    # -- what tests read -------------------------------------------------------------------

    def polls(self, chat_id: int | None = None) -> list[EmulatedPoll]:
        """The polls the bot sent (in ``chat_id``, or everywhere), oldest first."""
        return [
            poll
            for poll in self._polls.values()
            if chat_id is None or (poll.message is not None and poll.message.chat_id == chat_id)
        ]

    def poll(self, poll_id: str) -> EmulatedPoll:
        return self._find_poll(poll_id)
