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
       ON CONFLICT (domain) DO UPDATE SET selector = excluded.selector, algorithm = excluded.algorithm,
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
    const r = this.#db.get<Row>("SELECT * FROM dkim_keys WHERE domain = ?", domain.toLowerCase());
    if (!r) return Promise.resolve(null);
    return Promise.resolve({
      domain: r.domain,
      selector: r.selector,
      algorithm: r.algorithm as DkimAlgorithm,
      privateKeyPem: r.private_key,
      publicKeyB64: r.public_key,
      created: new Date(r.created),
    });
  }
}
