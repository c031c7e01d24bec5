/**
 * SQLite implementation of `DkimKeyStore` (component "dkim", table `dkim_keys`).
 *
 * @module
 */
import type { DkimAlgorithm, DkimKey, DkimKeyStore } from "../../records/dkim_keys.ts";
import type { Database } from "../database.ts";

interface Row {
  domain: string;
  selector: string;
  algorithm: string;
  private_key: string;
  public_key: string;
  created: number;
}

/** Applies the "dkim" migrations. */
export function migrateDkimKeys(db: Database): void {
  db.applyMigrations("dkim", [{
    version: 1,
    sql: `CREATE TABLE dkim_keys (
      domain TEXT PRIMARY KEY,
      selector TEXT NOT NULL,
      algorithm TEXT NOT NULL,
      private_key TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created INTEGER NOT NULL
    )`,
  }, {
    // One key per domain and algorithm (RSA and Ed25519 side by side, RFC 8463 §1).
    version: 2,
    sql: `CREATE TABLE dkim_keys_v2 (
      domain TEXT NOT NULL,
      selector TEXT NOT NULL,
      algorithm TEXT NOT NULL,
      private_key TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created INTEGER NOT NULL,
      PRIMARY KEY (domain, algorithm)
    );
    INSERT INTO dkim_keys_v2 SELECT domain, selector, algorithm, private_key, public_key, created FROM dkim_keys;
    DROP TABLE dkim_keys;
    ALTER TABLE dkim_keys_v2 RENAME TO dkim_keys`,
  }]);
}

/** DKIM keys in the store database. */
export class SqliteDkimKeyStore implements DkimKeyStore {
  readonly #db: Database;

  /** @param db the store database, "dkim" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  put(key: Omit<DkimKey, "created">, now: Date): Promise<void> {
    this.#db.run(
      `INSERT INTO dkim_keys (domain, selector, algorithm, private_key, public_key, created) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (domain, algorithm) DO UPDATE SET selector = excluded.selector,
         private_key = excluded.private_key, public_key = excluded.public_key, created = excluded.created`,
      key.domain.toLowerCase(),
      key.selector,
      key.algorithm,
      key.privateKeyPem,
      key.publicKeyB64,
      now.getTime(),
    );
    return Promise.resolve();
  }

  get(domain: string): Promise<DkimKey | null> {
    const r = this.#db.get<Row>(
      "SELECT * FROM dkim_keys WHERE domain = ? ORDER BY created DESC, algorithm LIMIT 1",
      domain.toLowerCase(),
    );
    return Promise.resolve(r ? fromRow(r) : null);
  }

  list(domain: string): Promise<DkimKey[]> {
    // "rsa-sha256" sorts before "ed25519-sha256" descending: RSA first.
    const rows = this.#db.all<Row>(
      "SELECT * FROM dkim_keys WHERE domain = ? ORDER BY algorithm DESC",
      domain.toLowerCase(),
    );
    return Promise.resolve(rows.map(fromRow));
  }
}

function fromRow(r: Row): DkimKey {
  return {
    domain: r.domain,
    selector: r.selector,
    algorithm: r.algorithm as DkimAlgorithm,
    privateKeyPem: r.private_key,
    publicKeyB64: r.public_key,
    created: new Date(r.created),
  };
}
