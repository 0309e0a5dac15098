"""Review cards in a course pack: a topic's `review:` list, checked like quiz questions,
every problem as file:line, and a card too long for a quiz poll warned about."""

from __future__ import annotations

from pathlib import Path

from bot.pack_files import load_pack
from domain.course_pack import parse_pack
from tests.domain.test_course_pack import REPO, problems, valid_files

TOPIC = "modules/01-basics/02-second.md"
CARD = """\
---
title: Second
review:
  - id: what-label
    question: "What is a label?"
    options:
      - text: "The answer to learn"
        correct: true
      - text: "A column name"
    explanation: "The value the model learns to predict."
---
Some text about Second.
"""


def with_card(text: str = CARD) -> dict[str, str]:
    files = valid_files()
    files[TOPIC] = text
    return files


def test_a_topic_carries_review_cards() -> None:
    pack = parse_pack(with_card())
    [card] = pack.modules[0].topics[1].review_cards
    assert card.key == "what-label"
    assert [(o.text, o.correct) for o in card.options] == [
        ("The answer to learn", True),
        ("A column name", False),
    ]
    assert card.explanation == "The value the model learns to predict."
    assert pack.review_card_count == 1 and pack.warnings == parse_pack(valid_files()).warnings


def test_a_card_without_an_id_is_keyed_by_its_place_and_text() -> None:
    first = parse_pack(with_card(CARD.replace("  - id: what-label\n    question", "  - question")))
    key = first.modules[0].topics[1].review_cards[0].key
    assert len(key) == 16
    reworded = parse_pack(
        with_card(
            CARD.replace("  - id: what-label\n    question", "  - question").replace(
                "What is a label?", "What is a label, then?"
            )
        )
    )
    assert reworded.modules[0].topics[1].review_cards[0].key != key


def test_review_card_mistakes_point_at_the_card() -> None:
    text = CARD.replace("        correct: true\n", "").replace("id: what-label", "id: What Label")
    text = text.replace("A column name", "The answer to learn")
    assert problems(with_card(text)) == [
        f"{TOPIC}:4: review card 1, id: use lower-case letters, digits and '-' (at most 63)",
    ]
    text = CARD.replace("        correct: true\n", "").replace(
        "A column name", "The answer to learn"
    )
    assert problems(with_card(text)) == [
        f"{TOPIC}:4: review card 1 has no correct option (mark one with correct: true)",
        f"{TOPIC}:4: review card 1 repeats an option",
    ]


def test_several_correct_options_must_be_announced_and_ids_are_unique() -> None:
    text = CARD.replace('"A column name"', '"A column name"\n        correct: true')
    assert problems(with_card(text)) == [
        f'{TOPIC}:4: review card 1 has 2 correct options: say "(select all that apply)" in its text'
    ]
    files = with_card()
    files["modules/01-basics/01-first.md"] = CARD.replace("title: Second", "title: First")
    assert problems(files) == [
        f"{TOPIC}:4: review card 1: the same id 'what-label' is also at "
        "modules/01-basics/01-first.md:4"
    ]


def test_schema_errors_count_cards_from_1_with_their_line() -> None:
    text = CARD.replace("    explanation:", "    hint: x\n    explanation:")
    assert problems(with_card(text)) == [f"{TOPIC}:10: review card 1, hint: is not a known field"]


def test_a_card_that_cannot_be_a_poll_imports_with_a_warning() -> None:
    long = "x" * 201
    pack = parse_pack(with_card(CARD.replace("The value the model learns to predict.", long)))
    assert (
        f"{TOPIC}:4: review card 1: explanation is over 200 characters: it is asked with "
        "buttons, not as a poll"
    ) in pack.warnings


def test_the_demo_course_has_review_cards(tmp_path: Path) -> None:
    demo = load_pack(REPO / "courses" / "ml-foundations")
    assert demo.review_card_count >= 2
    assert not [w for w in demo.warnings if "review card" in w]
