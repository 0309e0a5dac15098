"""Every reference chunk gets a module: the author's, or the one its text is about."""

from __future__ import annotations

from domain.chunking import Chunk, chunk_pack, chunk_reference
from domain.course_pack import parse_pack
from domain.placement import ReferencePlacer, TopicText, place_pack

TOPICS = [
    TopicText(1, 1, "Learning from data", "Programs learn patterns from examples and data."),
    TopicText(2, 1, "Gradient descent", "Gradient descent takes steps against the gradient."),
    TopicText(3, 1, "Cross-validation", "k-fold cross-validation rotates the validation fold."),
]


def reference(text: str) -> Chunk:
    return Chunk("reference/glossary.md", 0, "Glossary", text)


def test_a_section_goes_to_the_module_of_the_topic_it_is_about() -> None:
    placed, how = ReferencePlacer(TOPICS).place(
        [reference("Glossary › K-fold\n\nSplit the data into k folds for cross-validation.")]
    )
    assert placed[0].module_no == 3
    assert how[0].how == "matched" and how[0].topic == (3, 1)


def test_a_section_about_two_modules_goes_to_the_later_one() -> None:
    text = "Gradient descent and k-fold cross-validation, side by side."
    [chunk], _ = ReferencePlacer(TOPICS).place([reference(text)])
    assert chunk.module_no == 3


def test_a_section_matching_no_topic_goes_to_the_last_module() -> None:
    [chunk], [how] = ReferencePlacer(TOPICS).place([reference("Zebras and giraffes.")])
    assert chunk.module_no == 3 and how.how == "unmatched"


def test_the_author_decides_per_document_or_per_section() -> None:
    chunks = chunk_reference(
        "notes.md", "# Notes\n\nGradient descent recap.\n\n## Folds {module=1}\n\nk-fold.\n"
    )
    placed, how = ReferencePlacer(TOPICS).place(chunks, {"notes.md": 2})
    assert [c.module_no for c in placed] == [2, 1]
    assert {h.how for h in how} == {"author"}


def pack_files(**extra: str) -> dict[str, str]:
    files = {
        "course.yaml": "slug: tiny\nname: Tiny\n",
        "modules/01-a/module.yaml": "title: A\n",
        "modules/01-a/01-data.md": "---\ntitle: Data\n---\nExamples and labels make data.\n",
        "modules/02-b/module.yaml": "title: B\n",
        "modules/02-b/01-descent.md": "---\ntitle: Descent\n---\nGradient descent steps.\n",
        "reference/glossary.md": "# Glossary\n\n## Label\n\nThe answer in labelled data.\n\n"
        "## Gradient\n\nThe slope gradient descent follows.\n",
    }
    return files | extra


def test_a_packs_reference_chunks_all_have_a_module() -> None:
    pack = parse_pack(pack_files())
    chunks, placements = place_pack(pack, chunk_pack(pack))

    assert all(c.module_no is not None for c in chunks)
    by_section = {p.citation: p.module_no for p in placements}
    assert by_section == {"Glossary › Label": 1, "Glossary › Gradient": 2}


def test_reference_modules_in_course_yaml_must_name_files_and_modules_that_exist() -> None:
    files = pack_files()
    files["course.yaml"] += "reference_modules:\n  glossary.md: 5\n  missing.md: 1\n"
    files["reference/glossary.md"] += "\n## Later {module=9}\n\nText.\n"
    try:
        parse_pack(files)
    except Exception as exc:  # PackError
        problems = [str(p) for p in exc.problems]  # type: ignore[attr-defined]
    else:
        raise AssertionError("the pack was accepted")
    assert "course.yaml:4: reference_modules: glossary.md: no module 5" in problems
    assert "course.yaml:5: reference_modules: no file reference/missing.md" in problems
    assert any(p.startswith("reference/glossary.md:") and "{module=9}" in p for p in problems)
