"""Which module each piece of reference material belongs to, so a module bound is complete.

A glossary or a cheat sheet covers the whole course; left without a module it would quote
module 3's k-fold cross-validation to a learner who has only opened module 1. So every
reference chunk gets a module: the author's (`reference_modules` in course.yaml for a
document, `{module=N}` on a heading for its section), or else the one its text is about.
"About" is measured with BM25 against every topic's text: the chunk goes to the module of
its best-matching topic — or to a later module whose topic matches nearly as well
(PLACEMENT_MARGIN), since showing a passage too late costs little and too early spoils.
A chunk that shares no word with any topic goes to the last module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from domain.chunking import Chunk
from domain.course_pack import CoursePack
from domain.lexical import Bm25

PLACEMENT_MARGIN = 0.8


@dataclass(frozen=True)
class TopicText:
    module_no: int
    topic_number: int
    title: str
    text: str


@dataclass(frozen=True)
class Placement:
    source: str
    citation: str
    module_no: int
    how: str  # "author" | "matched" | "unmatched"
    topic: tuple[int, int] | None = None  # the topic it matched

    def describe(self) -> str:
        if self.how == "author":
            return f"module {self.module_no} (set by the author)"
        if self.how == "matched" and self.topic:
            return f"module {self.module_no} (closest topic {self.topic[0]}.{self.topic[1]})"
        return f"module {self.module_no} (matches no topic: the last module)"


class ReferencePlacer:
    def __init__(self, topics: Sequence[TopicText]) -> None:
        self._topics = list(topics)
        self._index = Bm25(f"{t.title}\n\n{t.text}" for t in self._topics)
        self._last = max((t.module_no for t in self._topics), default=1)

    def place(
        self,
        chunks: Sequence[Chunk],
        documents: Mapping[str, int] | None = None,
    ) -> tuple[list[Chunk], list[Placement]]:
        """`chunks` with a module each; `documents` maps a reference file name to the
        module its author gave it. A chunk that already has one (its heading said so)
        keeps it."""
        placed: list[Chunk] = []
        placements: list[Placement] = []
        for chunk in chunks:
            name = chunk.source.removeprefix("reference/")
            if chunk.module_no is not None:
                placement = Placement(chunk.source, chunk.citation, chunk.module_no, "author")
            elif documents and name in documents:
                placement = Placement(chunk.source, chunk.citation, documents[name], "author")
            else:
                placement = self._match(chunk)
            placed.append(replace(chunk, module_no=placement.module_no))
            placements.append(placement)
        return placed, placements

    def _match(self, chunk: Chunk) -> Placement:
        scores = self._index.scores(chunk.content)
        best = max(scores, default=0.0)
        if best <= 0:
            return Placement(chunk.source, chunk.citation, self._last, "unmatched")
        close = [
            (t.module_no, s, t)
            for t, s in zip(self._topics, scores, strict=True)
            if s >= PLACEMENT_MARGIN * best
        ]
        *_, topic = max(close, key=lambda entry: entry[:2])
        return Placement(
            chunk.source,
            chunk.citation,
            topic.module_no,
            "matched",
            (topic.module_no, topic.topic_number),
        )


def topic_texts(pack: CoursePack) -> list[TopicText]:
    return [
        TopicText(module.number, topic.number, topic.title, topic.text)
        for module in pack.modules
        for topic in module.topics
    ]


def place_pack(pack: CoursePack, chunks: Sequence[Chunk]) -> tuple[list[Chunk], list[Placement]]:
    """A pack's chunks with every reference chunk placed in a module."""
    placer = ReferencePlacer(topic_texts(pack))
    references = [c for c in chunks if c.source.startswith("reference/")]
    placed, placements = placer.place(references, pack.meta.reference_modules)
    by_key = {(c.source, c.position): c for c in placed}
    return [by_key.get((c.source, c.position), c) for c in chunks], placements
