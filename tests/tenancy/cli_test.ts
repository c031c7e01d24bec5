/**
 * Issue 16: `tern org|plan|usage` through the real CLI (the `tern` task's permissions): plans and
 * organizations created, shown and listed as JSON, usage of a month exact, a plan's account limit
 * refusing `tern user add`, errors with their exit codes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tern } from "../cli/_tern.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("tenancy cli: plans, organizations and usage as JSON; limits and errors with exit codes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-tenancy-cli-" });
  const dd = ["--data-dir", `${dir}/data`];
  const ok = async (...args: string[]) => {
    const r = await tern(dir, [...args, ...dd]);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    await ok("domain", "add", "acme.example");
    JSON.parse(
      await ok("plan", "add", "small", "--accounts", "1", "--storage", "1M", "--outbound", "off", "--json"),
    );
    const plan = JSON.parse(await ok("plan", "show", "small", "--json"));
    assert.equal(plan.limits.accounts, 1);
    assert.equal(plan.limits.storageBytes, 1024 * 1024);
    assert.equal(plan.features.outbound, false);
    await ok("org", "add", "acme", "--plan", "small", "--domain", "acme.example");
    const orgs = JSON.parse(await ok("org", "list", "--json")) as { id: string; domains: string[] }[];
    assert.deepEqual(orgs.map((o) => [o.id, o.domains]), [["acme", ["acme.example"]], ["default", []]]);

    // The plan allows one account: the second is refused (exit 1) with the reason.
    await tern(dir, ["user", "add", "a@acme.example", "--password-stdin", ...dd], "pw-aaaa-1");
    const second = await tern(dir, ["user", "add", "b@acme.example", "--password-stdin", ...dd], "pw-bbbb-2");
    assert.equal(second.code, 1);
    assert.match(second.stderr, /limit of 1 accounts/);

    // Usage of November 2026: what the store holds for that month, nothing from December.
    const store = await SqliteStore.open({ dataDir: `${dir}/data` });
    await store.usage.add([
      { orgId: "acme", day: "2026-11-01", counts: { received: 3, sent: 1 } },
      { orgId: "acme", day: "2026-11-30", counts: { received: 4, apiCalls: 2 } },
      { orgId: "acme", day: "2026-12-01", counts: { received: 100 } },
    ]);
    await store.close();
    const [row] = JSON.parse(await ok("usage", "acme", "--month", "2026-11", "--json"));
    assert.deepEqual(row.counts, { received: 7, sent: 1, apiCalls: 2 });
    assert.equal(row.limits.storageBytes, 1024 * 1024);

    await ok("plan", "set", "small", "--accounts", "unlimited");
    await ok("org", "set-plan", "acme", "none");
    assert.equal(JSON.parse(await ok("org", "show", "acme", "--json")).planId, null);
    await ok("plan", "delete", "small");

    const errors: [string[], number, RegExp][] = [
      [["usage", "--month", "2026-13"], 2, /Invalid month/],
      [["plan", "add", "Bad Name!"], 2, /Invalid plan name/],
      [["plan", "set", "nope", "--accounts", "2"], 1, /No plan "nope"/],
      [["org", "delete", "acme"], 1, /still owns acme\.example/],
      [["org", "delete", "default"], 1, /default organization/],
      [["plan", "add", "p2", "--received-per-day", "many"], 2, /--received-per-day/],
    ];
    for (const [args, code, message] of errors) {
      const r = await tern(dir, [...args, ...dd]);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
