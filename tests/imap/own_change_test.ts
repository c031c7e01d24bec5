/**
 * A session's own STORE, EXPUNGE and FETCH-implied \Seen are applied to its view by the command
 * itself; their change events carry the session's origin (`ChangeEvent.origin`), so the next
 * command reads nothing back from the store. A change by another session, even one committed
 * in the same batch, still is read and told.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import type { Store } from "../../core/store/store.ts";

/** Counts the store reads a session makes to catch up its view (a spy on the real store). */
function countCatchUps(store: Store): { reads: number } {
  const counter = { reads: 0 };
  const listPlacements = store.listPlacements.bind(store);
  const expungedSince = store.expungedSince.bind(store);
  store.listPlacements = (...args: Parameters<Store["listPlacements"]>) => {
    if (args[2]?.changedSince !== undefined) counter.reads++;
    return listPlacements(...args);
  };
  store.expungedSince = (...args: Parameters<Store["expungedSince"]>) => {
    counter.reads++;
    return expungedSince(...args);
  };
  return counter;
}

Deno.test("imap: after its own STORE, FETCH \\Seen and EXPUNGE a session reads nothing back; another session's change is told", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, `Subject: n${i}\r\n\r\nbody ${i}\r\n`);
  const store = t.srv.context.store;
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    await b.cmd("SELECT INBOX");
    await (store as { searchIndexIdle?: () => Promise<void> }).searchIndexIdle?.();
    await a.cmd("NOOP");
    const spy = countCatchUps(store);

    assert.deepEqual(await a.cmd("STORE 1 +FLAGS (\\Flagged)"), [
      "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
      "TAG OK STORE completed",
    ]);
    const fetched = await a.cmd("FETCH 2 (BODY[TEXT])");
    assert.equal(fetched.at(-1), "TAG OK FETCH completed", fetched.join("\n"));
    assert.deepEqual(await a.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)"), ["TAG OK STORE completed"]);
    assert.deepEqual(await a.cmd("EXPUNGE"), ["* 3 EXPUNGE", "* 2 RECENT", "TAG OK EXPUNGE completed"]);
    // (NOOP always polls the store: the probe is a command that reads only what was notified.)
    assert.deepEqual(await a.cmd("UID FETCH 1 (FLAGS)"), [
      "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))",
      "TAG OK FETCH completed",
    ]);
    assert.equal(spy.reads, 0, "the session read its own changes back");

    // Another session's change is read and told.
    await b.cmd("STORE 1 +FLAGS.SILENT (\\Answered)");
    assert.deepEqual(await a.cmd("UID FETCH 2 (FLAGS)"), [
      "* 1 FETCH (UID 1 FLAGS (\\Answered \\Flagged \\Recent))",
      "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))",
      "TAG OK FETCH completed",
    ]);
    assert.ok(spy.reads > 0);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("store: a change event carries the origin only when every write of its batch had it", async () => {
  const { t, user } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, `Subject: n${i}\r\n\r\nbody ${i}\r\n`);
  const store = t.srv.context.store;
  try {
    await (store as { searchIndexIdle?: () => Promise<void> }).searchIndexIdle?.();
    const inbox = await store.getMailboxByRole(user.id, "inbox");
    const [m1, m2] = (await store.listPlacements(user.id, inbox!.id)).map((p) => p.messageId);
    const events: (symbol | undefined)[] = [];
    const unsubscribe = store.notifier.subscribe(user.id, (e) => events.push(e.origin));
    const mine = Symbol("mine");
    try {
      await store.updateKeywords(user.id, [m1!], { add: ["$flagged"] }, { origin: mine });
      assert.deepEqual(events, [mine]);
      // The SQLite store commits writes queued in one event-loop turn together (group commit): one
      // batch, one event, two writers. (PostgreSQL commits each write alone: one event each.)
      if (!("writeStats" in store)) return;
      await Promise.all([
        store.updateKeywords(user.id, [m1!], { add: ["$answered"] }, { origin: mine }),
        store.updateKeywords(user.id, [m2!], { add: ["$answered"] }),
      ]);
      await Promise.all([
        store.updateKeywords(user.id, [m2!], { add: ["$draft"] }),
        store.updateKeywords(user.id, [m1!], { add: ["$draft"] }, { origin: mine }),
      ]);
      assert.equal(events.length, 3);
      assert.deepEqual(
        events.slice(1),
        [undefined, undefined],
        "a batch with another writer's change looked like mine alone",
      );
      await store.expunge(user.id, inbox!.id, [], { origin: mine });
      await store.updateKeywords(user.id, [m2!], { add: ["$seen"] });
      assert.equal(events.at(-1), undefined);
    } finally {
      unsubscribe();
    }
  } finally {
    await t.close();
  }
});
