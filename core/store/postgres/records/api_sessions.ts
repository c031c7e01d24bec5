/**
 * The PostgreSQL tables of the admin-API login sessions and their rotating refresh-token hashes
 * (core/api_auth). The store is the shared `SqlApiSessionStore` (core/store/records/sql/api_sessions.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the API session tables. */
export const API_AUTH_COMPONENT = "api_auth";

/** The API session tables. */
export const API_AUTH_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE api_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL,
  created BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);
CREATE INDEX api_sessions_account ON api_sessions(account_id);
CREATE INDEX api_sessions_org ON api_sessions(org_id);
CREATE TABLE api_refresh_tokens (
  hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES api_sessions(id) ON DELETE CASCADE,
  created BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated_at BIGINT
);
CREATE INDEX api_refresh_tokens_session ON api_refresh_tokens(session_id);
`,
}];
