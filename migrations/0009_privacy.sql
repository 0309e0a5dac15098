-- /deleteme asks before it erases anything: the confirmation its "Yes, erase" button must
-- match. One per person (a newer /deleteme replaces it); it lapses ten minutes after
-- requested_at (checked by the bot, against its clock); erasing the person consumes it.
CREATE TABLE erasure_requests (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    requested_at  timestamptz NOT NULL
);
