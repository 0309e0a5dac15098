-- Module quizzes: per-course quiz size and gating, attempt bookkeeping, the cooldown
-- release scheduler's claims, completed enrollments and the learner's timezone.

ALTER TABLE courses
    -- At most this many questions per attempt, drawn across every topic-pair section.
    ADD COLUMN quiz_question_count  integer NOT NULL DEFAULT 10
        CHECK (quiz_question_count BETWEEN 1 AND 50),
    -- true: a module's quiz opens once all its topics are completed; false: any time.
    ADD COLUMN quiz_requires_topics boolean NOT NULL DEFAULT true;

ALTER TABLE users ADD COLUMN timezone text;

ALTER TABLE enrollments ADD COLUMN completed_at timestamptz;

ALTER TABLE module_progress
    -- Attempts started (an abandoned attempt counts: its questions were seen).
    ADD COLUMN quiz_attempts         integer NOT NULL DEFAULT 0 CHECK (quiz_attempts >= 0),
    -- Extra attempts an admin granted on top of the course's quiz_attempts_limit.
    ADD COLUMN extra_attempts        integer NOT NULL DEFAULT 0 CHECK (extra_attempts >= 0),
    ADD COLUMN best_score            numeric(5, 2),
    -- A scheduler replica that claimed this cooldown's notification holds it until then;
    -- after a crash the claim lapses and another replica takes over.
    ADD COLUMN cooldown_claimed_until timestamptz;

ALTER TABLE quiz_attempts
    -- Index of the question the learner must answer next; an answer is recorded only
    -- for this index, so a double tap or a replayed update cannot count twice.
    ADD COLUMN current_index  integer NOT NULL DEFAULT 0 CHECK (current_index >= 0),
    ADD COLUMN correct_count  integer NOT NULL DEFAULT 0 CHECK (correct_count >= 0),
    ADD COLUMN question_count integer NOT NULL DEFAULT 0 CHECK (question_count >= 0);
