-- Event streams: one row per stream with its version, one row per event.
-- Positions are the rowid: SQLite has one writer at a time (BEGIN IMMEDIATE),
-- so each append takes the next positions and commits them in order.
CREATE TABLE streams (
    stream_id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    stream_id BLOB NOT NULL,
    stream_kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    event_type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor BLOB,
    correlation_id TEXT,
    causation_id BLOB,
    payload TEXT NOT NULL
);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
CREATE UNIQUE INDEX events_event_id ON events (event_id);

CREATE TABLE snapshots (
    stream_id BLOB PRIMARY KEY,
    version INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    taken_at INTEGER NOT NULL,
    state TEXT NOT NULL
);

CREATE TABLE checkpoints (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;
