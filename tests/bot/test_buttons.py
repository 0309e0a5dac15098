"""The button table: one handler per button, a second one refused when the bot starts."""

from __future__ import annotations

import pytest
from telegram import Update

from bot import callbacks as press
from bot.callbacks import DuplicateButton
from bot.context import TutorContext
from bot.handlers.base import Buttons, Reply
from bot.handlers.buttons import BUTTONS
from bot.views.screen import Screen
from domain.users import User


async def _home(_c: TutorContext, _u: User, _up: Update, _p: press.Home) -> Reply:
    return Reply(Screen("home"))


def test_every_button_but_the_label_has_exactly_one_handler() -> None:
    handled = [button.payload for button in BUTTONS]
    assert len(handled) == len(set(handled))
    assert set(handled) == set(press._BY_CODE.values()) - {press.Noop}


def test_a_second_handler_for_a_button_fails_when_the_tables_are_merged() -> None:
    mine = Buttons()
    mine.on(press.Home)(_home)

    with pytest.raises(DuplicateButton, match="home"):
        Buttons.merged(BUTTONS, mine)


def test_a_second_handler_for_a_button_in_one_table_fails_when_declared() -> None:
    table = Buttons()
    table.on(press.Home)(_home)

    with pytest.raises(DuplicateButton):
        table.on(press.Home)(_home)


def test_only_the_erasure_buttons_leave_the_user_row_unwritten() -> None:
    unwritten = {button.payload for button in BUTTONS if not button.registers}
    assert unwritten == {press.EraseConfirm, press.EraseCancel}
