/**
 * SQLite implementation of `PlanStore` (component "tenancy", table `plans`; limits, features and
 * mailbox overrides as JSON columns).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import { ALL_FEATURES, type Plan, type PlanPatch, type PlanStore, UNLIMITED } from "../../records/plans.ts";
import { StoreError } from "../../types.ts";
import type { Database } from "../database.ts";
import { bumpTenancyVersion } from "./tenancy_schema.ts";

interface PlanRow {
  id: string;
  name: string;
  limits: string;
  features: string;
  mailbox_retention: string;
  created: number;
}

const toPlan = (r: PlanRow): Plan => ({
  id: r.id,
  name: r.name,
  limits: { ...UNLIMITED, ...JSON.parse(r.limits) },
  features: { ...ALL_FEATURES, ...JSON.parse(r.features) },
  mailboxRetention: JSON.parse(r.mailbox_retention),
  created: new Date(r.created),
});

/** Applies a patch to a plan (pure). */
function merge(p: Plan, patch: PlanPatch): Plan {
  const retention = { ...p.mailboxRetention };
  for (const [k, v] of Object.entries(patch.mailboxRetention ?? {})) {
    if (v === null) delete retention[k];
    else retention[k] = v;
  }
  return {
    ...p,
    name: patch.name ?? p.name,
    limits: { ...p.limits, ...patch.limits },
    features: { ...p.features, ...patch.features },
    mailboxRetention: retention,
  };
}

/** Plans in the store database. */
export class SqlitePlanStore implements PlanStore {
  readonly #db: Database;
  readonly #clock: Clock;

  /**
   * @param db the store database, "tenancy" schema applied
   * @param clock for creation times
   */
  constructor(db: Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  #get(id: string): Plan | null {
    const row = this.#db.get<PlanRow>("SELECT * FROM plans WHERE id = ?", id);
    return row ? toPlan(row) : null;
  }

  #write(p: Plan, insert: boolean): void {
    const sql = insert
      ? "INSERT INTO plans (name, limits, features, mailbox_retention, created, id) VALUES (?, ?, ?, ?, ?, ?)"
      : "UPDATE plans SET name = ?, limits = ?, features = ?, mailbox_retention = ?, created = ? WHERE id = ?";
    this.#db.run(
      sql,
      p.name,
      JSON.stringify(p.limits),
      JSON.stringify(p.features),
      JSON.stringify(p.mailboxRetention),
      p.created.getTime(),
      p.id,
    );
    bumpTenancyVersion(this.#db);
  }

  create(input: { id: string } & PlanPatch): Promise<Plan> {
    return run(() =>
      this.#db.transaction(() => {
        if (this.#get(input.id)) throw new StoreError("alreadyExists", `Plan ${input.id} exists`);
        const base: Plan = {
          id: input.id,
          name: input.id,
          limits: { ...UNLIMITED },
          features: { ...ALL_FEATURES },
          mailboxRetention: {},
          created: this.#clock.now(),
        };
        const p = merge(base, input);
        this.#write(p, true);
        return p;
      })
    );
  }

  get(id: string): Promise<Plan | null> {
    return run(() => this.#get(id));
  }

  list(): Promise<Plan[]> {
    return run(() => this.#db.all<PlanRow>("SELECT * FROM plans ORDER BY id").map(toPlan));
  }

  update(id: string, patch: PlanPatch): Promise<Plan> {
    return run(() =>
      this.#db.transaction(() => {
        const p = this.#get(id);
        if (!p) throw new StoreError("notFound", `No plan ${id}`);
        const next = merge(p, patch);
        this.#write(next, false);
        return next;
      })
    );
  }

  delete(id: string): Promise<void> {
    return run(() =>
      this.#db.transaction(() => {
        if (!this.#get(id)) throw new StoreError("notFound", `No plan ${id}`);
        const used = this.#db.get<{ id: string }>(
          "SELECT id FROM organizations WHERE plan_id = ? LIMIT 1",
          id,
        );
        if (used) throw new StoreError("conflict", `Plan ${id} is used by organization ${used.id}`);
        this.#db.run("DELETE FROM plans WHERE id = ?", id);
        bumpTenancyVersion(this.#db);
      })
    );
  }
}

/** Runs a synchronous body; its errors become rejections. */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
