-- Certificates of completion (issue 22 part 1): one per learner and course, issued when the
-- course is completed, with an unguessable code anyone can check on the public page
-- (/verify/<code>). The holder's name is the one the learner chose to show
-- (certificate_names) or their Telegram name, copied at issue: changing it later does not
-- rewrite an issued certificate. Staff revoke one (who did is in admin_audit); a reissue
-- revokes the old code and issues a new one. /deleteme keeps the row (a verifier is told
-- the certificate was issued and its holder erased their data) without the name or the link
-- to the person.
CREATE TABLE certificate_names (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    updated_at  timestamptz NOT NULL
);

CREATE TABLE certificates (
    code            text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{16,32}$'),
    user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    course_id       uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    holder_name     text CHECK (char_length(holder_name) BETWEEN 1 AND 80),
    course_name     text NOT NULL,
    score           text NOT NULL,
    issued_at       timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    holder_erased   boolean NOT NULL DEFAULT false,
    CHECK (holder_erased = (holder_name IS NULL))
);
-- The one live certificate of a learner and course: a completion reached twice (two
-- replicas, a re-delivered update) inserts nothing the second time.
CREATE UNIQUE INDEX certificates_once ON certificates (user_id, course_id)
    WHERE revoked_at IS NULL AND user_id IS NOT NULL;
CREATE INDEX certificates_user_idx ON certificates (user_id) WHERE user_id IS NOT NULL;
