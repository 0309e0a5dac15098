-- Course ratings and reviews (seeds 001 `course_reviews`, 003 reviews): one per learner
-- and course, editable; staff may hide one (who did is in admin_audit), which keeps it but
-- leaves it out of every average and list. A course says when its learners may rate it:
-- once they completed it, or once they completed its first module.
ALTER TABLE courses ADD COLUMN reviews_after text NOT NULL DEFAULT 'course'
    CHECK (reviews_after IN ('course', 'first_module'));

CREATE TABLE course_reviews (
    user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    rating         integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment        text CHECK (char_length(comment) BETWEEN 1 AND 1000),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    hidden_at      timestamptz,
    hidden_reason  text,
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX course_reviews_course_idx ON course_reviews (course_id) WHERE hidden_at IS NULL;
