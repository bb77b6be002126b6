-- Compaction: once a session is idle (or its open part is large), its per-upload chunks are
-- rewritten into segments — rows of the same table with format 'segment' — encoded by
-- reel-rrweb's segment codec. A segment refers to pieces: large strings stored once per
-- project, addressed by their hash, freed when no segment refers to them any more.
ALTER TABLE chunks ADD COLUMN format TEXT NOT NULL DEFAULT 'chunk' CHECK (format IN ('chunk', 'segment'));

CREATE TABLE pieces (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    hash        BLOB NOT NULL,
    raw_bytes   INTEGER NOT NULL,
    stored      BLOB NOT NULL,
    UNIQUE (project_id, hash)
);

CREATE TABLE chunk_pieces (
    chunk_id  INTEGER NOT NULL REFERENCES chunks(id),
    piece_id  INTEGER NOT NULL REFERENCES pieces(id),
    PRIMARY KEY (chunk_id, piece_id)
) WITHOUT ROWID;
CREATE INDEX chunk_pieces_by_piece ON chunk_pieces (piece_id);

-- Content hashes of chunks that compaction replaced: a retried upload of one of them is still
-- recognised as already stored.
CREATE TABLE compacted_hashes (
    session_row   INTEGER NOT NULL REFERENCES sessions(id),
    content_hash  TEXT NOT NULL,
    PRIMARY KEY (session_row, content_hash)
) WITHOUT ROWID;

-- Objects on their way in or out, so a crash leaves nothing behind: 'writing' objects whose
-- rows never committed are deleted on recovery, 'deleting' objects (replaced by compaction, or
-- of a deleted session) are deleted once not_before_ms has passed (reads that started before
-- the switch finish first).
CREATE TABLE object_intents (
    object_key     TEXT PRIMARY KEY,
    state          TEXT NOT NULL CHECK (state IN ('writing', 'deleting')),
    not_before_ms  INTEGER NOT NULL
);
