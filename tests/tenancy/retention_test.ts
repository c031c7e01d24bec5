/**
 * Issue 16: the retention job expunges exactly the messages older than the plan's retention (with a
 * per-mailbox override for Trash), in batches, while an IMAP session has the Inbox selected (it sees
 * EXPUNGE) and a JMAP client follows Email/changes (it sees them destroyed).
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawImap } from "../imap/_imap_client.ts";
import { startTestServer } from "../support/server.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";
import { runRetention } from "../../core/tenancy/retention.ts";
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/log/logger.ts";

const DAY = 86_400_000;

Deno.test("tenancy retention: old messages are expunged, visible to open IMAP and JMAP sessions; Trash has its own retention", async () => {
  const t = await startTestServer();
  const c = await RawImap.connect(t.port("imap"));
  try {
    const store = t.srv.context.store;
    const user = await t.addUser("u@example.org", "s3cret pass");
    await addPlan(store, { id: "p", limits: { retentionDays: 30 }, mailboxRetention: { trash: 5 } });
    await addOrganization(store, { id: "acme", plan: "p", domains: ["example.org"] });
    const now = Date.now();
    const clock: Clock = { now: () => new Date(now) };
    const inbox = (await store.getMailboxByRole(user.id, "inbox"))!.id;
    const trash = (await store.getMailboxByRole(user.id, "trash"))!.id;
    const put = async (mailbox: string, ageDays: number, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const { blobId } = await store.blobs.put(
          new TextEncoder().encode(`Subject: ${ageDays} ${i}\r\n\r\nx\r\n`),
        );
        const [a] = await store.addMessages([{
          accountId: user.id,
          mailboxIds: [mailbox],
          blobId,
          receivedAt: new Date(now - ageDays * DAY),
        }]);
        ids.push(a!.id);
      }
      return ids;
    };
    const oldInbox = await put(inbox, 31, 3);
    // Exactly at the limit is kept: only older goes.
    await put(inbox, 30, 1);
    await put(inbox, 1, 1);
    const oldTrash = await put(trash, 6, 2);
    await put(trash, 4, 1);

    await c.login("u@example.org", "s3cret pass");
    assert.ok((await c.cmd("SELECT INBOX")).includes("* 5 EXISTS"));
    const base = `http://127.0.0.1:${t.port("http")}`;
    const jmap = async (call: [string, Record<string, unknown>, string]) => {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: {
          authorization: "Basic " + btoa("u@example.org:s3cret pass"),
          "content-type": "application/json",
        },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
          methodCalls: [call],
        }),
      });
      const body = await res.json() as { methodResponses: [string, Record<string, unknown>, string][] };
      return body.methodResponses[0]![1];
    };
    const since = (await jmap(["Email/get", { accountId: user.id, ids: [] }, "0"])).state as string;

    const lines: string[] = [];
    const log: Logger = {
      debug() {},
      info: (msg, fields) => void lines.push(`${msg} ${JSON.stringify(fields)}`),
      warn() {},
      error() {},
      with() {
        return log;
      },
    };
    const r = await runRetention({ store, clock, log }, { batchSize: 2 });
    assert.deepEqual(r, { expunged: 5, mailboxes: 2 });
    assert.ok(lines.some((l) => l.startsWith("retention pass") && l.includes('"expunged":5')));

    const noop = await c.cmd("NOOP");
    // Three EXPUNGE responses (in whatever order the server reports them), and UIDs 4 and 5 left.
    assert.equal(noop.filter((l) => /^\* \d+ EXPUNGE$/.test(l)).length, 3);
    assert.deepEqual((await c.cmd("UID SEARCH ALL"))[0], "* SEARCH 4 5");

    const changes = await jmap(["Email/changes", { accountId: user.id, sinceState: since }, "0"]);
    assert.deepEqual((changes.destroyed as string[]).toSorted(), [...oldInbox, ...oldTrash].toSorted());
    assert.deepEqual(changes.created, []);
    assert.equal((await store.listPlacements(user.id, trash)).length, 1);
  } finally {
    c.close();
    await t.close();
  }
});
