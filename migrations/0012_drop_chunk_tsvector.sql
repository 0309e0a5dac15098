-- The lexical half of retrieval is BM25 over chunk_terms now (0010); the English tsvector
-- and its GIN index were written on every chunk and read by nothing.
DROP INDEX IF EXISTS course_chunks_tsv_idx;
ALTER TABLE course_chunks DROP COLUMN IF EXISTS tsv;
