-- Core schema (seed 000, adapted to Telegram): accounts, catalog, personalisation,
-- progress and quizzes, retrieval chunks, plus the runtime's conversation state and
-- processed-update log.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TYPE user_role AS ENUM ('learner', 'tutor', 'admin');
CREATE TYPE study_persona AS ENUM ('normal', 'sports', 'cooking', 'adventure');
CREATE TYPE enrollment_status AS ENUM ('active', 'suspended', 'completed');
CREATE TYPE quiz_attempt_status AS ENUM ('in_progress', 'passed', 'failed', 'abandoned');

-- Users are keyed by their Telegram user id: that is the only identity the bot sees.
CREATE TABLE users (
    id              bigint PRIMARY KEY,
    username        text,
    first_name      text NOT NULL DEFAULT '',
    last_name       text,
    language_code   text,
    role            user_role NOT NULL DEFAULT 'learner',
    is_blocked      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_role_idx ON users (role) WHERE role <> 'learner';

CREATE TABLE courses (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                 text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                 text NOT NULL,
    description          text NOT NULL DEFAULT '',
    category             text NOT NULL DEFAULT '',
    level                text NOT NULL DEFAULT 'beginner',
    price_cents          integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    currency             text NOT NULL DEFAULT 'USD',
    quiz_pass_threshold  integer NOT NULL DEFAULT 70 CHECK (quiz_pass_threshold BETWEEN 1 AND 100),
    quiz_cooldown_hours  integer NOT NULL DEFAULT 24 CHECK (quiz_cooldown_hours >= 0),
    quiz_attempts_limit  integer NOT NULL DEFAULT 0 CHECK (quiz_attempts_limit >= 0),
    typed_prompt_quota   integer NOT NULL DEFAULT 10 CHECK (typed_prompt_quota >= 0),
    is_published         boolean NOT NULL DEFAULT true,
    content_hash         text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE course_tutors (
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_tutors_user_idx ON course_tutors (user_id);

CREATE TABLE modules (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no    integer NOT NULL CHECK (module_no >= 1),
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, module_no)
);

CREATE TABLE topics (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id               uuid NOT NULL,
    module_no               integer NOT NULL,
    topic_number            integer NOT NULL CHECK (topic_number >= 1),
    title                   text NOT NULL,
    text_content            text NOT NULL,
    text_content_sports     text,
    text_content_cooking    text,
    text_content_adventure  text,
    ppt_url                 text,
    video_url               text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, module_no, topic_number),
    FOREIGN KEY (course_id, module_no)
        REFERENCES modules (course_id, module_no) ON DELETE CASCADE ON UPDATE CASCADE
);

-- Retrieval chunks. The vector column has no fixed dimension so that several embedding
-- models can coexist; each model gets its own partial HNSW index over a cast column.
CREATE TABLE course_chunks (
    id               bigserial PRIMARY KEY,
    course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no        integer,
    topic_id         uuid REFERENCES topics (id) ON DELETE CASCADE,
    source           text NOT NULL,
    position         integer NOT NULL,
    citation         text NOT NULL,
    content          text NOT NULL,
    content_hash     text NOT NULL,
    embedding        vector,
    embedding_model  text,
    tsv              tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, source, position)
);
CREATE INDEX course_chunks_course_module_idx ON course_chunks (course_id, module_no);
CREATE INDEX course_chunks_tsv_idx ON course_chunks USING gin (tsv);

CREATE TABLE topic_personalization (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    persona     study_persona NOT NULL DEFAULT 'normal',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, course_id)
);

-- Curated prompts: course-wide when topic_id is null, a tree through parent_id.
CREATE TABLE topic_prompt_suggestions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id     uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    topic_id      uuid REFERENCES topics (id) ON DELETE CASCADE,
    parent_id     uuid REFERENCES topic_prompt_suggestions (id) ON DELETE CASCADE,
    key           text NOT NULL,
    prompt_text   text NOT NULL,
    answer        text,
    position      integer NOT NULL DEFAULT 0,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, key)
);
CREATE INDEX topic_prompt_suggestions_topic_idx ON topic_prompt_suggestions (topic_id);
CREATE INDEX topic_prompt_suggestions_parent_idx ON topic_prompt_suggestions (parent_id);

CREATE TABLE module_prompt_usage (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no    integer NOT NULL,
    typed_count  integer NOT NULL DEFAULT 0 CHECK (typed_count >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, course_id, module_no)
);

CREATE TABLE topic_progress (
    user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id       uuid NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    is_completed   boolean NOT NULL DEFAULT false,
    last_position  integer NOT NULL DEFAULT 0 CHECK (last_position >= 0),
    completed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, topic_id)
);
CREATE INDEX topic_progress_topic_idx ON topic_progress (topic_id);

CREATE TABLE quiz_questions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id         uuid NOT NULL,
    module_no         integer NOT NULL,
    topic_pair_index  integer NOT NULL CHECK (topic_pair_index >= 0),
    key               text NOT NULL,
    question_text     text NOT NULL,
    explanation       text NOT NULL DEFAULT '',
    position          integer NOT NULL DEFAULT 0,
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, key),
    FOREIGN KEY (course_id, module_no)
        REFERENCES modules (course_id, module_no) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX quiz_questions_module_idx ON quiz_questions (course_id, module_no, topic_pair_index);

CREATE TABLE quiz_options (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id  uuid NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    option_text  text NOT NULL,
    is_correct   boolean NOT NULL DEFAULT false,
    UNIQUE (question_id, position)
);

-- An attempt freezes the question set it was given, so later edits to the bank do not
-- change what a learner answered.
CREATE TABLE quiz_attempts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id         uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no         integer NOT NULL,
    topic_pair_index  integer,
    question_set      jsonb NOT NULL,
    answers           jsonb NOT NULL DEFAULT '{}'::jsonb,
    score             numeric(5, 2),
    status            quiz_attempt_status NOT NULL DEFAULT 'in_progress',
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX quiz_attempts_user_module_idx ON quiz_attempts (user_id, course_id, module_no);
CREATE UNIQUE INDEX quiz_attempts_one_open_idx
    ON quiz_attempts (user_id, course_id, module_no) WHERE status = 'in_progress';

CREATE TABLE module_progress (
    user_id               bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id             uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_no             integer NOT NULL,
    unlocked_at           timestamptz,
    quiz_passed           boolean NOT NULL DEFAULT false,
    passed_at             timestamptz,
    cooldown_until        timestamptz,
    cooldown_notified_at  timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, course_id, module_no)
);
CREATE INDEX module_progress_cooldown_idx
    ON module_progress (cooldown_until) WHERE cooldown_until IS NOT NULL AND cooldown_notified_at IS NULL;

CREATE TABLE enrollments (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    status       enrollment_status NOT NULL DEFAULT 'active',
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX enrollments_course_idx ON enrollments (course_id);

-- Runtime: what a chat is doing, so any replica can serve the next update.
CREATE TABLE conversation_state (
    chat_id     bigint PRIMARY KEY,
    user_id     bigint REFERENCES users (id) ON DELETE CASCADE,
    course_id   uuid REFERENCES courses (id) ON DELETE SET NULL,
    topic_id    uuid REFERENCES topics (id) ON DELETE SET NULL,
    awaiting    text,
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Telegram re-delivers an update when we do not answer in time; each id is applied once.
CREATE TABLE processed_updates (
    update_id     bigint PRIMARY KEY,
    processed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_updates_at_idx ON processed_updates (processed_at);
