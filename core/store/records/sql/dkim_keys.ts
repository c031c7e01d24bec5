/**
 * `DkimKeyStore` in SQL, shared by SQLite and PostgreSQL (table `dkim_keys`: one key per domain and
 * algorithm, RFC 8463 §1; each backend keeps its schema).
 *
 * @module
 */
import type { DkimAlgorithm, DkimKey, DkimKeyStore } from "../dkim_keys.ts";
import { all, get, type RecordDb, run } from "./db.ts";

interface Row {
  domain: string;
  selector: string;
  algorithm: string;
  private_key: string;
  public_key: string;
  created: number;
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

/** DKIM signing keys over either backend. */
export class SqlDkimKeyStore implements DkimKeyStore {
  /** @param db the backend, its "dkim" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Stores (or replaces) the domain's key of that algorithm. */
  async put(key: Omit<DkimKey, "created">, now: Date): Promise<void> {
    await this.db.write(run(
      `INSERT INTO dkim_keys (domain, selector, algorithm, private_key, public_key, created) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (domain, algorithm) DO UPDATE SET selector = excluded.selector,
         private_key = excluded.private_key, public_key = excluded.public_key, created = excluded.created`,
      key.domain.toLowerCase(),
      key.selector,
      key.algorithm,
      key.privateKeyPem,
      key.publicKeyB64,
      now.getTime(),
    ));
  }

  /** The domain's newest key, or null. */
  async get(domain: string): Promise<DkimKey | null> {
    const r = await this.db.read(get<Row>(
      `SELECT * FROM dkim_keys WHERE domain = ? ORDER BY created DESC, algorithm${this.db.dialect.bytes} LIMIT 1`,
      domain.toLowerCase(),
    ));
    return r ? fromRow(r) : null;
  }

  /** The domain's keys, RSA first ("rsa-sha256" sorts before "ed25519-sha256" descending). */
  async list(domain: string): Promise<DkimKey[]> {
    return (await this.db.read(all<Row>(
      `SELECT * FROM dkim_keys WHERE domain = ? ORDER BY algorithm${this.db.dialect.bytes} DESC`,
      domain.toLowerCase(),
    ))).map(fromRow);
  }
}
