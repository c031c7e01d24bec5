/**
 * Issue 16 on IMAP and JMAP: the organization's plan storage refuses APPEND and COPY with
 * `NO [OVERQUOTA]` (RFC 9208 §4.3) and Email/import, Email/copy and Email/set with `overQuota`
 * (RFC 8621 §4.6), one below the limit then at it; GETQUOTAROOT/GETQUOTA report the organization's
 * root; a raised plan applies without restart.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "../imap/_imap_client.ts";
import { addOrganization, addPlan, setPlan } from "../../core/tenancy/operations.ts";
import { startTestServer } from "../support/server.ts";

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
