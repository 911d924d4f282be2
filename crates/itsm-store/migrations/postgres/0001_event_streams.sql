-- Event streams: one row per stream with its version, one row per event.
-- Positions come from the one row of store_position, updated in the append's
-- transaction: the row lock is held to commit, so positions are committed in
-- order and without gaps, and a reader never skips one (no sequence, no
-- advisory lock: this also runs on CockroachDB and YugabyteDB).
CREATE TABLE streams (
    stream_id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE events (
    position BIGINT PRIMARY KEY,
    stream_id UUID NOT NULL,
    stream_kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    event_id UUID NOT NULL,
    event_type TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor UUID,
    correlation_id TEXT,
    causation_id UUID,
    payload TEXT NOT NULL
);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
CREATE UNIQUE INDEX events_event_id ON events (event_id);

CREATE TABLE snapshots (
    stream_id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    schema_version BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    state TEXT NOT NULL
);

CREATE TABLE checkpoints (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);

CREATE TABLE store_position (
    id INT PRIMARY KEY CHECK (id = 1),
    last_position BIGINT NOT NULL
);
INSERT INTO store_position (id, last_position) VALUES (1, 0);
