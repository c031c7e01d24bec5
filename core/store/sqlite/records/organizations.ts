/**
 * SQLite implementation of `OrganizationStore` (component "tenancy": `organizations`,
 * `org_domains`, `org_roles`, `platform_admins`, `tenancy_version`); the statements are the shared
 * ones (core/store/records/sql/organizations.ts). The two answers the policy asks before every
 * decision, `version` and `storageBytes`, are kept until the database changes.
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import { SqlOrganizationStore, storageQuery, versionQuery } from "../../records/sql/organizations.ts";
import type { Database } from "../database.ts";
import { runSync, SqliteRecordDb } from "./db.ts";

/**
 * What changed in the database: `Database.writes` (this connection's writes, counted in memory: no
 * statement) and `data_version` (moves when another connection, e.g. `tern plan set` in another
 * process, commits). Two equal stamps mean that nothing was written in between, so a value read at
 * the first still holds.
 */
const DATA_VERSION = "SELECT data_version AS d FROM pragma_data_version";
/**
 * How long a `data_version` read stands in for a fresh one in `version()` and `storageBytes()`.
 * Reading it starts a read transaction (about 10 µs, the largest part of a decision): under load
 * the decisions of all sessions share one read per millisecond instead of one each (issue 16).
 * Writes on this connection are always seen at once (`Database.writes`); another process's change
 * (`tern plan set`, an import) is seen at most this much later, inside the race any command has
 * with a concurrent change anyway.
 */
const DATA_VERSION_REUSE_MS = 1;

/** A value read at a stamp. */
interface Stamped<T> {
  t: number;
  d: number;
  value: T;
}

/** Organizations in the store database. */
export class SqliteOrganizationStore extends SqlOrganizationStore {
  readonly #db: Database;
  /** The version row as last read (the policy asks before every decision). */
  #version: Stamped<number> = { t: -1, d: -1, value: 0 };
  /** Organizations' storage as last summed: one sum per write, not per check. */
  readonly #storage = new Map<string, Stamped<number>>();
  /** The last `data_version` read and when (`performance.now()`). */
  #dataVersion = { d: -1, at: -Infinity };

  /**
   * @param db the store database, "tenancy" schema applied
   * @param clock for creation times
   */
  constructor(db: Database, clock: Clock) {
    super(new SqliteRecordDb(db), () => clock.now().getTime());
    this.#db = db;
  }

  #stamp(): { t: number; d: number } {
    const d = this.#db.get<{ d: number }>(DATA_VERSION)!.d;
    this.#dataVersion = { d, at: performance.now() };
    return { t: this.#db.writes, d };
  }

  /** The stamp, with a `data_version` read less than `DATA_VERSION_REUSE_MS` ago reused. */
  #recentStamp(): { t: number; d: number } {
    const dv = this.#dataVersion;
    if (performance.now() - dv.at > DATA_VERSION_REUSE_MS) return this.#stamp();
    return { t: this.#db.writes, d: dv.d };
  }

  /** Sum of the organization's accounts' used bytes (kept until the database changes). */
  override storageBytes(orgId: string): Promise<number> {
    return settle(() => {
      const { t, d } = this.#recentStamp();
      const cached = this.#storage.get(orgId);
      if (cached && cached.t === t && cached.d === d) return cached.value;
      const value = runSync(this.#db, storageQuery(orgId))!.bytes;
      this.#storage.set(orgId, { t, d, value });
      return value;
    });
  }

  /** The tenancy version (kept until the database changes). */
  override version(): Promise<number> {
    return settle(() => {
      const { t, d } = this.#recentStamp();
      const cached = this.#version;
      if (cached.t === t && cached.d === d) return cached.value;
      const value = runSync(this.#db, versionQuery())!.v;
      this.#version = { t, d, value };
      return value;
    });
  }
}

/** Runs a synchronous body; its errors become rejections. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
