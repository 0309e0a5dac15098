-- Ask a human tutor (issue 23): a learner's question goes to the course's tutors, in a
-- staff supergroup's forum topic when the admins linked one, else in the tutors' private
-- chats; a tutor claims it and the two write back and forth through the bot until it is
-- resolved and rated. Every row is keyed so a re-delivered update writes it once.

-- The staff group a bot posts requests to (one per bot: its topics are the bot's).
CREATE TABLE staff_groups (
    bot_id     bigint PRIMARY KEY,
    chat_id    bigint NOT NULL,
    title      text NOT NULL DEFAULT '',
    linked_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    linked_at  timestamptz NOT NULL
);

CREATE TABLE help_requests (
    id                 bigserial PRIMARY KEY,
    bot_id             bigint NOT NULL,
    learner_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id          uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no          integer,
    topic_number       integer,
    question           text NOT NULL,
    -- The learner's last exchange with the AI tutor in this course, as the tutor reads it.
    ai_question        text,
    ai_answer          text,
    status             text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'claimed', 'resolved')),
    claimed_by         bigint REFERENCES users (id) ON DELETE SET NULL,
    claimed_at         timestamptz,
    first_response_at  timestamptz,
    escalated_at       timestamptz,
    resolved_at        timestamptz,
    resolved_by        text CHECK (resolved_by IN ('learner', 'tutor')),
    rating             smallint CHECK (rating BETWEEN 1 AND 5),
    -- Where it was posted: the staff group and its forum topic (NULL: private chats).
    staff_chat_id      bigint,
    thread_id          bigint,
    created_at         timestamptz NOT NULL,
    source_update      bigint,
    UNIQUE (bot_id, source_update)
);
CREATE INDEX help_requests_learner_idx ON help_requests (learner_id, status);
CREATE INDEX help_requests_course_idx ON help_requests (course_id, created_at);
CREATE INDEX help_requests_thread_idx ON help_requests (staff_chat_id, thread_id)
    WHERE thread_id IS NOT NULL;
-- The escalation sweep's queue: waiting for a first answer, not escalated yet.
CREATE INDEX help_requests_unanswered_idx ON help_requests (bot_id, created_at)
    WHERE status <> 'resolved' AND first_response_at IS NULL AND escalated_at IS NULL;

CREATE TABLE help_messages (
    id             bigserial PRIMARY KEY,
    request_id     bigint NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    author_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    side           text NOT NULL CHECK (side IN ('learner', 'tutor')),
    body           text NOT NULL DEFAULT '',
    media          text,  -- the kind of file relayed (photo, document, …), copied as is
    drafted        boolean NOT NULL DEFAULT false,  -- the AI tutor's draft, sent by a tutor
    created_at     timestamptz NOT NULL,
    bot_id         bigint NOT NULL,
    source_update  bigint,
    UNIQUE (bot_id, source_update)
);
CREATE INDEX help_messages_request_idx ON help_messages (request_id, id);
CREATE INDEX help_messages_author_idx ON help_messages (author_id);

-- The messages the bot posted for a request (its card, what it relayed), so a press or a
-- Telegram reply on one of them finds its request, and a claim can edit every card.
CREATE TABLE help_posts (
    chat_id     bigint NOT NULL,
    message_id  bigint NOT NULL,
    request_id  bigint NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('card', 'relay')),
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX help_posts_request_idx ON help_posts (request_id);
