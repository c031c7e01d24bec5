/**
 * Cases registered by tests/api/api_test.ts: the refusals and the organization and plan operations
 * the other cases do not reach (each answer checked for what it means, not only its status).
 */
import assert from "node:assert/strict";
import { type ApiTestServer, login, PASSWORD, startApiServer } from "./_server.ts";
import { addOrganization, setRole } from "../../core/tenancy/operations.ts";
import { createToken } from "../../core/jmap/tokens.ts";

async function status(
  t: ApiTestServer,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await t.call(method, path, opts);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

Deno.test("api refusals: too many failed logins answer 429 with Retry-After, even with the right password", async () => {
  const t = await startApiServer(undefined, {
    auth: { throttle_free_failures: 0, lockout_failures: 2, lockout_seconds: 600 },
  });
  try {
    let first = await status(t, "POST", "/auth/login", {
      json: { address: "alice@example.org", password: "wrong" },
    });
    assert.equal(first.status, 401);
    for (let i = 0; i < 5 && first.status === 401; i++) {
      first = await status(t, "POST", "/auth/login", {
        json: { address: "alice@example.org", password: "wrong" },
      });
    }
    assert.equal(first.status, 429);
    const res = await t.call("POST", "/auth/login", {
      json: { address: "alice@example.org", password: PASSWORD },
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    assert.equal((await res.json()).type, "tag:tern.email,2026:problem/throttled");
  } finally {
    await t.close();
  }
});

Deno.test("api refusals: too many wrong current passwords make a password change 429 with Retry-After, even with the right one; nothing changed", async () => {
  const t = await startApiServer(undefined, {
    auth: { throttle_free_failures: 0, lockout_failures: 2, lockout_seconds: 600 },
  });
  try {
    const { accessToken: token } = await login(t, "alice@example.org");
    const change = (currentPassword: string) =>
      status(t, "POST", "/auth/password", {
        token,
        json: { currentPassword, newPassword: "a-new-password-2" },
      });
    let res = await change("wrong");
    assert.equal(res.status, 403);
    for (let i = 0; i < 5 && res.status === 403; i++) res = await change("wrong");
    assert.equal(res.status, 429);
    const right = await t.call("POST", "/auth/password", {
      token,
      json: { currentPassword: PASSWORD, newPassword: "a-new-password-2" },
    });
    assert.equal(right.status, 429);
    assert.ok(Number(right.headers.get("retry-after")) > 0);
    assert.equal((await right.json()).type, "tag:tern.email,2026:problem/throttled");
    // A change ends every session: this one still works, so nothing was changed.
    assert.equal((await status(t, "GET", "/auth/me", { token })).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("api refusals: malformed queries and bodies are 400 problems naming the field", async () => {
  const t = await startApiServer();
  try {
    const root = (await login(t, "root@example.org")).accessToken;
    for (
      const path of ["/domains", "/aliases", "/tokens", "/organizations", "/plans", "/audit", "/admin/audit"]
    ) {
      const r = await status(t, "GET", `${path}?limit=0`, { token: root });
      assert.equal(r.status, 400, path);
      assert.deepEqual(
        (r.body!.errors as { pointer: string }[]).map((e) => e.pointer),
        ["query.limit"],
        path,
      );
    }
    const month = await status(t, "GET", "/usage?month=2026-13", { token: root });
    assert.equal(month.status, 400);
    assert.match(String(month.body!.detail), /2026-13/);
    assert.equal((await status(t, "POST", "/auth/refresh", { json: {} })).status, 400);
    const alice = t.accounts["alice@example.org"]!;
    assert.equal(
      (await status(t, "PATCH", `/accounts/${alice.id}`, { token: root, json: { quotaBytes: -1 } })).status,
      400,
    );
    assert.equal(
      (await status(t, "POST", "/domains", { token: root, json: { name: "not a domain" } })).status,
      400,
    );
    assert.equal((await status(t, "POST", "/tokens", { token: root, json: { name: "" } })).status, 400);
    const both = await status(t, "POST", "/admin/sessions/revoke", {
      token: root,
      json: { all: true, orgId: "default" },
    });
    assert.equal(both.status, 400);
    assert.equal(
      (await status(t, "PUT", "/organizations/default/roles", {
        token: root,
        json: { address: "alice@example.org", role: "king" },
      })).status,
      400,
    );
    // Logging out needs a login session: an API token has none.
    const { token } = await createToken(t.srv.context.store, "alice@example.org");
    const out = await status(t, "POST", "/auth/logout", { token });
    assert.equal(out.status, 400);
    assert.match(String(out.body!.detail), /login session/);
    // The precondition guards deletes too.
    const gone = await status(t, "DELETE", `/accounts/${alice.id}`, {
      token: root,
      headers: { "if-match": '"stale"' },
    });
    assert.equal(gone.status, 412);
    assert.ok(await t.srv.context.store.getAccount(alice.id), "a failed precondition deletes nothing");
  } finally {
    await t.close();
  }
});

Deno.test("api refusals: a member may read itself but not change the directory (403, nothing changed)", async () => {
  const t = await startApiServer();
  try {
    const store = t.srv.context.store;
    await store.addAlias("team@example.org", ["bob@example.org"]);
    const bob = await login(t, "bob@example.org");
    const alice = (await login(t, "alice@example.org")).accessToken;
    const ownAlice = t.accounts["alice@example.org"]!;
    const own = [
      ["POST", "/accounts", { address: "new@example.org", password: "long-password-1" }],
      ["DELETE", `/accounts/${ownAlice.id}`],
      ["GET", "/domains"],
      ["POST", "/domains", { name: "x.example" }],
      ["DELETE", "/domains/example.org"],
      ["POST", "/domains/example.org/dkim"],
      ["GET", "/aliases"],
      ["POST", "/aliases", { address: "y@example.org", targets: ["alice@example.org"] }],
      ["DELETE", "/aliases/team@example.org"],
      ["GET", "/organizations"],
      ["GET", "/organizations/default"],
      ["PATCH", "/organizations/default", { plan: null }],
      ["DELETE", "/organizations/default"],
      ["PUT", "/organizations/default/roles", { address: "alice@example.org", role: "admin" }],
      ["POST", "/organizations", { id: "mine" }],
      ["GET", "/plans"],
      ["POST", "/plans", { id: "p" }],
      ["GET", "/plans/p"],
      ["PATCH", "/plans/p", { name: "x" }],
      ["DELETE", "/plans/p"],
      ["GET", "/usage"],
    ] as const;
    for (const [method, path, json] of own) {
      const r = await status(t, method, path, { token: alice, ...(json ? { json } : {}) });
      assert.equal(r.status, 403, `${method} ${path}`);
    }
    // A read-only token of an account may not revoke its sessions or tokens.
    const ro = await t.call("POST", "/tokens", {
      token: bob.accessToken,
      json: { name: "ro", scope: "read-only" },
    });
    const roToken = (await ro.json()) as { token: string; id: string };
    assert.equal(
      (await status(t, "DELETE", `/auth/sessions/${bob.sessionId}`, { token: roToken.token })).status,
      403,
    );
    assert.equal((await status(t, "DELETE", `/tokens/${roToken.id}`, { token: roToken.token })).status, 403);
    assert.equal((await store.apiSessions.get(bob.sessionId))?.revokedAt, null);
    assert.equal((await store.getAccount(ownAlice.id))?.address, "alice@example.org");
    assert.deepEqual((await store.listAliases()).map((a) => a.address), ["team@example.org"]);
  } finally {
    await t.close();
  }
});

Deno.test("api organizations and plans: a platform admin creates a plan and an organization on it, changes and deletes them", async () => {
  const t = await startApiServer();
  try {
    const store = t.srv.context.store;
    await store.addDomain("acme.test");
    const root = (await login(t, "root@example.org")).accessToken;
    const plan = await status(t, "POST", "/plans", {
      token: root,
      json: { id: "small", name: "Small", limits: { accounts: 5 }, features: { webhooks: false } },
    });
    assert.equal(plan.status, 201);
    assert.equal((plan.body!.limits as { accounts: number }).accounts, 5);
    assert.equal((await status(t, "POST", "/plans", { token: root, json: { id: "small" } })).status, 409);
    assert.equal((await status(t, "POST", "/plans", { token: root, json: { id: "Bad Id!" } })).status, 400);
    assert.equal((await status(t, "GET", "/plans", { token: root })).status, 200);

    const org = await status(t, "POST", "/organizations", {
      token: root,
      json: { id: "acme", name: "Acme", plan: "small", domains: ["acme.test"] },
    });
    assert.equal(org.status, 201);
    assert.deepEqual(org.body!.domains, ["acme.test"]);
    assert.equal(org.body!.planId, "small");
    assert.equal(await store.organizations.orgOfDomain("acme.test"), "acme");
    assert.equal(
      (await status(t, "POST", "/organizations", { token: root, json: { id: "acme" } })).status,
      409,
    );
    assert.equal(
      (await status(t, "POST", "/organizations", { token: root, json: { id: "no such plan", plan: 5 } }))
        .status,
      400,
    );

    const onPlan = await status(t, "GET", "/plans/small", { token: root });
    assert.deepEqual(onPlan.body!.organizations, ["acme"]);
    const patched = await status(t, "PATCH", "/plans/small", {
      token: root,
      json: { limits: { accounts: 9 } },
    });
    assert.equal(patched.status, 200);
    assert.equal((await store.plans.get("small"))?.limits.accounts, 9);
    assert.equal(
      (await status(t, "PATCH", "/plans/small", { token: root, json: { limits: { accounts: -1 } } })).status,
      400,
    );
    assert.equal((await status(t, "PATCH", "/plans/nope", { token: root, json: { name: "x" } })).status, 404);
    assert.equal((await status(t, "GET", "/plans/nope", { token: root })).status, 404);
    assert.equal(
      (await status(t, "DELETE", "/plans/small", { token: root })).status,
      409,
      "a plan in use stays",
    );
    assert.equal((await status(t, "DELETE", "/plans/nope", { token: root })).status, 404);

    assert.equal(
      (await status(t, "PATCH", "/organizations/acme", { token: root, json: { plan: null } })).status,
      200,
    );
    assert.equal((await store.organizations.get("acme"))?.planId, null);
    assert.equal(
      (await status(t, "PATCH", "/organizations/acme", { token: root, json: { plan: 7 } })).status,
      400,
    );
    assert.equal((await status(t, "DELETE", "/plans/small", { token: root })).status, 204);
    assert.equal(await store.plans.get("small"), null);
    assert.equal(
      (await status(t, "DELETE", "/organizations/acme", { token: root })).status,
      409,
      "it still owns acme.test",
    );
    await store.organizations.assignDomain("acme.test", "default");
    assert.equal((await status(t, "DELETE", "/organizations/acme", { token: root })).status, 204);
    assert.equal(await store.organizations.get("acme"), null);

    // An organization's admin reads plans, its organization and its usage, but changes no plan.
    await addOrganization(store, { id: "beta", domains: [] });
    await store.addDomain("beta.test");
    await store.organizations.assignDomain("beta.test", "beta");
    await store.createAccount({
      address: "boss@beta.test",
      secrets: await t.srv.context.auth.deriveSecrets(PASSWORD),
    });
    await setRole(store, "boss@beta.test", "owner");
    const boss = (await login(t, "boss@beta.test")).accessToken;
    assert.equal((await status(t, "GET", "/plans", { token: boss })).status, 200);
    assert.equal((await status(t, "GET", "/organizations/beta", { token: boss })).status, 200);
    const usage = await status(t, "GET", "/usage", { token: boss });
    assert.equal(usage.status, 200);
    assert.deepEqual((usage.body!.items as { orgId: string }[]).map((r) => r.orgId), ["beta"]);
    assert.equal(
      (await status(t, "PATCH", "/organizations/beta", { token: boss, json: { plan: null } })).status,
      403,
    );
    assert.equal((await status(t, "GET", "/organizations/nope", { token: root })).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("api plans: an organization whose plan has no API access is refused (403); a monthly call allowance is enforced (429)", async () => {
  const t = await startApiServer();
  try {
    const store = t.srv.context.store;
    const root = (await login(t, "root@example.org")).accessToken;
    const alice = (await login(t, "alice@example.org")).accessToken;
    assert.equal((await status(t, "GET", "/auth/me", { token: alice })).status, 200);
    const off = await status(t, "POST", "/plans", {
      token: root,
      json: { id: "noapi", features: { api_access: false } },
    });
    assert.equal(off.status, 201);
    assert.equal(
      (await status(t, "PATCH", "/organizations/default", { token: root, json: { plan: "noapi" } })).status,
      200,
    );
    const refused = await status(t, "GET", "/auth/me", { token: alice });
    assert.equal(refused.status, 403);
    assert.match(String(refused.body!.detail), /no API access/);
    // Platform administrators operate the platform whatever the plan.
    assert.equal((await status(t, "GET", "/auth/me", { token: root })).status, 200);

    await status(t, "POST", "/plans", {
      token: root,
      json: { id: "metered", limits: { apiCallsPerMonth: 2 } },
    });
    assert.equal(
      (await status(t, "PATCH", "/organizations/default", { token: root, json: { plan: "metered" } })).status,
      200,
    );
    const used = (await store.usage.sum("default", "0000-01-01", "9999-12-31")).apiCalls;
    let last = 200;
    for (let i = 0; i < 3 - used && last === 200; i++) {
      last = (await status(t, "GET", "/auth/me", { token: alice })).status;
    }
    const over = await status(t, "GET", "/auth/me", { token: alice });
    assert.equal(over.status, 429);
    assert.match(String(over.body!.detail), /monthly API calls/);
  } finally {
    await t.close();
  }
});

Deno.test("api audit: a ban and the first use of an API token are security events", async () => {
  const t = await startApiServer(undefined, { policy: { ban_failures: 2 }, auth: { lockout_failures: 100 } });
  try {
    const store = t.srv.context.store;
    const { token, id } = await createToken(store, "alice@example.org");
    assert.equal((await status(t, "GET", "/auth/me", { token })).status, 200);
    assert.equal((await status(t, "GET", "/auth/me", { token })).status, 200);
    const uses = await store.audit.list({ actionPrefix: "token.use", limit: 10 });
    assert.deepEqual(
      uses.map((e) => [e.target, e.actor]),
      [[id, "alice@example.org"]],
      "recorded once per hour",
    );

    for (let i = 0; i < 2; i++) {
      await status(t, "POST", "/auth/login", { json: { address: "alice@example.org", password: "wrong" } });
    }
    const bans = await store.audit.list({ actionPrefix: "policy.ban", limit: 10 });
    assert.equal(bans.length, 1);
    assert.equal(bans[0]!.kind, "security");
    assert.equal(bans[0]!.actor, "system");
    assert.match(bans[0]!.target ?? "", /127\.0\.0\.1/);
  } finally {
    await t.close();
  }
});

Deno.test("api sessions: the emergency revocation ends every login session of every organization; API tokens keep working", async () => {
  const t = await startApiServer();
  try {
    const root = await login(t, "root@example.org");
    const alice = await login(t, "alice@example.org");
    const bob = await login(t, "bob@example.org");
    const { token } = await createToken(t.srv.context.store, "alice@example.org");
    const res = await status(t, "POST", "/admin/sessions/revoke", {
      token: root.accessToken,
      json: { all: true },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { revoked: 3 });
    for (const s of [root, alice, bob]) {
      assert.equal((await status(t, "GET", "/auth/me", { token: s.accessToken })).status, 401);
      assert.equal(
        (await status(t, "POST", "/auth/refresh", { json: { refreshToken: s.refreshToken } })).status,
        401,
      );
    }
    assert.equal((await status(t, "GET", "/auth/me", { token })).status, 200);
    const events = await t.srv.context.store.audit.list({ actionPrefix: "session.revoke_bulk", limit: 5 });
    assert.deepEqual(events.map((e) => [e.actor, e.target, e.after]), [["root@example.org", "all", {
      revoked: 3,
    }]]);
  } finally {
    await t.close();
  }
});
