-- The CMDB: definitions, CIs, relationships, reconciliation provenance, and
-- the history of every change (who, when, from which source).
CREATE TABLE cmdb_meta (
    id INT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    definitions TEXT NOT NULL
);
CREATE TABLE cmdb_cis (
    id UUID PRIMARY KEY,
    seq BIGINT NOT NULL,
    class TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cmdb_cis_seq ON cmdb_cis (seq);
CREATE INDEX cmdb_cis_class ON cmdb_cis (class, name);
CREATE TABLE cmdb_relationships (
    source UUID NOT NULL,
    type TEXT NOT NULL,
    target UUID NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (source, type, target)
);
CREATE INDEX cmdb_relationships_seq ON cmdb_relationships (seq);
CREATE INDEX cmdb_relationships_target ON cmdb_relationships (target);
CREATE TABLE cmdb_provenance (
    ci UUID NOT NULL,
    attribute TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (ci, attribute)
);
CREATE TABLE cmdb_history (
    seq BIGINT PRIMARY KEY,
    cmdb_version BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor UUID,
    source TEXT NOT NULL,
    change TEXT NOT NULL,
    ci UUID,
    detail TEXT NOT NULL
);
CREATE INDEX cmdb_history_ci ON cmdb_history (ci, seq);
