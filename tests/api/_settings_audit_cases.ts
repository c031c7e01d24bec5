/**
 * Cases registered by tests/api/api_test.ts: account settings changed over JMAP (vacation
 * response, identities) appear in the organization's audit log, with the account as actor.
 */
import assert from "node:assert/strict";
import { login, startApiServer } from "./_server.ts";
import { createToken } from "../../core/jmap/tokens.ts";

Deno.test("api audit: JMAP settings changes (VacationResponse/set, Identity/set) are in GET /audit with the account as actor", async () => {
  const t = await startApiServer();
  try {
    const { token } = await createToken(t.srv.context.store, "alice@example.org", "jmap");
    const alice = t.accounts["alice@example.org"]!;
    const jmap = await fetch(t.api.replace("/api/v1", "/jmap/api"), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        using: [
          "urn:ietf:params:jmap:core",
          "urn:ietf:params:jmap:mail",
          "urn:ietf:params:jmap:submission",
          "urn:ietf:params:jmap:vacationresponse",
        ],
        methodCalls: [
          ["VacationResponse/set", {
            accountId: alice.id,
            update: { singleton: { isEnabled: true, textBody: "Away" } },
          }, "0"],
          ["Identity/set", {
            accountId: alice.id,
            create: { n: { email: "alice@example.org", name: "Alice W." } },
          }, "1"],
        ],
      }),
    });
    assert.equal(jmap.status, 200);
    const out = await jmap.json();
    assert.deepEqual(out.methodResponses[0][1].updated, { singleton: null });
    const identityId = out.methodResponses[1][1].created.n.id;

    const root = (await login(t, "root@example.org")).accessToken;
    const res = await t.call("GET", "/audit?org=default&kind=change&action=jmap.", { token: root });
    assert.equal(res.status, 200);
    const items = (await res.json()).items as {
      action: string;
      actor: string;
      target: string;
      after: unknown;
    }[];
    assert.deepEqual(items.map((e) => [e.action, e.actor, e.target]), [
      ["jmap.identity.create", "alice@example.org", identityId],
      ["jmap.vacation.update", "alice@example.org", "alice@example.org"],
    ]);
    assert.ok(!JSON.stringify(items).includes("Away"), "no message text in the log");
  } finally {
    await t.close();
  }
});

Deno.test("api audit: SieveScript/set and PushSubscription/set over JMAP, and tern token revoke, are in the audit log", async () => {
  const t = await startApiServer();
  try {
    const store = t.srv.context.store;
    const { token } = await createToken(store, "alice@example.org", "jmap");
    const alice = t.accounts["alice@example.org"]!;
    const base = t.api.replace("/api/v1", "");
    const upload = await fetch(`${base}/jmap/upload/${alice.id}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/sieve" },
      body: "keep;\r\n",
    });
    assert.equal(upload.status, 201);
    const { blobId } = await upload.json();
    const jmap = await fetch(`${base}/jmap/api`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:sieve"],
        methodCalls: [
          ["SieveScript/set", { accountId: alice.id, create: { s: { name: "rules", blobId } } }, "0"],
          ["PushSubscription/set", {
            create: { p: { deviceClientId: "phone", url: "https://push.invalid/endpoint", types: null } },
          }, "1"],
        ],
      }),
    });
    assert.equal(jmap.status, 200);
    const out = await jmap.json();
    const scriptId = out.methodResponses[0][1].created.s.id;
    const pushId = out.methodResponses[1][1].created.p.id;

    const { token: other } = await createToken(store, "bob@example.org", "cli-made");
    const tokens = await store.tokens.list();
    const made = tokens.find((x) => x.name === "cli-made")!;
    const { runCli } = await import("../../core/cli/run.ts");
    const { MemoryIo } = await import("../../core/cli/io.ts");
    const io = new MemoryIo();
    assert.equal(
      await runCli(["token", "revoke", made.id, "--data-dir", t.srv.context.config.data_dir], io, {
        version: "0",
      }),
      0,
      io.stderr,
    );
    void other;

    const root = (await login(t, "root@example.org")).accessToken;
    const res = await t.call("GET", "/admin/audit?action=jmap.", { token: root });
    assert.equal(res.status, 200);
    const actions = ((await res.json()).items as { action: string; target: string }[]).map((
      e,
    ) => [e.action, e.target]);
    assert.ok(
      actions.some(([a, id]) => a === "jmap.sieve.create" && id === scriptId),
      JSON.stringify(actions),
    );
    assert.ok(
      actions.some(([a, id]) => a === "jmap.push_subscription.create" && id === pushId),
      JSON.stringify(actions),
    );
    const sec = await t.call("GET", "/admin/audit?action=token.revoke", { token: root });
    const revoked = (await sec.json()).items as { action: string; actor: string; target: string }[];
    assert.deepEqual(revoked.map((e) => [e.action, e.actor, e.target]), [[
      "token.revoke",
      "cli",
      `token:${made.id}`,
    ]]);
  } finally {
    await t.close();
  }
});
