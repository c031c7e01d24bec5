/**
 * WITHIN (RFC 5032): the OLDER and YOUNGER search keys on the wire, measured against the server's
 * injected clock of record, with their exact boundary, NOT/UID SEARCH/SORT combinations, the
 * capability and the BAD for a zero or non-numeric interval. Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import type { Clock } from "../../core/clock.ts";
import type { RawImap } from "./_imap_client.ts";
import { withClockedMailbox } from "./_clocked_mailbox.ts";

/** The server's "now": 06-Feb-2026 12:00:00 UTC. */
const NOW = new Date("2026-02-06T12:00:00Z");
const clock: Clock = { now: () => new Date(NOW) };

/**
 * INTERNALDATEs by sequence number, and their age at NOW:
 * 1: 01-Jan-2020 (years), 2: 06-Feb 11:00 (3600 s), 3: 06-Feb 11:59:59 (1 s),
 * 4: 06-Feb 12:00:00 (0 s), 5: 07-Feb 12:00 (one day in the future).
 */
const DATES = [
  "01-Jan-2020 00:00:00 +0000",
  "06-Feb-2026 11:00:00 +0000",
  // The same instant as 11:59:59 UTC, written in another zone (zones are disregarded).
  "06-Feb-2026 13:59:59 +0200",
  "06-Feb-2026 12:00:00 +0000",
  "07-Feb-2026 12:00:00 +0000",
];

function withServer(fn: (c: RawImap) => Promise<void>): Promise<void> {
  return withClockedMailbox(clock, DATES.map((date, i) => ({ date, subject: `m${i + 1}` })), fn);
}

Deno.test("WITHIN is advertised after login", async () => {
  await withServer(async (c) => {
    const caps = (await c.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(caps.includes("WITHIN"));
  });
});

Deno.test("OLDER n matches messages at least n seconds older than the server clock, boundary included", async () => {
  await withServer(async (c) => {
    assert.deepEqual(await c.cmd("SEARCH OLDER 3600"), [
      "* SEARCH 1 2",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH OLDER 3601"), [
      "* SEARCH 1",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH OLDER 1"), [
      "* SEARCH 1 2 3",
      "TAG OK SEARCH completed",
    ]);
  });
});

Deno.test("YOUNGER n matches messages at most n seconds old, future ones included, boundary included", async () => {
  await withServer(async (c) => {
    assert.deepEqual(await c.cmd("SEARCH YOUNGER 1"), [
      "* SEARCH 3 4 5",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH YOUNGER 3599"), [
      "* SEARCH 3 4 5",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH YOUNGER 3600"), [
      "* SEARCH 2 3 4 5",
      "TAG OK SEARCH completed",
    ]);
  });
});

Deno.test("OLDER and YOUNGER combine with NOT, UID SEARCH and SORT", async () => {
  await withServer(async (c) => {
    // An interval between 1 s and 1 h: messages 2 and 3.
    assert.deepEqual(await c.cmd("UID SEARCH RETURN (COUNT MIN) OLDER 1 YOUNGER 3600"), [
      '* ESEARCH (TAG "a8") UID MIN 2 COUNT 2',
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SEARCH NOT YOUNGER 86400"), [
      "* SEARCH 1",
      "TAG OK SEARCH completed",
    ]);
    assert.deepEqual(await c.cmd("SORT (REVERSE ARRIVAL) UTF-8 YOUNGER 3600"), [
      "* SORT 5 4 3 2",
      "TAG OK SORT completed",
    ]);
  });
});

Deno.test("a zero, signed or non-numeric interval is a BAD and the session goes on", async () => {
  await withServer(async (c) => {
    for (const bad of ["OLDER 0", "YOUNGER -5", "OLDER x", "YOUNGER", "OLDER 99999999999"]) {
      const r = await c.cmd(`SEARCH ${bad}`);
      assert.equal(r.length, 1, bad);
      assert.match(r[0]!, /^TAG BAD /, bad);
    }
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  });
});
