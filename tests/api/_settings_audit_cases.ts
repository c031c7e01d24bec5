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
