-- A feed hands this data dir's events on to a shared events store (events_url), in the order
-- they were stored, with the sessions that got a recording: while a feed exists, each event
-- stored and each session given its recording gets a place in `feed_queue`, whose numbers
-- only grow (row ids of deleted events can come back; these cannot). Rows handed on are
-- removed. `feeds` says how far each feed has come; `origin` names this data dir in the
-- insert ids it makes for events that came without one.
CREATE TABLE feeds (
    name      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE feed_queue (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER,
    session_row  INTEGER
);
CREATE TABLE feed_origin (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    origin    TEXT NOT NULL
);
INSERT INTO feed_origin (only_row, origin) VALUES (1, lower(hex(randomblob(16))));
CREATE TRIGGER events_feed AFTER INSERT ON events WHEN EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (event_id) VALUES (new.id);
END;
CREATE TRIGGER replays_feed AFTER UPDATE OF start_ms ON sessions
    WHEN old.start_ms IS NULL AND new.start_ms IS NOT NULL AND EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (session_row) VALUES (new.id);
END;
