-- The key a `SigningKeyPublished` event publishes, so a note's pack can carry exactly the keys
-- its signatures name (and no other party's).
ALTER TABLE {schema}.leaves ADD COLUMN published_key_id text;
CREATE INDEX leaves_published_key_id ON {schema}.leaves (published_key_id)
    WHERE published_key_id IS NOT NULL;
