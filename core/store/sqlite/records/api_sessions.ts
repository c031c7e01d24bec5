/**
 * SQLite implementation of `ApiSessionStore` (component "api_auth": tables `api_sessions` and
 * `api_refresh_tokens`, refresh-token hashes only); the statements are the shared ones
 * (core/store/records/sql/api_sessions.ts).
 *
 * @module
 */
import { SqlApiSessionStore } from "../../records/sql/api_sessions.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "api_auth" migrations. */
export function migrateApiSessions(db: Database): void {
  db.applyMigrations("api_auth", [{
    version: 1,
    sql: `CREATE TABLE api_sessions (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      org_id TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      user_agent TEXT NOT NULL,
      ip TEXT NOT NULL,
      created INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      revoke_reason TEXT
    ) STRICT;
    CREATE INDEX api_sessions_account ON api_sessions(account_id);
    CREATE INDEX api_sessions_org ON api_sessions(org_id);
    CREATE TABLE api_refresh_tokens (
      hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES api_sessions(id) ON DELETE CASCADE,
      created INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      rotated_at INTEGER
    ) STRICT;
    CREATE INDEX api_refresh_tokens_session ON api_refresh_tokens(session_id);`,
  }]);
}

/** API sessions in the store database. */
export class SqliteApiSessionStore extends SqlApiSessionStore {
  /** @param db the store database, "api_auth" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
