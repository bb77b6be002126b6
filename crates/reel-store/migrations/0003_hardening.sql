-- Heatmap uploads are stored zstd-compressed in payload_zst; `payload` keeps rows written
-- before this version (new rows leave it empty).
ALTER TABLE interactions ADD COLUMN payload_zst BLOB;

-- Tokens: where each came from ('login' for browser sessions, 'config' for REEL_ADMIN_TOKEN,
-- 'created' for tokens made through the API), an optional name, and when it was last used
-- (updated at most once a minute). A config token is replaced when the configuration changes.
ALTER TABLE auth_tokens ADD COLUMN origin TEXT NOT NULL DEFAULT 'login';
ALTER TABLE auth_tokens ADD COLUMN name TEXT;
ALTER TABLE auth_tokens ADD COLUMN last_used_ms INTEGER;
UPDATE auth_tokens SET origin = 'config' WHERE kind = 'api';
CREATE INDEX auth_tokens_by_user ON auth_tokens (user_id);

-- The orphan sweep asks, per object, whether a row names it.
CREATE INDEX chunks_by_object ON chunks (object_key);
CREATE INDEX dictionaries_by_object ON dictionaries (object_key);
