/**
 * Issue 16 on IMAP and JMAP: the organization's plan storage refuses APPEND and COPY with
 * `NO [OVERQUOTA]` (RFC 9208 §4.3) and Email/import, Email/copy and Email/set with `overQuota`
 * (RFC 8621 §4.6), one below the limit then at it; GETQUOTAROOT/GETQUOTA report the organization's
 * root; a raised plan applies without restart.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { RawImap, setupImap } from "../imap/_imap_client.ts";
import { addOrganization, addPlan, setPlan } from "../../core/tenancy/operations.ts";
import { startTestServer } from "../support/server.ts";
import { Smtp } from "./_support.ts";

const MSG = "From: a@example.net\r\nSubject: quota\r\n\r\n" + "x".repeat(959) + "\r\n"; // 1,000 octets

async function append(c: RawImap, box = "INBOX"): Promise<string> {
  await c.c.send(`a APPEND ${box} {${MSG.length}+}\r\n${MSG}\r\n`);
  return (await c.until("a")).at(-1)!;
}

Deno.test("tenancy imap: APPEND up to the organization's storage, then NO [OVERQUOTA]; COPY too; QUOTA reports it", async () => {
  assert.equal(MSG.length, 1000);
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    const store = t.srv.context.store;
    await addPlan(store, { id: "p", limits: { storageBytes: 2000 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    await c.login();
    assert.match(await append(c), /^TAG OK /);
    // Usage 1,000, limit 2,000: the second message exactly fills it.
    assert.match(await append(c), /^TAG OK /);
    assert.match(await append(c), /^TAG NO \[OVERQUOTA\] /);
    assert.deepEqual(await c.cmd("GETQUOTAROOT INBOX"), [
      '* QUOTAROOT INBOX "organization"',
      '* QUOTA "organization" (STORAGE 2 1)',
      "TAG OK GETQUOTAROOT completed",
    ]);
    assert.deepEqual(await c.cmd('GETQUOTA "organization"'), [
      '* QUOTA "organization" (STORAGE 2 1)',
      "TAG OK GETQUOTA completed",
    ]);
    await c.cmd("SELECT INBOX");
    assert.match((await c.cmd("COPY 1 Archive")).at(-1)!, /^TAG NO \[OVERQUOTA\] /);
    // Raised in the store (as `tern plan set` does): the next APPEND and COPY pass, no restart.
    await setPlan(store, "p", { limits: { storageBytes: 4000 } });
    assert.match((await c.cmd("COPY 1 Archive")).at(-1)!, /^TAG OK /);
    assert.match(await append(c), /^TAG OK /);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("tenancy jmap: Email/import, Email/copy and Email/set up to the organization's storage, then overQuota", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const user = await t.addUser("u@example.org", "s3cret pass");
    await addPlan(store, { id: "p", limits: { storageBytes: 2000 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    const base = `http://127.0.0.1:${t.port("http")}`;
    const auth = "Basic " + btoa("u@example.org:s3cret pass");
    const up = await fetch(`${base}/jmap/upload/${user.id}/`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "message/rfc822" },
      body: MSG,
    });
    const { blobId } = await up.json();
    const inbox = (await store.getMailboxByRole(user.id, "inbox"))!.id;
    type SetLike = {
      created?: Record<string, { id: string }> | null;
      notCreated?: Record<string, { type: string }> | null;
    };
    const api = async (call: [string, Record<string, unknown>, string]): Promise<SetLike> => {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
          methodCalls: [call],
        }),
      });
      assert.equal(res.status, 200);
      const body = await res.json() as { methodResponses: [string, SetLike, string][] };
      return body.methodResponses[0]![1];
    };
    const imp = (cid: string): [string, Record<string, unknown>, string] => [
      "Email/import",
      { accountId: user.id, emails: { [cid]: { blobId, mailboxIds: { [inbox]: true } } } },
      cid,
    ];
    const r1 = await api(imp("a"));
    assert.ok(r1.created?.a, JSON.stringify(r1));
    // Usage 1,000 of 2,000: one more fits exactly, a third does not.
    assert.ok((await api(imp("b"))).created?.b);
    assert.equal((await api(imp("c"))).notCreated?.c?.type, "overQuota");
    const r4 = await api([
      "Email/copy",
      {
        fromAccountId: user.id,
        accountId: user.id,
        create: { k: { id: r1.created!.a!.id, mailboxIds: { [inbox]: true } } },
      },
      "0",
    ]);
    assert.equal(r4.notCreated?.k?.type, "overQuota");
    const r5 = await api([
      "Email/set",
      {
        accountId: user.id,
        create: {
          n: {
            mailboxIds: { [inbox]: true },
            subject: "x",
            bodyStructure: { type: "text/plain", partId: "1" },
            bodyValues: { "1": { value: "hi" } },
          },
        },
      },
      "0",
    ]);
    assert.equal(r5.notCreated?.n?.type, "overQuota");
  } finally {
    await t.close();
  }
});

Deno.test("tenancy jmap: JMAP Quotas (RFC 9425) report the plan's storage and message limits and follow a plan change", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const user = await t.addUser("u@example.org", "s3cret pass");
    await addPlan(store, { id: "p", limits: { storageBytes: 1_000_000, receivedPerDay: 10, sentPerDay: 5 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    const base = `http://127.0.0.1:${t.port("http")}`;
    const auth = { authorization: "Basic " + btoa("u@example.org:s3cret pass") };
    const session = await (await fetch(`${base}/jmap/session`, { headers: auth })).json();
    assert.deepEqual(session.capabilities["urn:ietf:params:jmap:quota"], {});
    assert.deepEqual(session.accounts[user.id].accountCapabilities["urn:ietf:params:jmap:quota"], {});
    assert.equal(session.primaryAccounts["urn:ietf:params:jmap:quota"], user.id);
    const call = async (name: string, args: Record<string, unknown>) => {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"],
          methodCalls: [[name, { accountId: user.id, ...args }, "0"]],
        }),
      });
      const body = await res.json() as { methodResponses: [string, Record<string, unknown>, string][] };
      return body.methodResponses[0]!;
    };
    // One message received by the organization over SMTP.
    const s = await Smtp.open(t.port("smtp"));
    assert.match(await s.send("x@remote.test", "u@example.org"), /^250 /);
    s.close();
    const [, got] = await call("Quota/get", { ids: null });
    const list = got.list as Record<string, unknown>[];
    assert.deepEqual(list.map((q) => q.id), ["org-storage", "org-received-day", "org-sent-day"]);
    const storage = list[0]!;
    assert.equal(storage.resourceType, "octets");
    assert.equal(storage.scope, "domain");
    assert.equal(storage.hardLimit, 1_000_000);
    assert.equal(storage.used, (await store.organizations.resources("acme")).storageBytes);
    assert.deepEqual(
      { used: list[1]!.used, hardLimit: list[1]!.hardLimit, resourceType: list[1]!.resourceType },
      { used: 1, hardLimit: 10, resourceType: "count" },
    );
    const [, q] = await call("Quota/query", {
      filter: { resourceType: ["count"] },
      sort: [{ property: "name" }],
    });
    assert.deepEqual(q.ids, ["org-received-day", "org-sent-day"]);
    const [name] = await call("Quota/changes", { sinceState: "stale" });
    assert.equal(name, "error");
    await setPlan(store, "p", { limits: { receivedPerDay: 20, sentPerDay: null } });
    const [, again] = await call("Quota/get", { ids: ["org-received-day", "org-sent-day"] });
    assert.equal((again.list as Record<string, unknown>[])[0]!.hardLimit, 20);
    assert.deepEqual(again.notFound, ["org-sent-day"]);
    assert.notEqual(again.state, got.state);
  } finally {
    await t.close();
  }
});

Deno.test("tenancy jmap: EmailSubmission under the daily send limit is sent, at it forbiddenToSend", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const user = await t.addUser("u@example.org", "s3cret pass");
    await t.addUser("v@example.org", "other pass");
    await addPlan(store, { id: "p", limits: { sentPerDay: 1 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    const base = `http://127.0.0.1:${t.port("http")}`;
    const api = async (calls: [string, Record<string, unknown>, string][]) => {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: {
          authorization: "Basic " + btoa("u@example.org:s3cret pass"),
          "content-type": "application/json",
        },
        body: JSON.stringify({
          using: [
            "urn:ietf:params:jmap:core",
            "urn:ietf:params:jmap:mail",
            "urn:ietf:params:jmap:submission",
          ],
          methodCalls: calls,
        }),
      });
      return (await res.json() as { methodResponses: [string, Record<string, unknown>, string][] })
        .methodResponses;
    };
    const drafts = (await store.getMailboxByRole(user.id, "drafts"))!.id;
    const identities = (await api([["Identity/get", { accountId: user.id }, "i"]]))[0]![1];
    const identityId = (identities.list as { id: string }[])[0]!.id;
    const send = (n: number) =>
      api([
        ["Email/set", {
          accountId: user.id,
          create: {
            d: {
              mailboxIds: { [drafts]: true },
              from: [{ email: "u@example.org" }],
              to: [{ email: "v@example.org" }],
              subject: `send ${n}`,
              bodyValues: { v: { value: "hi" } },
              textBody: [{ partId: "v", type: "text/plain" }],
            },
          },
        }, "0"],
        ["EmailSubmission/set", { accountId: user.id, create: { s: { identityId, emailId: "#d" } } }, "1"],
      ]);
    // Usage 0, limit 1: sent.
    const first = await send(1);
    assert.ok((first[1]![1] as { created?: Record<string, unknown> }).created?.s, JSON.stringify(first));
    // Usage 1: at the limit.
    const second = await send(2);
    const notCreated =
      (second[1]![1] as { notCreated?: Record<string, { type: string; description: string }> })
        .notCreated;
    assert.equal(notCreated?.s?.type, "forbiddenToSend", JSON.stringify(second));
    assert.match(notCreated!.s!.description, /sending limit/);
  } finally {
    await t.close();
  }
});

Deno.test("tenancy imap: imapflow's APPEND over the organization's storage fails with OVERQUOTA", async () => {
  const { t, port } = await setupImap();
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "u@example.org", pass: "s3cret pass" },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    const store = t.srv.context.store;
    await addPlan(store, { id: "p", limits: { storageBytes: 1000 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    await client.connect();
    // Exactly at the limit: accepted.
    assert.ok(await client.append("INBOX", MSG));
    await assert.rejects(client.append("INBOX", MSG), (e: { serverResponseCode?: string }) => {
      assert.equal(e.serverResponseCode, "OVERQUOTA");
      return true;
    });
  } finally {
    await client.logout().catch(() => {});
    await t.close();
  }
});
