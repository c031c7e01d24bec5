/**
 * Cases registered by tests/api/api_test.ts: the authorization matrix walked through the real
 * server. Two organizations: "default" (example.org: alice a member, root a platform
 * administrator) and "acme" (acme.test: carol its administrator, dave a member). Every endpoint
 * that names something of the other organization answers 404, exactly as for something that does
 * not exist, and changes nothing; listings never show it.
 */
import assert from "node:assert/strict";
import { type ApiTestServer, login, startApiServer } from "./_server.ts";
import { addOrganization, setRole } from "../../core/tenancy/operations.ts";
import { ApiTokens } from "../../core/jmap/tokens.ts";

interface World {
  t: ApiTestServer;
  alice: { id: string; session: string; tokenId: string };
  tokens: Record<"alice" | "root" | "carol" | "dave", string>;
  daveId: string;
}

async function world(): Promise<World> {
  const t = await startApiServer([
    "alice@example.org",
    "root@example.org",
    "carol@acme.test",
    "dave@acme.test",
  ]);
  const store = t.srv.context.store;
  await addOrganization(store, { id: "acme", domains: ["acme.test"] });
  await setRole(store, "carol@acme.test", "admin");
  await store.addAlias("sales@example.org", ["alice@example.org"]);
  const alice = await login(t, "alice@example.org");
  const aliceToken = await new ApiTokens(store.tokens).create(
    t.accounts["alice@example.org"]!.id,
    "alice-ci",
  );
  return {
    t,
    alice: { id: t.accounts["alice@example.org"]!.id, session: alice.sessionId, tokenId: aliceToken.info.id },
    tokens: {
      alice: alice.accessToken,
      root: (await login(t, "root@example.org")).accessToken,
      carol: (await login(t, "carol@acme.test")).accessToken,
      dave: (await login(t, "dave@acme.test")).accessToken,
    },
    daveId: t.accounts["dave@acme.test"]!.id,
  };
}

/** Requests naming objects of the "default" organization (alice's account, example.org, …). */
function crossOrgRequests(w: World): [string, string, unknown?][] {
  const a = w.alice;
  return [
    ["GET", `/accounts/${a.id}`],
    ["PATCH", `/accounts/${a.id}`, { displayName: "pwned" }],
    ["DELETE", `/accounts/${a.id}`],
    ["POST", "/accounts", { address: "intruder@example.org", password: "long-password-1" }],
    ["GET", "/domains/example.org"],
    ["POST", "/domains/example.org/dkim"],
    ["DELETE", "/domains/example.org"],
    ["POST", "/aliases", { address: "x@example.org", targets: ["carol@acme.test"] }],
    ["POST", "/aliases", { address: "x@acme.test", targets: ["alice@example.org"] }],
    ["DELETE", "/aliases/sales@example.org"],
    ["POST", "/tokens", { name: "x", accountId: a.id }],
    ["DELETE", `/tokens/${a.tokenId}`],
    ["DELETE", `/auth/sessions/${a.session}`],
    ["POST", "/admin/sessions/revoke", { accountId: a.id }],
    ["POST", "/admin/sessions/revoke", { orgId: "default" }],
    ["GET", "/audit?org=default"],
    ["GET", "/organizations/default"],
    ["PATCH", "/organizations/default", { plan: null }],
    ["DELETE", "/organizations/default"],
    ["PUT", "/organizations/default/roles", { address: "alice@example.org", role: "admin" }],
    ["GET", "/usage?org=default"],
  ];
}

async function assertUntouched(w: World): Promise<void> {
  const store = w.t.srv.context.store;
  const alice = await store.getAccount(w.alice.id);
  assert.equal(alice?.displayName, "");
  assert.equal(await store.getAccountByAddress("intruder@example.org"), null);
  assert.deepEqual((await store.listAliases()).map((x) => x.address), ["sales@example.org"]);
  assert.deepEqual(await store.dkimKeys.list("example.org"), []);
  assert.equal((await store.tokens.list(w.alice.id)).length, 1);
  assert.equal((await store.apiSessions.get(w.alice.session))?.revokedAt, null);
  assert.equal(await store.organizations.roleOf(w.alice.id), "member");
  assert.equal((await w.t.call("GET", "/auth/me", { token: w.tokens.alice })).status, 200);
}

for (const who of ["carol", "dave"] as const) {
  Deno.test(`api matrix: ${who} (${who === "carol" ? "admin" : "member"} of another organization) gets 404 for every object of "default", and nothing changes`, async () => {
    const w = await world();
    try {
      for (const [method, path, json] of crossOrgRequests(w)) {
        const res = await w.t.call(method, path, {
          token: w.tokens[who],
          ...(json !== undefined ? { json } : {}),
        });
        const body = await res.json();
        assert.equal(res.status, 404, `${who} ${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
        assert.match(body.detail, /^No such /, `${method} ${path}`);
      }
      await assertUntouched(w);
    } finally {
      await w.t.close();
    }
  });
}

Deno.test("api matrix: listings show an organization administrator its own organization only", async () => {
  const w = await world();
  try {
    const get = async (path: string) => {
      const res = await w.t.call("GET", path, { token: w.tokens.carol });
      assert.equal(res.status, 200, path);
      return JSON.stringify(await res.json());
    };
    for (
      const path of ["/accounts", "/domains", "/aliases", "/tokens", "/organizations", "/audit", "/usage"]
    ) {
      const text = await get(path);
      assert.ok(!text.includes("example.org"), `${path} leaks example.org: ${text}`);
      assert.ok(!text.includes(JSON.stringify(w.alice.id)), `${path} leaks alice's id: ${text}`);
    }
    assert.match(await get("/accounts"), /carol@acme\.test.*dave@acme\.test/);
    assert.match(await get("/domains"), /acme\.test/);
  } finally {
    await w.t.close();
  }
});

Deno.test("api matrix: inside an organization a member reaches only itself; its admin reaches the members; the platform admin everything", async () => {
  const w = await world();
  try {
    const call = async (who: keyof World["tokens"], method: string, path: string, json?: unknown) => {
      const res = await w.t.call(method, path, {
        token: w.tokens[who],
        ...(json !== undefined ? { json } : {}),
      });
      await res.body?.cancel();
      return res.status;
    };
    const carolId = w.t.accounts["carol@acme.test"]!.id;
    // A member: its own account yes, a colleague's is invisible (404), organization-level reads 403.
    assert.equal(await call("dave", "GET", `/accounts/${w.daveId}`), 200);
    assert.equal(await call("dave", "GET", `/accounts/${carolId}`), 404);
    assert.equal(await call("dave", "PATCH", `/accounts/${w.daveId}`, { displayName: "D" }), 403);
    assert.equal(await call("dave", "GET", "/domains"), 403);
    assert.equal(await call("dave", "GET", "/audit"), 403);
    assert.equal(await call("dave", "GET", "/admin/audit"), 403);
    assert.equal(await call("dave", "POST", "/admin/sessions/revoke", { all: true }), 403);
    // Its organization's administrator.
    assert.equal(await call("carol", "PATCH", `/accounts/${w.daveId}`, { displayName: "Dave" }), 200);
    assert.equal(
      await call("carol", "POST", "/accounts", { address: "erin@acme.test", password: "long-password-1" }),
      201,
    );
    assert.equal(
      await call("carol", "PUT", "/organizations/acme/roles", { address: "dave@acme.test", role: "admin" }),
      204,
    );
    assert.equal(await call("carol", "GET", "/admin/audit"), 403);
    assert.equal(await call("carol", "POST", "/organizations", { id: "evil" }), 403);
    assert.equal(await call("carol", "POST", "/admin/sessions/revoke", { orgId: "acme" }), 200);
    // The platform administrator reaches every organization.
    assert.equal(await call("root", "GET", `/accounts/${carolId}`), 200);
    assert.equal(await call("root", "GET", "/audit?org=acme"), 200);
    assert.equal(await call("root", "GET", "/admin/audit"), 200);
    assert.equal(await call("root", "GET", "/organizations/acme"), 200);
    assert.equal(await call("root", "GET", "/usage"), 200);
  } finally {
    await w.t.close();
  }
});
