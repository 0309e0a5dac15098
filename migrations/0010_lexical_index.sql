-- BM25 for the lexical half of retrieval. `chunk_terms` holds each chunk's terms (as
-- domain.lexical.terms() makes them, in Python, at import) with their count in the chunk and
-- the chunk's length in terms; a term's document frequency is the number of its rows in the
-- course. The primary key serves the search: a query reads only its own terms' rows, with
-- everything BM25 needs in the index. Rebuilt whole per course on every import.
CREATE TABLE chunk_terms (
    course_id  uuid    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    term       text    NOT NULL,
    chunk_id   bigint  NOT NULL,
    module_no  integer NOT NULL,
    tf         integer NOT NULL,
    length     integer NOT NULL,
    PRIMARY KEY (course_id, term, chunk_id) INCLUDE (module_no, tf, length)
);

-- Which version of domain.lexical.terms() wrote a course's postings (NULL: none yet; the
-- bot rebuilds them from the stored chunks on start) and its chunks' mean length in terms.
ALTER TABLE courses
    ADD COLUMN lexical_version     integer,
    ADD COLUMN lexical_mean_length real NOT NULL DEFAULT 0;
