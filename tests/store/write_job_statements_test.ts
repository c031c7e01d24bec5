/**
 * What one IMAP-sized write job costs on SQLite (issue 14): a keyword change, an expunge, a copy
 * and a move read their account (and its MODSEQ counter) once, and answer the counter as the job
 * left it, without reading it back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StatementSync } from "node:sqlite";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import type { AddedMessage } from "../../core/store/types.ts";
import { mail } from "./store_contract.ts";

/** The SQL of the prepared statements run while `fn` runs (the real connection's, recorded). */
async function statementsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; sql: string[] }> {
  const proto = StatementSync.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map(["run", "get", "all"].map((m) => [m, proto[m]!]));
  const sql: string[] = [];
  for (const [m, original] of originals) {
    proto[m] = function (this: StatementSync, ...args: unknown[]) {
      sql.push(this.sourceSQL);
      return original.apply(this, args);
    };
  }
  try {
    return { value: await fn(), sql };
  } finally {
    for (const [m, original] of originals) proto[m] = original;
  }
}

const accountReads = (sql: string[]) => sql.filter((s) => /^\s*SELECT\b[^]*\bFROM accounts\b/i.test(s));

Deno.test("SqliteStore keyword changes, expunges, copies and moves read their account once and answer the MODSEQ they leave", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({
      address: "k@example.org",
      secrets: { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" },
    });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const archive = (await store.getMailboxByRole(acc.id, "archive"))!;
    const added: AddedMessage[] = [];
    for (let i = 0; i < 4; i++) {
      const { added: [a] } = await store.storeMessages(mail({ subject: `m${i}` }), [{
        accountId: acc.id,
        mailboxIds: [inbox.id],
      }]);
      added.push(a!);
    }
    const counter = () =>
      store.database.get<{ modseq: number }>(
        "SELECT modseq FROM accounts WHERE address = ?",
        "k@example.org",
      )!
        .modseq;
    const calls: [string, () => Promise<{ modseq: number }>][] = [
      ["flag", () => store.updateKeywords(acc.id, [added[0]!.id], { add: ["$flagged"] })],
      ["seen", () => store.updateKeywords(acc.id, [added[0]!.id, added[1]!.id], { add: ["$seen"] })],
      // Nothing changes: no MODSEQ taken, the counter as it was.
      ["unchanged", () => store.updateKeywords(acc.id, [added[0]!.id], { add: ["$seen"] })],
      ["expunge", () => store.expunge(acc.id, inbox.id, [added[2]!.uids[0]!.uid])],
      ["copy", () => store.copyMessages(acc.id, inbox.id, [added[0]!.uids[0]!.uid], archive.id)],
      ["move", () => store.moveMessages(acc.id, inbox.id, [added[1]!.uids[0]!.uid], archive.id)],
    ];
    for (const [name, call] of calls) {
      const before = counter();
      const { value, sql } = await statementsDuring(call);
      assert.equal(accountReads(sql).length, 1, `${name}: account reads ${accountReads(sql).join(" | ")}`);
      assert.equal(value.modseq, counter(), `${name}: the MODSEQ answered is the account's counter`);
      if (name === "unchanged") assert.equal(value.modseq, before);
      else assert.ok(value.modseq > before, `${name}: took a MODSEQ`);
    }
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore expunge destroys a message in that mailbox alone without reading its mailboxes again, and keeps one it has elsewhere", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({
      address: "e@example.org",
      secrets: { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" },
    });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const archive = (await store.getMailboxByRole(acc.id, "archive"))!;
    const { added: [alone] } = await store.storeMessages(mail({ subject: "alone" }), [{
      accountId: acc.id,
      mailboxIds: [inbox.id],
    }]);
    const { added: [both] } = await store.storeMessages(mail({ subject: "both" }), [{
      accountId: acc.id,
      mailboxIds: [inbox.id, archive.id],
    }]);
    const uid = (m: typeof alone) => m!.uids.find((u) => u.mailboxId === inbox.id)!.uid;
    const { value, sql } = await statementsDuring(() =>
      store.expunge(acc.id, inbox.id, [uid(alone), uid(both)])
    );
    assert.deepEqual(value.uids, [uid(alone), uid(both)]);
    // Read once, for the message in two mailboxes only.
    assert.equal(sql.filter((s) => /SELECT mailbox_id FROM placements/.test(s)).length, 1);
    assert.deepEqual((await store.getMessages(acc.id, [alone!.id])).length, 0);
    const [kept] = await store.getMessages(acc.id, [both!.id]);
    assert.deepEqual(kept?.mailboxIds, [archive.id]);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
