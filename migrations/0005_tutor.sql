-- Ask the tutor: admin grants on top of the typed-prompt quota, one conversation thread per
-- learner and module (seed 002's ai_mentor_threads / ai_mentor_thread_messages), and
-- answers generated once for curated suggestions that came without one.

ALTER TABLE module_prompt_usage
    ADD COLUMN granted integer NOT NULL DEFAULT 0 CHECK (granted >= 0);

CREATE TABLE ai_mentor_threads (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no   integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz
);
CREATE UNIQUE INDEX ai_mentor_threads_open_idx
    ON ai_mentor_threads (user_id, course_id, module_no) WHERE closed_at IS NULL;

CREATE TABLE ai_mentor_thread_messages (
    id           bigserial PRIMARY KEY,
    thread_id    uuid NOT NULL REFERENCES ai_mentor_threads (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('learner', 'tutor')),
    content      text NOT NULL,
    citations    jsonb NOT NULL DEFAULT '[]'::jsonb,
    tokens_used  integer,
    model        text,
    typed        boolean NOT NULL DEFAULT true,  -- false: a curated suggestion (free)
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_mentor_thread_messages_thread_idx ON ai_mentor_thread_messages (thread_id, id);

ALTER TABLE topic_prompt_suggestions
    ADD COLUMN generated_answer    text,
    ADD COLUMN generated_citations jsonb;
