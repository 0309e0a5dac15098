-- Every admin or tutor command leaves a row here, allowed or not: who, what, on whom, when,
-- and how it ended.
CREATE TABLE admin_audit (
    id          bigserial PRIMARY KEY,
    actor_id    bigint NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    outcome     text NOT NULL CHECK (outcome IN ('done', 'denied', 'invalid', 'failed')),
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_actor_idx ON admin_audit (actor_id, created_at);
CREATE INDEX admin_audit_created_idx ON admin_audit (created_at);
