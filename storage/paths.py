"""Learning paths: written whole from a path file, read as a card with one learner's
standing in each course (one statement each)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.course_pack import PackError
from domain.paths import LearningPath, PathPack, PathStep, PathSummary, unknown_courses

# The catalog's paths, a column of its one statement (storage.learning): each path with
# how many of its courses are published. Uncorrelated, so computed once per statement.
CATALOG_PATHS = """
    (SELECT coalesce(jsonb_agg(jsonb_build_array(lp.id, lp.slug, lp.name, (
            SELECT count(*) FROM learning_path_courses pc JOIN courses pcc
                ON pcc.id = pc.course_id AND pcc.is_published
            WHERE pc.path_id = lp.id)) ORDER BY lp.name), '[]')
     FROM learning_paths lp) AS paths
"""


def paths_of(column: list) -> list[PathSummary]:
    """The `paths` column of CATALOG_PATHS: paths with a published course to follow."""
    return [PathSummary(UUID(id), slug, name, n) for id, slug, name, n in column if n]


class PgPathStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save_path(self, path: PathPack) -> UUID:
        """Insert or replace the path of that slug with its courses in order, in one
        transaction; PackError (nothing written) when a course is not in the database."""
        async with self._pool.acquire() as conn, conn.transaction():
            found = await conn.fetch(
                "SELECT id, slug FROM courses WHERE slug = ANY($1::text[]) FOR SHARE",
                list(path.courses),
            )
            problems = unknown_courses(path, [r["slug"] for r in found])
            if problems:
                raise PackError(problems)
            ids = {r["slug"]: r["id"] for r in found}
            path_id = await conn.fetchval(
                """
                INSERT INTO learning_paths (slug, name, description) VALUES ($1, $2, $3)
                ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name,
                    description = EXCLUDED.description, updated_at = now()
                RETURNING id
                """,
                path.slug,
                path.name,
                path.description,
            )
            await conn.execute("DELETE FROM learning_path_courses WHERE path_id = $1", path_id)
            await conn.execute(
                """
                INSERT INTO learning_path_courses (path_id, position, course_id)
                SELECT $1, w.position, w.id
                FROM unnest($2::uuid[]) WITH ORDINALITY AS w(id, position)
                """,
                path_id,
                [ids[slug] for slug in path.courses],
            )
        return path_id

    async def path(self, user_id: int, path_id: UUID) -> LearningPath | None:
        row = await self._pool.fetchrow(
            """
            SELECT lp.id, lp.slug, lp.name, lp.description,
                (SELECT coalesce(jsonb_agg(jsonb_build_array(c.id, c.slug, c.name,
                        c.is_published, e.status,
                        (SELECT count(*) FROM topics t WHERE t.course_id = c.id),
                        (SELECT count(*) FROM topic_progress tp
                         JOIN topics t ON t.id = tp.topic_id
                         WHERE tp.user_id = $1 AND t.course_id = c.id AND tp.is_completed))
                    ORDER BY pc.position), '[]')
                 FROM learning_path_courses pc JOIN courses c ON c.id = pc.course_id
                 LEFT JOIN enrollments e ON e.user_id = $1 AND e.course_id = c.id
                 WHERE pc.path_id = lp.id) AS steps
            FROM learning_paths lp WHERE lp.id = $2
            """,
            user_id,
            path_id,
        )
        if row is None:
            return None
        steps = tuple(PathStep(UUID(s[0]), *s[1:]) for s in row["steps"])
        return LearningPath(row["id"], row["slug"], row["name"], row["description"], steps)
