-- Spaced review (domain/review): the authors' cards, each learner's deck, the log of
-- answers, and the quiz polls the bot sent.

-- A topic's review cards from the course pack (`review:`), synced at import like quiz
-- questions. A card the author drops is deleted here; the learners' cards of it stay in
-- their decks but find no prompt, so they are never asked (and a re-added card with the
-- same key comes back with its memory).
CREATE TABLE review_author_cards (
    course_id     uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    key           text NOT NULL,
    module_no     integer NOT NULL,
    topic_number  integer NOT NULL,
    question      text NOT NULL,
    options       jsonb NOT NULL,  -- [{"text": "...", "correct": true}, ...], in order
    explanation   text NOT NULL DEFAULT '',
    PRIMARY KEY (course_id, key)
);

-- A learner's deck. `source` is "quiz:<question key>" or "author:<card key>": the card
-- asks what the course says now. `state` is fsrs.Card.to_dict(); `due` is when it is
-- next asked (the state's own due, or later after "later"); `reps` counts answers applied
-- and is the version an answer's write compares against.
CREATE TABLE review_cards (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    source      text NOT NULL,
    module_no   integer NOT NULL,
    state       jsonb NOT NULL,
    due         timestamptz NOT NULL,
    reps        integer NOT NULL DEFAULT 0 CHECK (reps >= 0),
    is_new      boolean GENERATED ALWAYS AS (state ->> 'last_review' IS NULL) STORED,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, course_id, source)
);
-- Today's queue and "how many are due" (reminders) read a learner's cards by due.
CREATE INDEX review_cards_due_idx ON review_cards (user_id, due);
CREATE INDEX review_cards_course_idx ON review_cards (course_id);

-- Each time a card is put to the learner: a quiz poll (`poll_id`, since a poll_answer
-- names only the poll and the person) or a question with buttons (whose callback data
-- carries the ask's id). An answer is applied once per ask: the log's key is the ask's.
-- An answer to a poll not here, or by someone else, is refused. `options` is how many
-- were shown, so an answer to a card reworded meanwhile to other options is told apart.
-- `id` is random and chosen before sending (the buttons carry it), so the row is written
-- once, after the send; `seq` orders a learner's asks.
CREATE TABLE review_asks (
    id          bigint PRIMARY KEY,
    seq         bigserial NOT NULL,
    poll_id     text UNIQUE,
    bot_id      bigint NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id     bigint NOT NULL,
    message_id  bigint NOT NULL,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    source      text NOT NULL,
    options     integer NOT NULL,
    asked_at    timestamptz NOT NULL
);
CREATE INDEX review_asks_user_idx ON review_asks (user_id, seq);

-- One line per answer applied, keyed by its ask ("ask:<id>"): a re-delivered poll_answer,
-- a retried update or a double tap is applied once.
CREATE TABLE review_log (
    idempotency_key  text PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    source           text NOT NULL,
    rating           text NOT NULL CHECK (rating IN ('again', 'hard', 'good', 'easy')),
    is_right         boolean NOT NULL,
    was_new          boolean NOT NULL,
    duration_ms      integer CHECK (duration_ms >= 0),
    fsrs_log         jsonb NOT NULL DEFAULT '{}',
    reviewed_at      timestamptz NOT NULL
);
CREATE INDEX review_log_user_idx ON review_log (user_id, reviewed_at);
