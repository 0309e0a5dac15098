"""Importing a validated course pack: chunk, embed only what changed, save in one go."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.chunking import Chunk, chunk_pack, chunk_reference, warnings
from domain.course_pack import CoursePack, PackError
from domain.placement import Placement, ReferencePlacer, TopicText, place_pack
from domain.prerequisites import import_problems
from domain.retrieval import Embedder

Progress = Callable[[int, int], None]


class CourseStore(Protocol):
    async def prerequisite_graph(self) -> Mapping[str, Sequence[str]]: ...

    async def is_current(self, slug: str, content_hash: str, model: str) -> bool: ...

    async def known_vectors(self, slug: str, model: str) -> dict[str, Any]: ...

    async def save(
        self,
        pack: CoursePack,
        chunks: Sequence[Chunk],
        vectors: Sequence[Any],
        *,
        model: str,
        dimensions: int,
    ) -> Any: ...


@dataclass(frozen=True)
class ImportSummary:
    slug: str
    modules: int
    topics: int
    questions: int
    suggestions: int
    chunks: int
    embedded: int
    unchanged: bool
    placements: tuple[Placement, ...] = ()  # where each reference chunk went
    warnings: tuple[str, ...] = ()  # `file:line: …` an author may want to fix


class CourseImporter:
    def __init__(self, store: CourseStore, embedder: Embedder, batch_size: int = 64) -> None:
        self._store = store
        self._embedder = embedder
        self._batch = batch_size

    async def run(self, pack: CoursePack, progress: Progress | None = None) -> ImportSummary:
        """Raises PackError when the pack's `requires:` names a course not in the database or
        closes a cycle: checked before anything is embedded, and again by `save` in its
        transaction (two imports at once cannot close a cycle between them)."""
        slug, model = pack.meta.slug, self._embedder.model
        problems = import_problems(pack, await self._store.prerequisite_graph())
        if problems:
            raise PackError(problems)
        chunks, placements = place_pack(pack, chunk_pack(pack))
        if await self._store.is_current(slug, pack.content_hash, model):
            return self._summary(pack, chunks, placements, embedded=0, unchanged=True)
        known = await self._store.known_vectors(slug, model)
        unique = {c.content_hash: c.content for c in chunks if c.content_hash not in known}
        missing = list(unique.items())
        fresh: dict[str, Any] = {}
        for start in range(0, len(missing), self._batch):
            batch = missing[start : start + self._batch]
            vectors = await self._embedder.embed([text for _, text in batch])
            fresh.update(zip((h for h, _ in batch), vectors, strict=True))
            if progress:
                progress(min(start + self._batch, len(missing)), len(missing))
        vectors = [known.get(c.content_hash, fresh.get(c.content_hash)) for c in chunks]
        await self._store.save(
            pack, chunks, vectors, model=model, dimensions=self._embedder.dimensions
        )
        return self._summary(pack, chunks, placements, embedded=len(missing), unchanged=False)

    @staticmethod
    def _summary(
        pack: CoursePack,
        chunks: list[Chunk],
        placements: list[Placement],
        *,
        embedded: int,
        unchanged: bool,
    ) -> ImportSummary:
        return ImportSummary(
            pack.meta.slug,
            len(pack.modules),
            pack.topic_count,
            pack.question_count,
            len(pack.suggestions),
            len(chunks),
            embedded,
            unchanged,
            tuple(placements),
            (*pack.warnings, *warnings(pack)),
        )


class ReindexStore(Protocol):
    async def chunk_texts(self, slug: str) -> list[tuple[Any, str]]: ...

    async def replace_vectors(
        self, slug: str, ids: Sequence[Any], vectors: Sequence[Any], *, model: str, dimensions: int
    ) -> int: ...


@dataclass(frozen=True)
class ReindexSummary:
    slug: str
    chunks: int
    embedded: int  # distinct texts sent to the embedder
    model: str
    dimensions: int


class CourseReindexer:
    """Rebuild one course's retrieval index from what is stored.

    The original pack files are not kept, but the chunks are (course_chunks holds each
    chunk's text), and chunking depends only on the pack, so re-chunking would give the
    same rows. A reindex therefore re-embeds every stored chunk with the configured
    embedder (each distinct text once), then writes the vectors, the course's model and
    dimensions and the model's HNSW index in one transaction. Use it after switching
    embedding backends, or to repair vectors; changed content needs a fresh import.
    """

    def __init__(self, store: ReindexStore, embedder: Embedder, batch_size: int = 64) -> None:
        self._store = store
        self._embedder = embedder
        self._batch = batch_size

    async def run(self, slug: str, progress: Progress | None = None) -> ReindexSummary:
        rows = await self._store.chunk_texts(slug)
        unique = list(dict.fromkeys(text for _, text in rows))
        vectors: dict[str, Any] = {}
        for start in range(0, len(unique), self._batch):
            batch = unique[start : start + self._batch]
            vectors.update(zip(batch, await self._embedder.embed(batch), strict=True))
            if progress:
                progress(min(start + self._batch, len(unique)), len(unique))
        model, dims = self._embedder.model, self._embedder.dimensions
        await self._store.replace_vectors(
            slug,
            [chunk_id for chunk_id, _ in rows],
            [vectors[text] for _, text in rows],
            model=model,
            dimensions=dims,
        )
        return ReindexSummary(slug, len(rows), len(unique), model, dims)


class ReferenceStore(Protocol):
    async def embedding_model(self, slug: str) -> str | None: ...

    async def topic_texts(self, slug: str) -> list[TopicText]: ...

    async def replace_source(
        self,
        slug: str,
        source: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Any],
        *,
        model: str,
        dimensions: int,
    ) -> tuple[int, bool]: ...


class ModelMismatch(Exception):
    """The course is indexed with another embedding model than the configured one."""

    def __init__(self, course_model: str, configured: str) -> None:
        super().__init__(course_model, configured)
        self.course_model = course_model
        self.configured = configured


@dataclass(frozen=True)
class ReferenceSummary:
    slug: str
    source: str
    chunks: int  # the document's chunks
    total: int  # the course's chunks afterwards
    replaced: bool  # a reference of that name was there before
    placements: tuple[Placement, ...] = ()


class ReferenceImporter:
    """Add one reference document (or replace the one of that name) to an existing course.

    The text is chunked exactly like a pack's reference/<name> file, embedded with the
    configured embedder (refused with ModelMismatch if the course's index was built with
    another model: /reindex first), and the store swaps that source's chunks in one
    transaction. The pack itself is not changed: a later full re-import of the course's
    pack replaces all its chunks with the pack's own, dropping documents added this way.
    """

    def __init__(self, store: ReferenceStore, embedder: Embedder, batch_size: int = 64) -> None:
        self._store = store
        self._embedder = embedder
        self._batch = batch_size

    async def run(
        self, slug: str, name: str, text: str, progress: Progress | None = None
    ) -> ReferenceSummary:
        model = self._embedder.model
        current = await self._store.embedding_model(slug)
        if current is not None and current != model:
            raise ModelMismatch(current, model)
        placer = ReferencePlacer(await self._store.topic_texts(slug))
        chunks, placements = placer.place(chunk_reference(name, text))
        unique = list(dict.fromkeys(c.content for c in chunks))
        vectors: dict[str, Any] = {}
        for start in range(0, len(unique), self._batch):
            batch = unique[start : start + self._batch]
            vectors.update(zip(batch, await self._embedder.embed(batch), strict=True))
            if progress:
                progress(min(start + self._batch, len(unique)), len(unique))
        source = chunks[0].source if chunks else f"reference/{name}"
        total, replaced = await self._store.replace_source(
            slug,
            source,
            chunks,
            [vectors[c.content] for c in chunks],
            model=model,
            dimensions=self._embedder.dimensions,
        )
        return ReferenceSummary(slug, source, len(chunks), total, replaced, tuple(placements))


class CourseImportStore(CourseStore, ReindexStore, ReferenceStore, Protocol):
    """Everything importing, extending and reindexing courses needs from storage."""


class CourseImportService:
    """The use cases behind `tutorbot import`, the admin's /import and /reindex: one
    store and the configured embedder, wired once (a local embedding model is slow to load)."""

    def __init__(self, store: CourseImportStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    async def import_pack(
        self, pack: CoursePack, progress: Progress | None = None
    ) -> ImportSummary:
        return await CourseImporter(self._store, self._embedder).run(pack, progress)

    async def add_reference(self, slug: str, name: str, text: str) -> ReferenceSummary:
        """Raises ModelMismatch when the course is indexed with another model."""
        return await ReferenceImporter(self._store, self._embedder).run(slug, name, text)

    async def reindex(self, slug: str) -> ReindexSummary:
        return await CourseReindexer(self._store, self._embedder).run(slug)
