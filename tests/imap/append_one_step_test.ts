/**
 * APPEND of one message is one durable store step (blob and message in one write job: one commit
 * and one fsync before the OK, `Store.storeMessages`); MULTIAPPEND (RFC 3502) stays all-or-nothing.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

interface Stats {
  writeStats?: { jobs: number };
  searchIndexIdle?: () => Promise<void>;
}

Deno.test("imap APPEND: one message is stored in one write job, and MULTIAPPEND still all or nothing", async () => {
  const { t, port } = await setupImap();
  const store = t.srv.context.store as unknown as Stats;
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await store.searchIndexIdle?.();
    const jobs = () => store.writeStats?.jobs ?? null;
    const before = jobs();
    const msg = `Subject: one step ${crypto.randomUUID()}\r\n\r\nbody\r\n`;
    await c.c.line(`a1 APPEND INBOX {${msg.length}+}`);
    await c.c.line(msg);
    const r = await c.until("a1");
    assert.match(r.at(-1)!, /^TAG OK \[APPENDUID \d+ 1\] APPEND completed$/);
    // The search indexer's job for the new message comes after; wait for it to count it too.
    await store.searchIndexIdle?.();
    // One job for the message and one for its search index (two before: the blob had its own).
    if (before !== null) assert.equal(jobs()! - before, 2);
    // A MULTIAPPEND whose second message is refused appends nothing.
    await c.c.line(`a2 APPEND INBOX {${msg.length}+}`);
    await c.c.line(`${msg} (\\Bogus) {0+}`);
    await c.c.line("");
    const multi = await c.until("a2");
    assert.match(multi.at(-1)!, /^TAG (NO|BAD) /);
    const st = await c.cmd("STATUS INBOX (MESSAGES)");
    assert.equal(st[0], "* STATUS INBOX (MESSAGES 1)");
  } finally {
    c.close();
    await t.close();
  }
});
