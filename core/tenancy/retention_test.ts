import assert from "node:assert/strict";
import { retentionDays } from "./retention.ts";
import { ALL_FEATURES, type Plan, UNLIMITED } from "../store/records/plans.ts";

const plan = (retention: number | null, boxes: Record<string, number>): Plan => ({
  id: "p",
  name: "p",
  limits: { ...UNLIMITED, retentionDays: retention },
  features: { ...ALL_FEATURES },
  mailboxRetention: boxes,
  created: new Date(0),
});

Deno.test("retention days: a role override, then a top-level name override, then the plan's, else none", () => {
  const p = plan(90, { trash: 30, newsletters: 7 });
  assert.equal(retentionDays(p, { role: "trash", name: "Deleted Items", parentId: null }), 30);
  assert.equal(retentionDays(p, { role: null, name: "Newsletters", parentId: null }), 7);
  // A nested mailbox of that name is not the override's.
  assert.equal(retentionDays(p, { role: null, name: "newsletters", parentId: "m1" }), 90);
  assert.equal(retentionDays(p, { role: "inbox", name: "INBOX", parentId: null }), 90);
  assert.equal(
    retentionDays(plan(null, { trash: 30 }), { role: "inbox", name: "INBOX", parentId: null }),
    null,
  );
  assert.equal(
    retentionDays(plan(null, { trash: 30 }), { role: "trash", name: "Trash", parentId: null }),
    30,
  );
});
