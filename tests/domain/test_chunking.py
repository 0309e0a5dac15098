"""Chunks follow the author's structure and overlap across boundaries."""

from __future__ import annotations

from itertools import pairwise

from domain.chunking import chunk_markdown, sections

DOC = """\
# Gradient descent

Intro paragraph about descending.

## The learning rate

{long}

## Key ideas

- small steps
- big steps
"""


def long_text(sentences: int) -> str:
    return " ".join(f"Sentence number {i} explains one more detail." for i in range(sentences))


def test_sections_keep_their_heading_path() -> None:
    found = sections(DOC.format(long="Short."))
    assert [s.headings for s in found] == [
        ("Gradient descent",),
        ("Gradient descent", "The learning rate"),
        ("Gradient descent", "Key ideas"),
    ]
    assert found[2].blocks == ("- small steps\n- big steps",)


def test_chunks_never_straddle_a_heading_and_respect_the_size_limit() -> None:
    chunks = chunk_markdown(
        DOC.format(long=long_text(60)),
        source="topic/2.2",
        title="Gradient descent",
        citation="2.2 Gradient descent",
        module_no=2,
        topic_number=2,
        max_chars=500,
        overlap=120,
    )

    assert all(len(c.content) <= 500 for c in chunks)
    rate = [c for c in chunks if c.citation == "2.2 Gradient descent › The learning rate"]
    assert len(rate) >= 4
    assert all(c.content.startswith("Gradient descent › The learning rate\n\n") for c in rate)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert {c.module_no for c in chunks} == {2}


def test_consecutive_chunks_of_a_section_overlap() -> None:
    chunks = chunk_markdown(
        DOC.format(long=long_text(60)),
        source="s",
        title="Gradient descent",
        citation="c",
        max_chars=500,
        overlap=120,
    )
    rate = [c.content.split("\n\n", 1)[1] for c in chunks if "learning rate" in c.citation]
    for first, second in pairwise(rate):
        last_sentence = first.rsplit(". ", 1)[-1]
        assert last_sentence in second


def test_code_fences_stay_whole() -> None:
    doc = "# T\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter."
    [section] = sections(doc)
    assert section.blocks[0] == "```python\nx = 1\n\ny = 2\n```"


def test_content_hash_changes_only_with_content() -> None:
    one = chunk_markdown("# A\n\nText.", source="s", title="A", citation="A")[0]
    same = chunk_markdown("# A\n\nText.", source="s", title="A", citation="A")[0]
    other = chunk_markdown("# A\n\nText!", source="s", title="A", citation="A")[0]
    assert one.content_hash == same.content_hash != other.content_hash


def test_a_setext_heading_is_a_heading_and_its_underline_is_not_text() -> None:
    text = "Cheat sheet\n===========\n\n1. Data\n-------\nSplit: 70/15/15\n"

    found = sections(text)

    assert [s.headings for s in found] == [("Cheat sheet", "1. Data")]
    assert found[0].blocks == ("Split: 70/15/15",)


def test_ascii_rules_are_dropped() -> None:
    found = sections("Above the line.\n\n----------\n\nBelow it.\n\n*****\n")
    assert found[0].blocks == ("Above the line.", "Below it.")


def test_comment_lines_of_unfenced_code_are_not_headings() -> None:
    text = "## Code\n\nx = load()\n# scale the features\ny = scale(x)\n\n# fit\nmodel = fit(y)\n"

    found = sections(text)

    assert [s.headings for s in found] == [("Code",)]
    assert found[0].blocks == (
        "x = load()\n# scale the features\ny = scale(x)",
        "# fit\nmodel = fit(y)",
    )


def test_an_end_sidebar_marker_returns_to_the_section_it_interrupted() -> None:
    text = "## Loss\n\nBefore.\n\n### Sidebar: history\n\nOld story.\n\n### End sidebar\n\nAfter.\n"

    found = sections(text)

    assert [(s.headings, s.blocks) for s in found] == [
        (("Loss",), ("Before.",)),
        (("Loss", "Sidebar: history"), ("Old story.",)),
        (("Loss",), ("After.",)),
    ]


def test_a_module_attribute_on_a_heading_places_its_section_and_is_not_shown() -> None:
    text = "# Notes\n\nIntro.\n\n## Descent {module=2}\n\nSteps.\n\n### Detail\n\nMore.\n"

    found = sections(text)

    assert [(s.headings, s.module_no) for s in found] == [
        (("Notes",), None),
        (("Notes", "Descent"), 2),
        (("Notes", "Descent", "Detail"), 2),
    ]


def test_a_shouted_heading_is_written_in_title_case() -> None:
    found = sections("# CHEAT SHEET\n\n## 2. MODELS\n\nLinear regression.\n")
    assert [s.headings for s in found] == [("Cheat Sheet", "2. Models")]


def test_an_author_is_warned_of_long_topics_and_code_looking_headings() -> None:
    from domain.chunking import warnings
    from domain.course_pack import parse_pack

    body = "Intro.\n\n# x = load(path)\n\nText.\n\n" + "Long text. " * 800
    pack = parse_pack(
        {
            "course.yaml": "slug: w\nname: W\n",
            "modules/01-a/module.yaml": "title: A\n",
            "modules/01-a/01-t.md": f"---\ntitle: T\n---\n{body}",
        }
    )

    found = warnings(pack)

    assert any(w.startswith("modules/01-a/01-t.md:1: long topic (") for w in found)
    assert any("heading 'x = load(path)' looks like code" in w for w in found)
