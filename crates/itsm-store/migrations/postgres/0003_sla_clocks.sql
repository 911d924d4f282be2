-- Each record's SLA clocks: the last evaluation, and when it needs attention.
CREATE TABLE clocks (
    record_id UUID NOT NULL,
    definition TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    stage TEXT,
    breached BOOLEAN NOT NULL,
    next_event_at BIGINT,
    evaluated_at BIGINT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (record_id, definition)
);
-- "Which clocks need attention before T" is one range scan of this index.
CREATE INDEX clocks_due ON clocks (next_event_at, record_id, definition)
    WHERE next_event_at IS NOT NULL;
