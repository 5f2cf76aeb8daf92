-- Schema 1: users and their tokens, saved layers and their revisions, assessments, notes,
-- what each names, and the audit log. Times are milliseconds since 1970 (UTC).

CREATE TABLE users (
    id {id},
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

-- Only a token's SHA-256 is kept; `prefix` is what lists show of it.
CREATE TABLE tokens (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE layers (
    id {id},
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    release TEXT NOT NULL,
    tags TEXT NOT NULL,
    owner TEXT NOT NULL,
    version BIGINT NOT NULL,
    techniques BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);

-- Revision N of a layer is what its version N held.
CREATE TABLE layer_revisions (
    layer_id BIGINT NOT NULL REFERENCES layers (id),
    revision BIGINT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    release TEXT NOT NULL,
    tags TEXT NOT NULL,
    body TEXT NOT NULL,
    techniques BIGINT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (layer_id, revision)
);

CREATE TABLE assessments (
    id {id},
    name TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    domain TEXT NOT NULL,
    release TEXT NOT NULL,
    platform TEXT,
    taken_at BIGINT NOT NULL,
    author TEXT NOT NULL,
    covered BIGINT NOT NULL,
    partly BIGINT NOT NULL,
    total BIGINT NOT NULL,
    percent {real} NOT NULL,
    results TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX assessments_name ON assessments (name, taken_at);

CREATE TABLE notes (
    id {id},
    object TEXT NOT NULL,
    domain TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX notes_object ON notes (object);

-- What a layer, assessment or note names of the others (`layer:12`, `/notes/3`...).
CREATE TABLE mentions (
    from_kind TEXT NOT NULL,
    from_id BIGINT NOT NULL,
    to_kind TEXT NOT NULL,
    to_id BIGINT NOT NULL,
    PRIMARY KEY (from_kind, from_id, to_kind, to_id)
);

CREATE INDEX mentions_to ON mentions (to_kind, to_id);

CREATE TABLE audit (
    id {id},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- The audit log is never edited: the database itself refuses.
-- sqlite:
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- postgres:
CREATE FUNCTION attackdb_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION attackdb_audit_append_only();
