/**
 * Cases registered by tests/api/api_test.ts: the directory endpoints (accounts, domains with DKIM
 * keys and DNS records, aliases, API tokens) through the real server with fetch and curl, ETag and
 * If-Match, cursor pagination and the audit log of every change.
 */
import assert from "node:assert/strict";
import { login, recordSeen, startApiServer } from "./_server.ts";

async function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-D", "-", "-o", "-", "--max-time", "30", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const split = text.indexOf("\r\n\r\n");
  const headers = text.slice(0, split);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1] ?? "0");
  return { status, headers, body: text.slice(split + 4) };
}

Deno.test("api accounts (curl): a platform admin creates, reads, updates with If-Match and deletes an account; every change is audited", async () => {
  const t = await startApiServer();
  try {
    const { accessToken } = await login(t, "root@example.org");
    const auth = ["-H", `Authorization: Bearer ${accessToken}`];
    const created = await curl([
      ...auth,
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "--data",
      JSON.stringify({ address: "New.User@Example.org", password: "long-password-1", displayName: "New" }),
      `${t.api}/accounts`,
    ]);
    recordSeen("POST", "/accounts", created.status);
    assert.equal(created.status, 201, created.body);
    const account = JSON.parse(created.body);
    assert.equal(account.address, "New.User@example.org");
    assert.match(created.headers, /^location: \/api\/v1\/accounts\/[\w-]+$/im);

    // The new account logs in through the API (its password was set through the shared operation).
    const res = await t.call("POST", "/auth/login", {
      json: { address: account.address, password: "long-password-1" },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();

    const got = await t.call("GET", `/accounts/${account.id}`, { token: accessToken });
    assert.equal(got.status, 200);
    const etag = got.headers.get("etag")!;
    assert.match(etag, /^"[\w-]+"$/);
    await got.body?.cancel();

    const stale = await t.call("PATCH", `/accounts/${account.id}`, {
      token: accessToken,
      json: { displayName: "Lost update" },
      headers: { "if-match": '"not-the-tag"' },
    });
    assert.equal(stale.status, 412);
    assert.equal((await stale.json()).type, "tag:tern.email,2026:problem/precondition-failed");

    const patched = await curl([
      ...auth,
      "-X",
      "PATCH",
      "-H",
      "Content-Type: application/json",
      "-H",
      `If-Match: ${etag}`,
      "--data",
      JSON.stringify({ displayName: "Renamed", quotaBytes: 1048576 }),
      `${t.api}/accounts/${account.id}`,
    ]);
    recordSeen("PATCH", `/accounts/${account.id}`, patched.status);
    assert.equal(patched.status, 200, patched.body);
    assert.equal(JSON.parse(patched.body).displayName, "Renamed");
    assert.equal((await t.srv.context.store.getAccount(account.id))?.quotaBytes, 1048576);
    // The old tag no longer matches.
    const again = await t.call("PATCH", `/accounts/${account.id}`, {
      token: accessToken,
      json: { displayName: "x" },
      headers: { "if-match": etag },
    });
    assert.equal(again.status, 412);
    await again.body?.cancel();

    const dup = await t.call("POST", "/accounts", {
      token: accessToken,
      json: { address: "new.user@example.org", password: "long-password-1" },
    });
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    const badDomain = await t.call("POST", "/accounts", {
      token: accessToken,
      json: { address: "x@elsewhere.test", password: "long-password-1" },
    });
    assert.equal(badDomain.status, 409);
    await badDomain.body?.cancel();
    const invalid = await t.call("POST", "/accounts", {
      token: accessToken,
      json: { address: "no-at-sign", password: "long-password-1" },
    });
    assert.equal(invalid.status, 400);
    await invalid.body?.cancel();

    const del = await t.call("DELETE", `/accounts/${account.id}`, { token: accessToken });
    assert.equal(del.status, 204);
    assert.equal(await t.srv.context.store.getAccount(account.id), null);
    const gone = await t.call("GET", `/accounts/${account.id}`, { token: accessToken });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();

    const audit = await t.call("GET", "/admin/audit?kind=change", { token: accessToken });
    assert.equal(audit.status, 200);
    const entries = (await audit.json()).items as {
      action: string;
      actor: string;
      target: string;
      requestId: string;
    }[];
    assert.deepEqual(entries.map((e) => e.action), ["account.delete", "account.update", "account.create"]);
    assert.ok(entries.every((e) => e.actor === "root@example.org" && e.target === "New.User@example.org"));
    assert.ok(entries.every((e) => typeof e.requestId === "string" && e.requestId.length > 0));
  } finally {
    await t.close();
  }
});

Deno.test("api accounts: listing pages with a cursor, without repeats or gaps, in address order", async () => {
  const names = Array.from({ length: 7 }, (_, i) => `user${i}@example.org`);
  const t = await startApiServer([...names, "root@example.org"]);
  try {
    const { accessToken } = await login(t, "root@example.org");
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
      const res = await t.call("GET", `/accounts${q}`, { token: accessToken });
      assert.equal(res.status, 200);
      const page: { items: { address: string }[]; nextCursor: string | null } = await res.json();
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((a) => a.address));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...names, "root@example.org"].sort());
    const bad = await t.call("GET", "/accounts?cursor=!!", { token: accessToken });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api domains: a domain is created with DKIM keys on request and the DNS records to publish", async () => {
  const t = await startApiServer();
  try {
    const { accessToken } = await login(t, "root@example.org");
    const created = await t.call("POST", "/domains", { token: accessToken, json: { name: "Shop.Example" } });
    assert.equal(created.status, 201);
    const domain = await created.json();
    assert.equal(domain.name, "shop.example");
    assert.deepEqual(domain.dkim, []);
    assert.ok(
      domain.dnsRecords.some((r: { type: string; name: string }) =>
        r.type === "MX" && r.name === "shop.example"
      ),
    );

    const dkim = await t.call("POST", "/domains/shop.example/dkim", { token: accessToken });
    assert.equal(dkim.status, 200);
    const withKeys = await dkim.json();
    assert.deepEqual(withKeys.dkim.map((k: { algorithm: string }) => k.algorithm).sort(), [
      "ed25519-sha256",
      "rsa-sha256",
    ]);
    const rsa = withKeys.dkim.find((k: { algorithm: string }) => k.algorithm === "rsa-sha256");
    const record = withKeys.dnsRecords.find((r: { name: string }) =>
      r.name === `${rsa.selector}._domainkey.shop.example`
    );
    assert.ok(record, "the DKIM TXT record is among the records to publish");
    assert.ok(record.value.includes(`p=${rsa.publicKey}`));
    // No private key ever leaves the server.
    assert.ok(!JSON.stringify(withKeys).includes("PRIVATE KEY"));

    const got = await t.call("GET", "/domains/shop.example", { token: accessToken });
    assert.equal(got.status, 200);
    assert.equal((await got.json()).dkim.length, 2);
    const list = await t.call("GET", "/domains", { token: accessToken });
    assert.deepEqual((await list.json()).items.map((d: { name: string }) => d.name), [
      "example.org",
      "shop.example",
    ]);

    const dup = await t.call("POST", "/domains", { token: accessToken, json: { name: "shop.example" } });
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    const busy = await t.call("DELETE", "/domains/example.org", { token: accessToken });
    assert.equal(busy.status, 409, "a domain with accounts cannot be deleted");
    await busy.body?.cancel();
    const del = await t.call("DELETE", "/domains/shop.example", { token: accessToken });
    assert.equal(del.status, 204);
    const gone = await t.call("GET", "/domains/shop.example", { token: accessToken });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api aliases and tokens: created, listed and deleted; a token's secret is shown once and then authenticates", async () => {
  const t = await startApiServer();
  try {
    const { accessToken } = await login(t, "root@example.org");
    const made = await t.call("POST", "/aliases", {
      token: accessToken,
      json: { address: "sales@example.org", targets: ["alice@example.org", "bob@example.org"] },
    });
    assert.equal(made.status, 201);
    assert.deepEqual((await made.json()).targets, ["alice@example.org", "bob@example.org"]);
    assert.deepEqual(
      (await t.srv.context.store.resolveRecipient("sales@example.org"))?.map((a) => a.address).sort(),
      ["alice@example.org", "bob@example.org"],
    );
    const list = await t.call("GET", "/aliases", { token: accessToken });
    assert.deepEqual((await list.json()).items.map((a: { address: string }) => a.address), [
      "sales@example.org",
    ]);
    const noTarget = await t.call("POST", "/aliases", {
      token: accessToken,
      json: { address: "x@example.org", targets: ["nobody@example.org"] },
    });
    assert.equal(noTarget.status, 404);
    await noTarget.body?.cancel();
    const dupAlias = await t.call("POST", "/aliases", {
      token: accessToken,
      json: { address: "sales@example.org", targets: ["alice@example.org"] },
    });
    assert.equal(dupAlias.status, 409);
    await dupAlias.body?.cancel();
    const badAlias = await t.call("POST", "/aliases", {
      token: accessToken,
      json: { address: "bad", targets: ["alice@example.org"] },
    });
    assert.equal(badAlias.status, 400);
    await badAlias.body?.cancel();
    assert.equal((await t.call("DELETE", "/aliases/sales@example.org", { token: accessToken })).status, 204);
    const gone = await t.call("DELETE", "/aliases/sales@example.org", { token: accessToken });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();

    const alice = await login(t, "alice@example.org");
    const tok = await t.call("POST", "/tokens", {
      token: alice.accessToken,
      json: { name: "ci", scope: "read-only" },
    });
    assert.equal(tok.status, 201);
    const created = await tok.json();
    assert.match(created.token, /^tern_/);
    assert.equal(created.scope, "read-only");
    const me = await t.call("GET", "/auth/me", { token: created.token });
    assert.equal((await me.json()).scope, "read-only");
    const listed = await t.call("GET", "/tokens", { token: alice.accessToken });
    const items = (await listed.json()).items;
    assert.deepEqual(items.map((x: { id: string }) => x.id), [created.id]);
    assert.equal("token" in items[0], false, "the secret is not listed");
    // A member cannot mint an administrator's scope.
    const escalate = await t.call("POST", "/tokens", {
      token: alice.accessToken,
      json: { name: "x", scope: "platform-admin" },
    });
    assert.equal(escalate.status, 403);
    await escalate.body?.cancel();
    assert.equal((await t.call("DELETE", `/tokens/${created.id}`, { token: alice.accessToken })).status, 204);
    const revoked = await t.call("GET", "/auth/me", { token: created.token });
    assert.equal(revoked.status, 401);
    await revoked.body?.cancel();
    const events = await t.srv.context.store.audit.list({
      kind: "security",
      actionPrefix: "token.",
      limit: 10,
    });
    assert.deepEqual(events.map((e) => e.action), ["token.revoke", "token.use", "token.create"]);
  } finally {
    await t.close();
  }
});
