-- Retrieval bookkeeping per course: which embedding model indexed it (searching with another
-- model is refused), how many chunks it has (small courses are searched exactly), and the
-- hash of the pack last imported (an unchanged re-import writes nothing).
ALTER TABLE courses
    ADD COLUMN embedding_model text,
    ADD COLUMN embedding_dims  integer CHECK (embedding_dims BETWEEN 1 AND 2000),
    ADD COLUMN chunk_count     integer NOT NULL DEFAULT 0;

ALTER TABLE course_chunks ADD COLUMN topic_number integer;
