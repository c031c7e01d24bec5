/**
 * SAVEDATE (RFC 8514) on the wire: FETCH SAVEDATE reports when each message was saved into the
 * mailbox (APPEND, COPY, MOVE), measured by the server's injected clock and independent of the
 * INTERNALDATE, and the SAVEDBEFORE / SAVEDON / SAVEDSINCE / SAVEDATESUPPORTED search keys.
 * Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import type { Clock } from "../../core/clock.ts";
import type { RawImap } from "./_imap_client.ts";
import { withClockedMailbox } from "./_clocked_mailbox.ts";

/** The server clock: starts at 06-Feb-2026 12:00:00 UTC; tests move it forward. */
class TestClock implements Clock {
  t = Date.UTC(2026, 1, 6, 12, 0, 0);
  now(): Date {
    return new Date(this.t);
  }
}

/**
 * Two messages APPENDed at 06-Feb-2026 12:00:00 with INTERNALDATEs years before, then INBOX
 * selected.
 */
async function withServer(fn: (c: RawImap, clock: TestClock) => Promise<void>): Promise<void> {
  const clock = new TestClock();
  const dates = [" 1-Jan-2020 00:00:00 +0000", "15-Mar-2021 08:30:00 +0100"];
  await withClockedMailbox(clock, dates.map((date) => ({ date, subject: "saved" })), (c) => fn(c, clock));
}

Deno.test("SAVEDATE is advertised after login", async () => {
  await withServer(async (c) => {
    const caps = (await c.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(caps.includes("SAVEDATE"));
  });
});

Deno.test("FETCH SAVEDATE is the time of the APPEND, not the INTERNALDATE given with it", async () => {
  await withServer(async (c) => {
    assert.deepEqual(await c.cmd("FETCH 1:* (INTERNALDATE SAVEDATE)"), [
      '* 1 FETCH (INTERNALDATE " 1-Jan-2020 00:00:00 +0000" SAVEDATE " 6-Feb-2026 12:00:00 +0000")',
      '* 2 FETCH (INTERNALDATE "15-Mar-2021 07:30:00 +0000" SAVEDATE " 6-Feb-2026 12:00:00 +0000")',
      "TAG OK FETCH completed",
    ]);
    // The same with an item that needs the message (the per-message rendering path).
    assert.deepEqual(await c.cmd("UID FETCH 2 (SAVEDATE RFC822.SIZE ENVELOPE)"), [
      '* 2 FETCH (UID 2 SAVEDATE " 6-Feb-2026 12:00:00 +0000" RFC822.SIZE 24 ENVELOPE ' +
      '(NIL "saved" NIL NIL NIL NIL NIL NIL NIL NIL))',
      "TAG OK FETCH completed",
    ]);
  });
});

Deno.test("COPY and MOVE give the new placement the time of the COPY or MOVE as its SAVEDATE", async () => {
  await withServer(async (c, clock) => {
    assert.match((await c.cmd("CREATE Kept")).at(-1)!, /^TAG OK/);
    clock.t = Date.UTC(2026, 1, 7, 9, 15, 0);
    assert.match((await c.cmd("COPY 1 Kept")).at(-1)!, /^TAG OK/);
    clock.t = Date.UTC(2026, 1, 8, 23, 59, 59);
    assert.match((await c.cmd("MOVE 2 Kept")).at(-1)!, /^TAG OK/);
    // The source keeps its own save date.
    assert.deepEqual(await c.cmd("FETCH 1 SAVEDATE"), [
      '* 1 FETCH (SAVEDATE " 6-Feb-2026 12:00:00 +0000")',
      "TAG OK FETCH completed",
    ]);
    assert.match((await c.cmd("SELECT Kept")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await c.cmd("FETCH 1:* (UID SAVEDATE INTERNALDATE)"), [
      '* 1 FETCH (UID 1 SAVEDATE " 7-Feb-2026 09:15:00 +0000" INTERNALDATE " 1-Jan-2020 00:00:00 +0000")',
      '* 2 FETCH (UID 2 SAVEDATE " 8-Feb-2026 23:59:59 +0000" INTERNALDATE "15-Mar-2021 07:30:00 +0000")',
      "TAG OK FETCH completed",
    ]);
  });
});

Deno.test("SAVEDBEFORE, SAVEDON and SAVEDSINCE compare the save date's day, not the internal date", async () => {
  await withServer(async (c, clock) => {
    clock.t = Date.UTC(2026, 1, 7, 9, 15, 0);
    assert.match((await c.cmd("COPY 1 INBOX")).at(-1)!, /^TAG OK/);
    assert.match((await c.cmd("NOOP")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await c.cmd("SEARCH SAVEDON 6-Feb-2026"), ["* SEARCH 1 2", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("SEARCH SAVEDSINCE 7-Feb-2026"), ["* SEARCH 3", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("SEARCH SAVEDBEFORE 7-Feb-2026"), [
      "* SEARCH 1 2",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH SAVEDBEFORE 1-Jan-2025"), ["* SEARCH", "TAG OK SEARCH completed"]);
    // The internal dates are years before: BEFORE finds all three, SAVEDBEFORE of that day none.
    assert.deepEqual(await c.cmd("SEARCH BEFORE 1-Jan-2025"), ["* SEARCH 1 2 3", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("UID SEARCH NOT SAVEDON 6-Feb-2026"), [
      "* SEARCH 3",
      "TAG OK SEARCH completed",
    ]);
  });
});

Deno.test("SAVEDATESUPPORTED matches every message of a mailbox that keeps save dates", async () => {
  await withServer(async (c) => {
    assert.deepEqual(await c.cmd("SEARCH SAVEDATESUPPORTED"), ["* SEARCH 1 2", "TAG OK SEARCH completed"]);
    assert.deepEqual(await c.cmd("SEARCH NOT SAVEDATESUPPORTED"), ["* SEARCH", "TAG OK SEARCH completed"]);
  });
});

Deno.test("a SAVED* key without a valid date is a BAD and the session goes on", async () => {
  await withServer(async (c) => {
    const r = await c.cmd("SEARCH SAVEDSINCE 31-Foo-2026");
    assert.equal(r.length, 1);
    assert.match(r[0]!, /^TAG BAD /);
    assert.deepEqual(await c.cmd("SEARCH SAVEDSINCE 6-Feb-2026"), [
      "* SEARCH 1 2",
      "TAG OK SEARCH completed",
    ]);
  });
});
