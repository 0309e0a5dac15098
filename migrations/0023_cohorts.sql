-- Cohorts (issue 23 part 3, seed 002's "groups"): a course's learners in named groups,
-- each with its own invite link (`/start join_<code>`), tutors and figures. A learner is
-- in at most one cohort of a course at a time: joining another ends the first
-- membership (left_at), which is also what leaving does; progress is the course's, not
-- the cohort's, so it stays. A closed cohort (closed_at) takes no new members.
--
-- Who is named: the creator (set to NULL when they erase their data), members and tutors
-- (deleted with the person by the cascade); see storage/privacy.py.
CREATE TABLE cohorts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    invite_code  text NOT NULL UNIQUE CHECK (invite_code ~ '^[A-Za-z0-9_-]{8,40}$'),
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz,
    UNIQUE (id, course_id)
);
-- One name per course, whatever the case: staff name a cohort by it.
CREATE UNIQUE INDEX cohorts_course_name_idx ON cohorts (course_id, lower(name));

CREATE TABLE cohort_members (
    id           bigserial PRIMARY KEY,
    cohort_id    uuid NOT NULL,
    course_id    uuid NOT NULL,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at    timestamptz NOT NULL,
    left_at      timestamptz,
    FOREIGN KEY (cohort_id, course_id) REFERENCES cohorts (id, course_id) ON DELETE CASCADE
);
-- At most one current cohort per learner and course.
CREATE UNIQUE INDEX cohort_members_current_idx ON cohort_members (user_id, course_id)
    WHERE left_at IS NULL;
CREATE INDEX cohort_members_cohort_idx ON cohort_members (cohort_id) WHERE left_at IS NULL;

CREATE TABLE cohort_tutors (
    cohort_id    uuid NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cohort_id, user_id)
);
