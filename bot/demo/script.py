"""``tutorbot demo --script FILE``: a learner's inputs and what the bot should answer.

The syntax is ``SCRIPT_SYNTAX`` below (also shown by ``tutorbot demo --help``). "Replies"
are the messages and edits the bot made (text, link targets, button labels) and the toasts
it showed since the last send, press or vote. The run stops at the first failure, so the
transcript ends where the learner's experience went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.demo.render import ChatScreen, visible_text
from bot.demo.session import Button, DemoChat, buttons_of, parse_vote
from bot.emulator import ChatEvent, ChatMessage, EmulatorError, render_event

StepKind = Literal["send", "press", "vote", "expect", "expect-not", "wait"]
_KEYWORDS: dict[str, StepKind] = {
    "type": "send",
    "press": "press",
    "vote": "vote",
    "expect": "expect",
    "expect-not": "expect-not",
    "wait": "wait",
}
_MAX_WAIT = 300.0

SCRIPT_SYNTAX = """\
script syntax (--script FILE), one step per line; blank lines and # comments are ignored:
  /start            send the command (any line starting with "/" is sent as typed)
  type TEXT         send TEXT as a message
  press LABEL       press the button labelled LABEL (or the only one whose label contains
                    it) on the newest bot message that has it
  vote N [M …]      answer the newest open poll with its options N, M … (1-based, as shown)
  expect TEXT       the bot's replies to the last step contain TEXT (case-insensitive)
  expect-not TEXT   the bot's replies to the last step do not contain TEXT
  wait SECONDS      let the bot work; what it says meanwhile joins the replies checked
"""


@dataclass(frozen=True)
class Step:
    line: int
    kind: StepKind
    argument: str


class ScriptError(Exception):
    """The script cannot be run; ``problems`` are ``file:line: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_script(path: Path) -> list[Step]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError([f"{path}: cannot read the script: {exc}"]) from None
    return parse_script(text, str(path))


def parse_script(text: str, source: str) -> list[Step]:
    """All steps, or ScriptError listing every bad line (so authors fix them in one go)."""
    steps: list[Step] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            steps.append(_parse_line(line, number))
        except ValueError as exc:
            problems.append(f"{source}:{number}: {exc}")
    if not steps and not problems:
        problems.append(f"{source}:1: the script has no steps")
    if problems:
        raise ScriptError(problems)
    return steps


def _parse_line(line: str, number: int) -> Step:
    if line.startswith("/"):
        return Step(number, "send", line)
    keyword, *rest = line.split(maxsplit=1)
    kind = _KEYWORDS.get(keyword)
    if kind is None:
        raise ValueError(
            f"unknown step {keyword!r}: expected a /command, type, press, vote, expect, "
            "expect-not or wait"
        )
    argument = rest[0].strip() if rest else ""
    if kind == "vote":
        parse_vote(argument)
    elif not argument:
        raise ValueError(f"{keyword} needs {'seconds' if kind == 'wait' else 'a text'}")
    if kind == "wait":
        _seconds(argument)
    return Step(number, kind, argument)


def _seconds(argument: str) -> float:
    try:
        seconds = float(argument)
    except ValueError:
        raise ValueError(f"wait needs a number of seconds, not {argument!r}") from None
    if not 0 < seconds <= _MAX_WAIT:
        raise ValueError(f"wait takes 0 to {_MAX_WAIT:g} seconds")
    return seconds


def pick_button(messages: list[ChatMessage], label: str) -> Button:
    """The button to press for ``label`` among ``messages`` (newest first).

    An exact (case-insensitive) label wins; otherwise the one button containing ``label``.
    Raises LookupError naming the visible buttons, as a learner would see them.
    """
    wanted = label.casefold()
    for message in messages:
        buttons = buttons_of(message)
        exact = [b for b in buttons if b.label.casefold() == wanted]
        if exact:
            return exact[0]
        partial = [b for b in buttons if wanted in b.label.casefold()]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise LookupError(f'"{label}" matches several buttons: {_labels(partial)}')
    if not messages:
        raise LookupError(f'no button "{label}": no message in the chat has buttons')
    visible = "; ".join(f"message #{m.message_id}: {_labels(buttons_of(m))}" for m in messages[:3])
    raise LookupError(f'no button "{label}"; visible buttons: {visible}')


def _labels(buttons: list[Button]) -> str:
    return " ".join(f"[{b.label}]" for b in buttons)


def _normalized(text: str) -> str:
    """Case and line breaks don't matter: a one-line expectation may span a wrapped reply."""
    return " ".join(text.split()).casefold()


def summary(steps: list[Step], played: int, failed: Step | None) -> str:
    """The script's last line, what CI logs show: how far it got and what was checked.
    `played` steps ran (the failed one included); checks are the expect/expect-not steps."""
    checks = sum(step.kind in ("expect", "expect-not") for step in steps)
    passed = sum(step.kind in ("expect", "expect-not") for step in steps[:played])
    if failed is None:
        return f"{_count(len(steps), 'step')}, {_count(checks, 'check')} passed"
    if failed.kind in ("expect", "expect-not"):
        passed -= 1
    return (
        f"FAILED at line {failed.line} (step {played} of {len(steps)}): "
        f"{passed} of {_count(checks, 'check')} passed before it, "
        f"{len(steps) - played} step{'s' * (len(steps) - played != 1)} not played"
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


class ScriptRunner:
    """Plays the steps through a ``DemoChat`` while the screen prints the transcript."""

    def __init__(self, chat: DemoChat, screen: ChatScreen) -> None:
        self._chat = chat
        self._screen = screen
        self._replies: list[ChatEvent] = []
        self._since = 0  # line of the step whose replies `expect` checks

    async def run(self, steps: list[Step]) -> bool:
        """True when every step passed; on a failure, prints why and stops. Either way the
        last line sums up (``summary``)."""
        for played, step in enumerate(steps, 1):
            failure = await self._play(step)
            for problem in self._chat.problems():
                self._screen.warn(problem)
            if failure is not None:
                self._screen.write(failure)
                self._screen.write(summary(steps, played, step))
                return False
        self._screen.write(summary(steps, len(steps), None))
        return True

    async def _play(self, step: Step) -> str | None:
        if step.kind == "send":
            try:
                self._replies = await self._chat.send(step.argument)
            except EmulatorError as exc:  # e.g. longer than a Telegram message can be
                return f"step failed at line {step.line}: {exc}"
            self._since = step.line
        elif step.kind == "wait":
            self._replies += await self._chat.wait(_seconds(step.argument))
        elif step.kind == "press":
            return await self._press(step)
        elif step.kind == "vote":
            return await self._vote(step)
        else:
            return self._check(step)
        return None

    async def _press(self, step: Step) -> str | None:
        try:
            button = pick_button(self._chat.messages_with_buttons(), step.argument)
        except LookupError as exc:
            return f"press failed at line {step.line}: {exc}"
        if button.callback_data is None:
            target = f"opens {button.url}" if button.url else "does not reach the bot"
            return f"press failed at line {step.line}: [{button.label}] {target}"
        try:
            self._replies = await self._chat.press(button)
        except EmulatorError as exc:
            return f"press failed at line {step.line}: {exc}"
        self._since = step.line
        return None

    async def _vote(self, step: Step) -> str | None:
        try:
            self._replies = await self._chat.vote(parse_vote(step.argument))
        except EmulatorError as exc:  # e.g. the poll is closed
            return f"vote failed at line {step.line}: {exc}"
        self._since = step.line
        return None

    def _check(self, step: Step) -> str | None:
        shown = [e for e in self._replies if e.kind in ("message", "edit", "answer")]
        said = _normalized("\n".join(visible_text(e, self._chat.poll(e)) for e in shown))
        found = _normalized(step.argument) in said
        if found == (step.kind == "expect"):
            self._screen.notice(f"✓ {step.kind} {step.argument}")
            return None
        verdict = "don't contain" if step.kind == "expect" else "contain"
        since = f"line {self._since}" if self._since else "the start"
        if not shown:
            return (
                f"{step.kind} failed at line {step.line}: the bot's replies {verdict} "
                f'"{step.argument}"; the bot said nothing since {since}'
            )
        transcript = "\n".join(
            "  " + line for event in shown for line in render_event(event).split("\n")
        )
        return (
            f"{step.kind} failed at line {step.line}: the bot's replies {verdict} "
            f'"{step.argument}"; since {since} the bot said:\n{transcript}'
        )
