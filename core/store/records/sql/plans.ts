/**
 * `PlanStore` (issue 16) in SQL, shared by SQLite and PostgreSQL (table `plans`: limits, features
 * and mailbox overrides as JSON text; each backend keeps its schema). Every change bumps the
 * tenancy version.
 *
 * @module
 */
import { ALL_FEATURES, type Plan, type PlanPatch, type PlanStore, UNLIMITED } from "../plans.ts";
import { StoreError } from "../../types.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";
import { bumpVersion } from "./tenancy_version.ts";

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

function* getPlan(id: string): Op<Plan | null> {
  const row = yield* get<PlanRow>("SELECT * FROM plans WHERE id = ?", id);
  return row ? toPlan(row) : null;
}

function* write(p: Plan, insert: boolean): Op<void> {
  const sql = insert
    ? "INSERT INTO plans (name, limits, features, mailbox_retention, created, id) VALUES (?, ?, ?, ?, ?, ?)"
    : "UPDATE plans SET name = ?, limits = ?, features = ?, mailbox_retention = ?, created = ? WHERE id = ?";
  yield* run(
    sql,
    p.name,
    JSON.stringify(p.limits),
    JSON.stringify(p.features),
    JSON.stringify(p.mailboxRetention),
    p.created.getTime(),
    p.id,
  );
  yield* bumpVersion();
}

function* create(input: { id: string } & PlanPatch, now: number): Op<Plan> {
  if (yield* getPlan(input.id)) throw new StoreError("alreadyExists", `Plan ${input.id} exists`);
  const base: Plan = {
    id: input.id,
    name: input.id,
    limits: { ...UNLIMITED },
    features: { ...ALL_FEATURES },
    mailboxRetention: {},
    created: new Date(now),
  };
  const p = merge(base, input);
  yield* write(p, true);
  return p;
}

function* update(id: string, patch: PlanPatch): Op<Plan> {
  const p = yield* getPlan(id);
  if (!p) throw new StoreError("notFound", `No plan ${id}`);
  const next = merge(p, patch);
  yield* write(next, false);
  return next;
}

function* remove(id: string): Op<void> {
  if (!(yield* getPlan(id))) throw new StoreError("notFound", `No plan ${id}`);
  const used = yield* get<{ id: string }>("SELECT id FROM organizations WHERE plan_id = ? LIMIT 1", id);
  if (used) throw new StoreError("conflict", `Plan ${id} is used by organization ${used.id}`);
  yield* run("DELETE FROM plans WHERE id = ?", id);
  yield* bumpVersion();
}

/** Plans (limits and feature flags) over either backend. */
export class SqlPlanStore implements PlanStore {
  /**
   * @param db the backend, its "tenancy" schema applied
   * @param now the clock in ms (creation times)
   */
  constructor(protected readonly db: RecordDb, readonly now: () => number) {}

  /** Creates a plan (unlimited, every feature, unless the input says otherwise). */
  create(input: { id: string } & PlanPatch): Promise<Plan> {
    return this.db.atomic(create(input, this.now()));
  }

  /** One plan, or null. */
  get(id: string): Promise<Plan | null> {
    return this.db.read(getPlan(id));
  }

  /** Every plan, by id. */
  async list(): Promise<Plan[]> {
    return (await this.db.read(all<PlanRow>(`SELECT * FROM plans ORDER BY id${this.db.dialect.bytes}`))).map(
      toPlan,
    );
  }

  /** Patches a plan. */
  update(id: string, patch: PlanPatch): Promise<Plan> {
    return this.db.atomic(update(id, patch));
  }

  /** Deletes a plan no organization uses. */
  delete(id: string): Promise<void> {
    return this.db.atomic(remove(id));
  }
}
