/**
 * DKIM keys per domain in Tern's database (component "dkim"). Private keys are secrets: only this
 * module and the signer read them.
 *
 * @module
 */
import type { Database } from "../store/sqlite/database.ts";
import type { DkimAlgorithm, DkimKeyPair } from "./keys.ts";

/** A stored key. */
export interface DkimKey extends DkimKeyPair {
  domain: string;
  selector: string;
  created: Date;
}

interface Row {
  domain: string;
  selector: string;
  algorithm: string;
  private_key: string;
  public_key: string;
  created: number;
}

/** Keys by domain (one active key per domain). */
export class DkimKeyStore {
  readonly #db: Database;

  /** Applies the "dkim" migrations. */
  constructor(db: Database) {
    this.#db = db;
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

  /** Stores (replacing) the key of a domain. */
  put(key: Omit<DkimKey, "created">, now: Date): void {
    this.#db.transaction(() =>
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
      )
    );
  }

  /** The key of a domain, or null. */
  get(domain: string): DkimKey | null {
    const r = this.#db.get<Row>("SELECT * FROM dkim_keys WHERE domain = ?", domain.toLowerCase());
    if (!r) return null;
    return {
      domain: r.domain,
      selector: r.selector,
      algorithm: r.algorithm as DkimAlgorithm,
      privateKeyPem: r.private_key,
      publicKeyB64: r.public_key,
      created: new Date(r.created),
    };
  }
}
