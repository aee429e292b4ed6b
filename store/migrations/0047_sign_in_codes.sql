-- Single-use sign-in codes (docs/console.md, "Sign-in link"): an admin, or `tanfang demo`,
-- makes one; the console exchanges it once, within minutes, for a new person token. Only a
-- SHA-256 of the code is kept, and no token secret at all: the token is made at exchange.
CREATE TABLE sign_in_codes (
    code_hash   text PRIMARY KEY,
    role        text NOT NULL,
    town        text,
    name        text NOT NULL,
    session_s   integer NOT NULL CHECK (session_s > 0),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);
