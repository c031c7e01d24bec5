/**
 * Cases registered by tests/api/api_test.ts: self-service operations any account may use (the web
 * UI's account pages call them). The vacation reply through `GET/PUT /accounts/{id}/vacation` is
 * the JMAP VacationResponse (one record); `POST /auth/password` needs the current password and
 * ends every login session.
 */
import assert from "node:assert/strict";
import { login, PASSWORD, startApiServer } from "./_server.ts";

const VACATION = {
  isEnabled: true,
  fromDate: null,
  toDate: "2030-01-02T03:04:00.000Z",
  subject: "Away",
  textBody: "Back next week.",
  htmlBody: null,
};

Deno.test("api vacation: PUT /accounts/{id}/vacation sets the reply the store (and JMAP) reads; GET returns it", async () => {
  const t = await startApiServer();
  try {
    const alice = t.accounts["alice@example.org"]!;
    const { accessToken } = await login(t, "alice@example.org");
    let res = await t.call("GET", `/accounts/${alice.id}/vacation`, { token: accessToken });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).isEnabled, false);
    res = await t.call("PUT", `/accounts/${alice.id}/vacation`, { token: accessToken, json: VACATION });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), VACATION);
    const stored = (await t.srv.context.store.vacations.get(alice.id)).value;
    assert.equal(stored.isEnabled, true);
    assert.equal(stored.textBody, "Back next week.");
    assert.equal(stored.toDate?.toISOString(), VACATION.toDate);
    res = await t.call("GET", `/accounts/${alice.id}/vacation`, { token: accessToken });
    assert.deepEqual(await res.json(), VACATION);
    // Audited as a change of the account.
    const { accessToken: root } = await login(t, "root@example.org");
    const audit = await (await t.call("GET", "/admin/audit?action=account.vacation.update", { token: root }))
      .json();
    assert.equal(audit.items[0].target, "alice@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("api vacation: refusals: bad date 400, another member's account 404, read-only token 403, no credentials 401", async () => {
  const t = await startApiServer();
  try {
    const alice = t.accounts["alice@example.org"]!;
    const bob = t.accounts["bob@example.org"]!;
    const { accessToken } = await login(t, "alice@example.org");
    let res = await t.call("PUT", `/accounts/${alice.id}/vacation`, {
      token: accessToken,
      json: { ...VACATION, fromDate: "not a date" },
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await t.call("GET", `/accounts/${bob.id}/vacation`, { token: accessToken });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    res = await t.call("PUT", `/accounts/${bob.id}/vacation`, { token: accessToken, json: VACATION });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    assert.equal((await t.srv.context.store.vacations.get(bob.id)).value.isEnabled, false);
    const created = await t.call("POST", "/tokens", {
      token: accessToken,
      json: { name: "ro", scope: "read-only" },
    });
    const ro = (await created.json()).token as string;
    res = await t.call("GET", `/accounts/${alice.id}/vacation`, { token: ro });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    res = await t.call("PUT", `/accounts/${alice.id}/vacation`, { token: ro, json: VACATION });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    for (const method of ["GET", "PUT"]) {
      res = await t.call(
        method,
        `/accounts/${alice.id}/vacation`,
        method === "PUT" ? { json: VACATION } : {},
      );
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("api password: POST /auth/password with the current password changes it and ends every session", async () => {
  const t = await startApiServer();
  try {
    const first = await login(t, "alice@example.org");
    const second = await login(t, "alice@example.org");
    let res = await t.call("POST", "/auth/password", {
      token: first.accessToken,
      json: { currentPassword: PASSWORD, newPassword: "a-new-password-2" },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).sessionsEnded, 2);
    res = await t.call("GET", "/auth/me", { token: second.accessToken });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    res = await t.call("POST", "/auth/login", {
      json: { address: "alice@example.org", password: "a-new-password-2" },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api password: a wrong current password is 403 (audited, password unchanged); too short 400; read-only 403; none 401", async () => {
  const t = await startApiServer();
  try {
    const { accessToken } = await login(t, "alice@example.org");
    let res = await t.call("POST", "/auth/password", {
      token: accessToken,
      json: { currentPassword: "wrong-one", newPassword: "a-new-password-2" },
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    res = await t.call("POST", "/auth/password", {
      token: accessToken,
      json: { currentPassword: PASSWORD, newPassword: "short" },
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await t.call("GET", "/auth/me", { token: accessToken });
    assert.equal(res.status, 200, "the session survives refused changes");
    await res.body?.cancel();
    const { accessToken: root } = await login(t, "root@example.org");
    const audit = await (await t.call("GET", "/admin/audit?action=account.password.invalid", { token: root }))
      .json();
    assert.equal(audit.items[0].target, "alice@example.org");
    const created = await t.call("POST", "/tokens", {
      token: accessToken,
      json: { name: "ro", scope: "read-only" },
    });
    const ro = (await created.json()).token as string;
    res = await t.call("POST", "/auth/password", {
      token: ro,
      json: { currentPassword: PASSWORD, newPassword: "a-new-password-2" },
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    res = await t.call("POST", "/auth/password", {
      json: { currentPassword: PASSWORD, newPassword: "a-new-password-2" },
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    // Still the old password.
    await login(t, "alice@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("api sieve: PUT stores a script and makes it the active one; a script that does not compile is 400 with line and column, not stored", async () => {
  const t = await startApiServer();
  try {
    const alice = t.accounts["alice@example.org"]!;
    const { accessToken } = await login(t, "alice@example.org");
    const base = `/accounts/${alice.id}/sieve`;
    let res = await t.call("PUT", `${base}/main`, {
      token: accessToken,
      json: {
        content: 'require "fileinto";\nif header :contains "subject" "x" { fileinto "Junk"; }\n',
        active: true,
      },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).isActive, true);
    assert.equal((await t.srv.context.store.sieveScripts.active(alice.id))?.name, "main");
    res = await t.call("PUT", `${base}/broken`, {
      token: accessToken,
      json: { content: 'require "fileinto";\nif true {\n  fileinto "A"\n}\n' },
    });
    assert.equal(res.status, 400);
    const problem = await res.json();
    assert.match(problem.errors[0].detail, /^line 4, column 1: /);
    assert.equal(await t.srv.context.store.sieveScripts.get(alice.id, "broken"), null);
    res = await t.call("GET", base, { token: accessToken });
    assert.deepEqual((await res.json()).items.map((s: { name: string }) => s.name), ["main"]);
    res = await t.call("GET", `${base}/main`, { token: accessToken });
    assert.match((await res.json()).content, /fileinto "Junk"/);
    res = await t.call("PUT", `${base}/main`, {
      token: accessToken,
      json: { content: "keep;\n", active: false },
    });
    assert.equal((await res.json()).isActive, false);
    res = await t.call("DELETE", `${base}/main`, { token: accessToken });
    assert.equal(res.status, 204);
    res = await t.call("GET", `${base}/main`, { token: accessToken });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api sieve: refusals: another member's account 404, read-only token 403, too many scripts 409, no credentials 401", async () => {
  const t = await startApiServer();
  try {
    const alice = t.accounts["alice@example.org"]!;
    const bob = t.accounts["bob@example.org"]!;
    const { accessToken } = await login(t, "alice@example.org");
    const expect = async (method: string, path: string, status: number, token?: string, body?: unknown) => {
      const res = await t.call(method, path, {
        ...(token ? { token } : {}),
        ...(body ? { json: body } : {}),
      });
      assert.equal(res.status, status, `${method} ${path}`);
      await res.body?.cancel();
    };
    const keep = { content: "keep;\n" };
    await expect("GET", `/accounts/${bob.id}/sieve`, 404, accessToken);
    await expect("GET", `/accounts/${bob.id}/sieve/x`, 404, accessToken);
    await expect("PUT", `/accounts/${bob.id}/sieve/x`, 404, accessToken, keep);
    await expect("DELETE", `/accounts/${alice.id}/sieve/none`, 404, accessToken);
    const ro = (await (await t.call("POST", "/tokens", {
      token: accessToken,
      json: { name: "ro", scope: "read-only" },
    })).json()).token as string;
    await expect("PUT", `/accounts/${alice.id}/sieve/x`, 403, ro, keep);
    await expect("DELETE", `/accounts/${alice.id}/sieve/x`, 403, ro);
    for (let i = 0; i < 64; i++) await t.srv.context.store.sieveScripts.put(alice.id, `s${i}`, "keep;\n");
    await expect("PUT", `/accounts/${alice.id}/sieve/one-more`, 409, accessToken, keep);
    await expect("GET", `/accounts/${alice.id}/sieve`, 401);
    await expect("GET", `/accounts/${alice.id}/sieve/s1`, 401);
    await expect("PUT", `/accounts/${alice.id}/sieve/s1`, 401, undefined, keep);
    await expect("DELETE", `/accounts/${alice.id}/sieve/s1`, 401);
  } finally {
    await t.close();
  }
});

Deno.test("api dns-check: GET /domains/{name}/dns-check compares the records to publish with the resolver's answers", async () => {
  // Static DNS only: nothing leaves the machine.
  const t = await startApiServer(undefined, {
    queue: {
      static_dns: [
        { name: "example.org", type: "MX", value: "10 mx.test." },
        { name: "example.org", type: "TXT", value: "v=spf1 mx -all" },
      ],
    },
  });
  try {
    const { accessToken: root } = await login(t, "root@example.org");
    const res = await t.call("GET", "/domains/example.org/dns-check", { token: root });
    assert.equal(res.status, 200);
    const body = await res.json();
    const status = (type: string, name: string) =>
      body.checks.find((k: { type: string; name: string }) => k.type === type && k.name === name)?.status;
    assert.equal(status("MX", "example.org"), "ok");
    assert.equal(status("TXT", "example.org"), "ok");
    assert.equal(status("TXT", "_dmarc.example.org"), "missing");
    assert.equal(body.allRequiredOk, false);
    const { accessToken: alice } = await login(t, "alice@example.org");
    const other = await t.call("GET", "/domains/nowhere.test/dns-check", { token: alice });
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const anon = await t.call("GET", "/domains/example.org/dns-check");
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    await t.close();
  }
});
