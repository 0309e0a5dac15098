"""Course-pack validation: a bad pack is refused whole, every problem as file:line: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pack_files import load_pack
from domain.course_pack import PackError, parse_pack, topic_pair_index

REPO = Path(__file__).resolve().parents[2]

COURSE = """\
slug: mini
name: Mini course
settings:
  quiz_pass_threshold: 80
"""
MODULE = "title: Basics\n"
TOPIC = "---\ntitle: {title}\n---\n# {title}\n\nSome text about {title}.\n"
QUIZ = """\
questions:
  - pair: 0
    question: "What is it?"
    options:
      - text: "This"
        correct: true
      - text: "That"
"""


def valid_files() -> dict[str, str]:
    return {
        "course.yaml": COURSE,
        "modules/01-basics/module.yaml": MODULE,
        "modules/01-basics/01-first.md": TOPIC.format(title="First"),
        "modules/01-basics/01-first.sports.md": "A sporty retelling.",
        "modules/01-basics/02-second.md": TOPIC.format(title="Second"),
        "modules/01-basics/quiz.yaml": QUIZ,
        "suggestions.yaml": "suggestions:\n  - id: a\n    prompt: Why?\n    topic: '1.1'\n"
        "  - id: b\n    parent: a\n    prompt: And then?\n",
        "reference/notes.txt": "Extra notes.",
    }


def problems(files: dict[str, str]) -> list[str]:
    with pytest.raises(PackError) as refused:
        parse_pack(files)
    return [str(p) for p in refused.value.problems]


def test_a_valid_pack_parses_with_defaults_filled_in() -> None:
    pack = parse_pack(valid_files())

    assert pack.meta.slug == "mini"
    assert pack.meta.settings.quiz_pass_threshold == 80
    assert pack.meta.settings.typed_prompt_quota == 10
    [module] = pack.modules
    assert [t.title for t in module.topics] == ["First", "Second"]
    assert module.topics[0].variants["sports"] == "A sporty retelling."
    assert module.topics[0].text.startswith("# First")
    assert module.questions[0].options[0].correct
    assert [s.parent for s in pack.suggestions] == [None, "a"]
    assert pack.suggestions[0].topic == (1, 1)


def test_topic_pairs_follow_the_seed() -> None:
    assert [topic_pair_index(n) for n in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 2]


def test_every_problem_is_reported_at_once_with_file_and_line() -> None:
    files = valid_files()
    files["course.yaml"] = "name: No slug here\nlevel: expert\n"
    files["modules/01-basics/02-again.md"] = TOPIC.format(title="Again")
    files["modules/01-basics/01-first.swimming.md"] = "Splash."
    files["modules/01-basics/quiz.yaml"] = QUIZ.replace("        correct: true\n", "")
    files["suggestions.yaml"] = "suggestions:\n  - id: b\n    parent: missing\n    prompt: Hm?\n"

    found = problems(files)

    assert "course.yaml:1: slug: is required" in found
    assert any(p.startswith("course.yaml:2: level:") for p in found)
    assert (
        "modules/01-basics/02-second.md:1: duplicate topic number 2: also "
        "modules/01-basics/02-again.md" in found
    )
    assert any(
        p.startswith("modules/01-basics/01-first.swimming.md:1: unknown persona 'swimming'")
        for p in found
    )
    assert (
        "modules/01-basics/quiz.yaml:2: question 1 has no correct option "
        "(mark one with correct: true)" in found
    )
    assert "suggestions.yaml:2: suggestion 'b': parent 'missing' is not defined above it" in found


def test_front_matter_errors_point_into_the_topic_file() -> None:
    files = valid_files()
    files["modules/01-basics/02-second.md"] = "---\ntitel: Typo\n---\nText.\n"

    found = problems(files)

    assert "modules/01-basics/02-second.md:2: titel: is not a known field" in found
    assert "modules/01-basics/02-second.md:2: title: is required" in found


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("course.yaml", "slug: a\nslug: b\nname: X\n", "course.yaml:2: duplicate key 'slug'"),
        ("course.yaml", "slug: [unclosed\n", "course.yaml:2: invalid YAML"),
        ("modules/01-basics/notes.doc", "x", "modules/01-basics/notes.doc:1: unexpected file"),
        ("reference/slides.pptx", "x", "reference/slides.pptx:1: reference material must be"),
        (
            "modules/01-basics/03-third.md",
            "No front matter",
            "modules/01-basics/03-third.md:1: topic file must start with front matter",
        ),
        (
            "modules/03-later/module.yaml",
            "title: Later\n",
            "modules/03-later:1: module 3 follows module 1: module 2 is missing; add it, "
            "or rename this folder 02-later",
        ),
        ("modules/01-basics/01-first.normal.md", "x", "the normal persona is the default text"),
    ],
)
def test_single_mistakes(path: str, text: str, expected: str) -> None:
    files = valid_files()
    files[path] = text
    assert any(p.startswith(expected) or expected in p for p in problems(files)), problems(files)


def test_an_unquoted_colon_gives_one_problem_with_the_quoted_line() -> None:
    files = valid_files()
    files["modules/01-basics/module.yaml"] = "title: Basics: the idea\n"
    files["modules/01-basics/02-second.md"] = "---\ntitle: Loss: why it matters\n---\nText.\n"

    assert problems(files) == [
        "modules/01-basics/02-second.md:2: invalid YAML in title: a ': ' inside a value "
        'starts another key; quote the value: title: "Loss: why it matters"',
        "modules/01-basics/module.yaml:1: invalid YAML in title: a ': ' inside a value "
        'starts another key; quote the value: title: "Basics: the idea"',
    ]


def test_values_yaml_reads_as_yes_no_or_numbers_are_to_be_quoted_counted_from_1() -> None:
    files = valid_files()
    files["modules/01-basics/quiz.yaml"] = QUIZ.replace('"This"', "True").replace('"That"', "False")
    files["suggestions.yaml"] = (
        "suggestions:\n  - id: a\n    prompt: Why?\n    topic: '1.1'\n"
        "  - id: b\n    prompt: And?\n    topic: 1.10\n"
    )

    assert problems(files) == [
        "modules/01-basics/quiz.yaml:5: question 1, option 1, text: YAML reads True as a "
        'yes/no value, not text: quote it, "True"',
        "modules/01-basics/quiz.yaml:7: question 1, option 2, text: YAML reads False as a "
        'yes/no value, not text: quote it, "False"',
        "suggestions.yaml:7: suggestion 2, topic: YAML reads 1.10 as a number, not text: "
        'quote it, "1.10"',
    ]


def test_a_numbering_gap_is_reported_at_the_file_after_it() -> None:
    files = valid_files()
    files["modules/01-basics/04-fourth.md"] = files.pop("modules/01-basics/02-second.md")

    assert problems(files) == [
        "modules/01-basics/04-fourth.md:1: topic 4 follows topic 1: topics 2 and 3 are "
        "missing; add them, or rename this file 02-fourth.md"
    ]


def test_a_thin_quiz_imports_with_a_warning() -> None:
    files = valid_files()
    assert parse_pack(files).warnings == (
        "modules/01-basics/quiz.yaml:1: only 1 question: one answer decides the result, and "
        "every attempt asks the same ones (quiz_question_count is 10); add questions "
        "(4 or more per topic pair)",
    )

    others = [QUIZ.split("\n", 1)[1].replace("What is it", w) for w in ("Why", "How", "Who")]
    files["modules/01-basics/quiz.yaml"] = QUIZ + "".join(others)
    files["course.yaml"] = COURSE + "  quiz_question_count: 5\n"
    assert parse_pack(files).warnings == (
        "modules/01-basics/quiz.yaml:1: 4 questions, fewer than quiz_question_count (5): "
        "every attempt asks all of them; add questions (4 or more per topic pair)",
    )
    files["course.yaml"] = COURSE + "  quiz_question_count: 4\n"
    assert parse_pack(files).warnings == ()


def test_several_correct_options_must_be_announced() -> None:
    files = valid_files()
    files["modules/01-basics/quiz.yaml"] = QUIZ.replace('"That"', '"That"\n        correct: true')
    assert any('has 2 correct options: say "(select all that apply)"' in p for p in problems(files))

    files["modules/01-basics/quiz.yaml"] = files["modules/01-basics/quiz.yaml"].replace(
        "What is it?", "What is it? (select all that apply)"
    )
    assert parse_pack(files).modules[0].questions[0].question.endswith("(select all that apply)")


def test_question_for_a_pair_without_topics_is_refused() -> None:
    files = valid_files()
    files["modules/01-basics/quiz.yaml"] = QUIZ.replace("pair: 0", "pair: 3")
    assert any("pair 3 has no topics in this module" in p for p in problems(files))


def test_the_shipped_packs_are_valid() -> None:
    demo = load_pack(REPO / "courses" / "ml-foundations")
    tiny = load_pack(REPO / "tests" / "data" / "packs" / "tiny")

    assert len(demo.modules) >= 3
    for module in demo.modules:
        assert len(module.topics) >= 4
        assert len(module.questions) >= 8
        pairs = {topic_pair_index(t.number) for t in module.topics}
        assert pairs <= {q.pair for q in module.questions}, "every topic pair has questions"
        for topic in module.topics:
            assert set(topic.variants) == {"sports", "cooking", "adventure"}
    assert any(s.parent for s in demo.suggestions)
    assert demo.references
    assert tiny.meta.slug == "tiny"


def test_a_zip_of_the_folder_reads_the_same(tmp_path: Path) -> None:
    import shutil

    archive = shutil.make_archive(str(tmp_path / "tiny"), "zip", REPO / "tests/data/packs", "tiny")
    from_zip = load_pack(Path(archive))
    from_folder = load_pack(REPO / "tests/data/packs/tiny")
    assert from_zip.content_hash == from_folder.content_hash
