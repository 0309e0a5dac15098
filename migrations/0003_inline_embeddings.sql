-- Keep embeddings in the row instead of TOAST: an exact (filtered) scan then reads one
-- heap tuple per chunk instead of a separate TOAST fetch for every vector, measured ~3x
-- faster at 100k chunks (benchmarks/retrieval.py). Applies to rows written from now on;
-- a re-import rewrites a course's chunks.
ALTER TABLE course_chunks ALTER COLUMN embedding SET STORAGE MAIN;
