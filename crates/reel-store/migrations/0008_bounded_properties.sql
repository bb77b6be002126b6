-- Properties are bounded before they are stored (src/properties.rs). Rows stored before that
-- which SQLite's JSON functions cannot read (nested past their depth limit) would fail every
-- query that reads properties of their event name, for every user of the project; what such a
-- row held was readable by no query, so it becomes no properties.
UPDATE events SET event_properties = '{}' WHERE json_valid(event_properties) = 0;
UPDATE events SET user_properties = '{}' WHERE json_valid(user_properties) = 0;
