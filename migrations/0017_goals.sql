-- Daily goals and course target dates (issue 21; seed 004 Goal: `target_date`, progress
-- is computed from topic_progress, never stored).
--
-- One daily goal per learner: what a day's goal counts (topics completed, reviews
-- answered, minutes studied) and how many. `set_at` is when this goal was chosen: its
-- streak counts the learner's days from that day on (a new goal starts a new streak).
CREATE TABLE daily_goals (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('topics', 'reviews', 'minutes')),
    target   integer NOT NULL CHECK (target BETWEEN 1 AND 1000),
    set_at   timestamptz NOT NULL
);

-- A date by which the learner means to finish a course. The pace is measured from
-- `started_on` (the learner's local day it was set), counting only the topics done since
-- (`started_done` were done then).
CREATE TABLE course_goals (
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    target_date   date NOT NULL,
    started_on    date NOT NULL CHECK (started_on <= target_date),
    started_done  integer NOT NULL DEFAULT 0 CHECK (started_done >= 0),
    set_at        timestamptz NOT NULL,
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX course_goals_course_idx ON course_goals (course_id);
