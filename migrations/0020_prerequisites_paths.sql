-- Prerequisites and learning paths (issue 22 part 3, seed 003). A course pack may say
-- which courses must be completed before a learner enrols (`requires:` in course.yaml);
-- the import refuses a required course that is not in the database and a cycle. A
-- learning path is an ordered list of courses with its own card in the catalog (a
-- path.yaml, imported with `tutorbot import-path`). Neither names a person: deleting a
-- course drops its requirements, the requirements on it and its places in paths.
CREATE TABLE course_prerequisites (
    course_id    uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    required_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    PRIMARY KEY (course_id, required_id),
    CHECK (course_id <> required_id)
);
CREATE INDEX course_prerequisites_required_idx ON course_prerequisites (required_id);

CREATE TABLE learning_paths (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug         text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE learning_path_courses (
    path_id    uuid NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (path_id, position),
    UNIQUE (path_id, course_id)
);
CREATE INDEX learning_path_courses_course_idx ON learning_path_courses (course_id);
