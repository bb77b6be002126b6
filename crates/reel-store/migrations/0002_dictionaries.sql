-- Compression dictionaries: raw content from full snapshots of a project's site. A project
-- gets a new generation when its pages stop compressing well against the current one; the
-- newest is used for new chunks. Chunks name the generation they were compressed against,
-- and a dictionary is never changed or deleted while a chunk refers to it.
CREATE TABLE dictionaries (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    object_key  TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX dictionaries_by_project ON dictionaries (project_id, id);

ALTER TABLE chunks ADD COLUMN dictionary_id INTEGER REFERENCES dictionaries(id);
