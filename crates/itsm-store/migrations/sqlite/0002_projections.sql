-- Current state of every record, written in the append's transaction.
-- Every list query reads one index in page order: (kind, dimension, priority, id).
CREATE TABLE records (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    state TEXT NOT NULL,
    category TEXT NOT NULL,
    priority INTEGER NOT NULL,
    assignment_group BLOB,
    assignee BLOB,
    is_open INTEGER NOT NULL,
    version INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX records_number ON records (number);
CREATE INDEX records_state ON records (kind, state, priority, id);
CREATE INDEX records_category ON records (kind, category, priority, id);
CREATE INDEX records_group ON records (kind, assignment_group, priority, id);
CREATE INDEX records_group_open ON records (kind, assignment_group, priority, id) WHERE is_open = 1;
CREATE INDEX records_assignee ON records (kind, assignee, priority, id);
CREATE INDEX records_assignee_open ON records (kind, assignee, priority, id) WHERE is_open = 1;
CREATE INDEX records_priority ON records (kind, priority, id);
CREATE INDEX records_open ON records (kind, priority, id) WHERE is_open = 1;

-- The configuration items each record affects, in the same page order.
CREATE TABLE record_cis (
    ci_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    record_id BLOB NOT NULL,
    is_open INTEGER NOT NULL,
    PRIMARY KEY (ci_id, kind, priority, record_id)
) WITHOUT ROWID;
CREATE INDEX record_cis_record ON record_cis (record_id);
