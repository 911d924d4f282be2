-- The CMDB: definitions, CIs, relationships, reconciliation provenance, and
-- the history of every change (who, when, from which source).
CREATE TABLE cmdb_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    definitions TEXT NOT NULL
);
CREATE TABLE cmdb_cis (
    id BLOB PRIMARY KEY,
    seq INTEGER NOT NULL,
    class TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cmdb_cis_seq ON cmdb_cis (seq);
CREATE INDEX cmdb_cis_class ON cmdb_cis (class, name);
CREATE TABLE cmdb_relationships (
    source BLOB NOT NULL,
    type TEXT NOT NULL,
    target BLOB NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (source, type, target)
);
CREATE INDEX cmdb_relationships_seq ON cmdb_relationships (seq);
CREATE INDEX cmdb_relationships_target ON cmdb_relationships (target);
CREATE TABLE cmdb_provenance (
    ci BLOB NOT NULL,
    attribute TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (ci, attribute)
) WITHOUT ROWID;
CREATE TABLE cmdb_history (
    seq INTEGER PRIMARY KEY,
    cmdb_version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor BLOB,
    source TEXT NOT NULL,
    change TEXT NOT NULL,
    ci BLOB,
    detail TEXT NOT NULL
);
CREATE INDEX cmdb_history_ci ON cmdb_history (ci, seq);
