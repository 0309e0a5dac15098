-- A learner's notes and bookmarks on topics (seeds 004 Note, 003 bookmarks).
--
-- A note keeps the topic's place and title as they were when it was written: an author
-- may renumber or drop a topic in a later import, and the note is the learner's, so it
-- outlives the topic (`topic_id` set to NULL) and is still listed where it was. One note
-- per message the learner sent (`chat_id`, `message_id`): a re-delivered update adds
-- nothing.
CREATE TABLE notes (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    topic_id      uuid REFERENCES topics (id) ON DELETE SET NULL,
    module_no     integer NOT NULL,
    topic_number  integer NOT NULL,
    topic_title   text NOT NULL,
    body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    chat_id       bigint NOT NULL,
    message_id    bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (user_id, chat_id, message_id)
);
CREATE INDEX notes_user_idx ON notes (user_id, created_at DESC);
CREATE INDEX notes_topic_idx ON notes (topic_id);

-- A bookmark is a pointer to a topic: with the topic gone it points nowhere, so it goes.
CREATE TABLE bookmarks (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id    uuid NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, topic_id)
);
CREATE INDEX bookmarks_topic_idx ON bookmarks (topic_id);
