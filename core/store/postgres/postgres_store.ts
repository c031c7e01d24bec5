/**
 * `PostgresStore`: the `Store` on PostgreSQL (npm `postgres` driver) plus a blob store for message
 * bytes (the filesystem one by default; any `BlobStore`, e.g. an S3-compatible one, can be passed).
 *
 * Concurrency: every write is one transaction. A write that touches accounts first locks their
 * rows (`SELECT … FOR UPDATE`, in id order), so within an account MODSEQs and UIDs are taken in
 * commit order even with several Tern processes on one database: UIDs strictly ascend and MODSEQs
 * never go back (RFC 9051 §2.3.1.1, RFC 7162 §3.1).
 *
 * Durability: sessions run with `synchronous_commit = on` (connection.ts): a write resolves after
 * its COMMIT is flushed. Blobs are written (and fsynced by the blob store) before the row that
 * references them is committed.
 *
 * Change notifications: after COMMIT the store publishes its events on its own notifier, and the
 * same events go to other processes with NOTIFY (sent inside the transaction, so only committed
 * changes are announced); each store LISTENs and republishes the events of other processes.
 *
 * @module
 */
import { type Clock, systemClock } from "../../clock.ts";
import { type ChangeEvent, type ChangeNotifier, MemoryNotifier } from "../notifier.ts";
import type { CopyResult, MessageQuery, RecordStores, Store, UpdatedKeywords } from "../store.ts";
import {
  type Account,
  type AccountId,
  type AccountSecrets,
  type AddedMessage,
  type Alias,
  type BlobId,
  CannotCalculateChangesError,
  type Changes,
  type ChangeType,
  type Domain,
  type KeywordChange,
  type Mailbox,
  type MailboxCounts,
  type MailboxId,
  type MailboxPatch,
  type MailboxRole,
  type Message,
  type MessageId,
  type MessageSummary,
  type NewMailbox,
  type NewMessage,
  type Placement,
  StoreError,
  type ThreadId,
} from "../types.ts";
import type { BlobStore } from "../blob_store.ts";
import { checkNewMessage } from "../new_message.ts";
import { FsBlobStore } from "../fs_blob_store.ts";
import { type ExpungeHold, ExpungeHolds } from "../expunge_holds.ts";
import { formatId, parseId } from "../ids.ts";
import { applyKeywordChange, packKeywords, SEEN, unpackKeywords } from "../keywords.ts";
import {
  addressSortKey,
  baseSubject,
  decodeSummary,
  encodeSummary,
  indexMessage,
  type MessageIndex,
  searchRow,
} from "../message_index.ts";
import { decodeEncodedWords } from "../../mime/encoded_words.ts";
import { connect, type Queryable, type Sql, type Tx } from "./connection.ts";
import { migrate } from "./migrations.ts";
import { STORE_COMPONENT, STORE_MIGRATIONS } from "./schema.ts";
import { PgMutation } from "./mutation.ts";
import * as dir from "./directory.ts";
import type { AccountRow } from "./directory.ts";
import {
  checkRole,
  checkSiblingName,
  insertMailbox,
  type MailboxRow,
  mailboxRow,
  mailboxRowOrNull,
  toMailbox,
  validMailboxName,
  validSortOrder,
} from "./mailboxes.ts";
import { filterSql, Params, sortSql } from "./query.ts";
import { insertMessageOutbox } from "./records/webhooks.ts";
import { openPgRecordStores, type PgRecordStores, RECORD_STORE_NAMES } from "./records/mod.ts";

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Where blob files go when no `blobStore` is given (`<blobDir>/…`). */
  blobDir?: string;
  /** The blob store (default: a filesystem one under `blobDir`). */
  blobStore?: BlobStore;
  /** Where change events are published (default: a new `MemoryNotifier`). */
  notifier?: ChangeNotifier;
  /** Clock for receivedAt defaults, creation times and UIDVALIDITY (default: system clock). */
  clock?: Clock;
  /** Connection pool size (default 10). */
  poolSize?: number;
  /** Blob files without a row younger than this are kept by `collectGarbage` (default one hour). */
  blobGraceMs?: number;
  /** Called when a post-commit action fails (e.g. unlinking a blob file); default: ignored. */
  onError?: (err: unknown) => void;
}

/** A row of `messages`. */
interface MessageRow {
  id: number;
  account_id: number;
  thread_id: number;
  blob_id: number;
  size: number;
  received_at: number;
  flags: number;
  keywords: string;
  modseq: number;
  sent_at: number | null;
  has_attachment: boolean;
  subject_key: string;
  from_key: string;
  to_key: string;
}

interface Prepared {
  msg: NewMessage;
  index: MessageIndex | null;
  raw: Uint8Array | null;
  size: number;
}

/** NOTIFY channel of change events. */
const CHANNEL = "tern_changes";
/** NOTIFY payloads are limited to 8000 bytes. */
const MAX_PAYLOAD = 7900;

/** The record stores of `PostgresStore` are its properties, as `RecordStores` declares them. */
export interface PostgresStore extends RecordStores {}

/** The PostgreSQL implementation of `Store`. */
export class PostgresStore implements Store {
  readonly blobs: BlobStore;
  readonly notifier: ChangeNotifier;
  /** The connection pool: for this backend's modules and its tests only. */
  readonly sql: Sql;
  readonly #clock: Clock;
  readonly #origin = crypto.randomUUID();
  readonly #holds: ExpungeHolds;
  readonly #blobGraceMs: number;
  readonly #onError: (err: unknown) => void;
  #unlisten: (() => Promise<void>) | null = null;
  #commitObserver: ((seconds: number) => void) | null = null;
  #closed = false;
  readonly #pending = new Set<Promise<unknown>>();
  /** Releases of blobs whose last hold let go, still running (`collectGarbage` waits for them). */
  readonly #unpins = new Set<Promise<unknown>>();

  private constructor(sql: Sql, opts: PostgresStoreOptions, blobs: BlobStore, records: PgRecordStores) {
    this.sql = sql;
    this.blobs = blobs;
    this.notifier = opts.notifier ?? new MemoryNotifier();
    this.#clock = opts.clock ?? systemClock;
    this.#blobGraceMs = opts.blobGraceMs ?? 3_600_000;
    this.#onError = opts.onError ?? (() => {});
    this.#holds = new ExpungeHolds((hash) => this.#unpinned(hash));
    // The record stores become this store's properties (declared by the interface merged below).
    for (const name of RECORD_STORE_NAMES) {
      Object.defineProperty(this, name, { value: records[name], enumerable: true });
    }
  }

  /** Connects, applies migrations and starts listening for other processes' change events. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    if (!opts.blobStore && !opts.blobDir) throw new Error("PostgresStore needs blobDir or blobStore");
    const sql = connect({ url: opts.url, max: opts.poolSize });
    try {
      await migrate(sql, STORE_COMPONENT, STORE_MIGRATIONS);
      const blobs = opts.blobStore ?? new FsBlobStore(opts.blobDir!);
      const clock = opts.clock ?? systemClock;
      const records = await openPgRecordStores(sql, {
        now: () => clock.now().getTime(),
        blobs,
      });
      const store = new PostgresStore(sql, opts, blobs, records);
      records.bind(store);
      const listener = await sql.listen(CHANNEL, (payload) => store.#received(payload));
      store.#unlisten = () => listener.unlisten();
      return store;
    } catch (err) {
      await sql.end({ timeout: 5 });
      throw err;
    }
  }

  // ---------------------------------------------------------------- plumbing

  #check(): void {
    if (this.#closed) throw new Error("Store is closed");
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  /** Tracks an operation so that `close` waits for it. */
  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    const done = () => this.#pending.delete(p);
    p.then(done, done);
    return p;
  }

  /** A read on the pool. */
  #read<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    this.#check();
    return this.#track(fn(this.sql));
  }

  /**
   * A write transaction. `accounts` (public ids) are locked first, in row order, so that writers of
   * one account are serialised across processes. After COMMIT the events are published and the
   * post-commit work runs.
   */
  #write<T>(accounts: AccountId[], fn: (mut: PgMutation) => Promise<T>): Promise<T> {
    this.#check();
    const rows = [
      ...new Set(accounts.map((a) => parseId("account", a)).filter((r): r is number => r !== null)),
    ]
      .sort((a, b) => a - b);
    const run = async () => {
      const started = performance.now();
      let mut: PgMutation | null = null;
      const result = await this.sql.begin(async (tx) => {
        if (rows.length) {
          await tx`SELECT id FROM accounts WHERE id = ANY(${rows}::bigint[]) ORDER BY id FOR UPDATE`;
        }
        const m = new PgMutation(tx as Tx);
        const r = await fn(m);
        await m.finish();
        if (m.events.length) await tx`SELECT pg_notify(${CHANNEL}, ${this.#payload(m.events)})`;
        mut = m;
        return r;
      }) as T;
      this.#commitObserver?.((performance.now() - started) / 1000);
      const m = mut as PgMutation | null;
      if (m) {
        // One write per transaction: its origin (a symbol of this process) marks every event.
        for (const e of m.events) this.notifier.publish(m.origin === null ? e : { ...e, origin: m.origin });
        for (const job of m.afterCommit) await job().catch(this.#onError);
      }
      return result;
    };
    return this.#track(run());
  }

  #payload(events: ChangeEvent[]): string {
    let text = JSON.stringify({ o: this.#origin, e: events });
    if (text.length > MAX_PAYLOAD) {
      // Too many mailboxes to name: listeners refresh the whole account.
      text = JSON.stringify({ o: this.#origin, e: events.map((e) => ({ ...e, mailboxIds: [] })) });
    }
    return text.length > MAX_PAYLOAD ? JSON.stringify({ o: this.#origin, e: [] }) : text;
  }

  /** Another process's events (LISTEN): republished on this store's notifier. */
  #received(payload: string): void {
    try {
      const msg = JSON.parse(payload) as { o: string; e: ChangeEvent[] };
      if (msg.o === this.#origin || !Array.isArray(msg.e)) return;
      for (const e of msg.e) {
        if (typeof e.accountId !== "string" || typeof e.modseq !== "number") continue;
        this.notifier.publish({
          accountId: e.accountId,
          modseq: e.modseq,
          types: Array.isArray(e.types) ? e.types : [],
          mailboxIds: Array.isArray(e.mailboxIds) ? e.mailboxIds : [],
        });
      }
    } catch (err) {
      this.#onError(err);
    }
  }

  /** Reports each mail write transaction's time, start to durable COMMIT, in seconds. */
  observeCommits(observer: (seconds: number) => void): void {
    this.#commitObserver = observer;
  }

  // ---------------------------------------------------------------- directory

  /** Adds a local domain. */
  addDomain(name: string): Promise<Domain> {
    return this.#write([], (mut) => dir.addDomain(mut.tx, name, this.#now()));
  }

  /** Every local domain, by name. */
  listDomains(): Promise<Domain[]> {
    return this.#read(async (db) => {
      const rows = await db<{ name: string; created: number }[]>`
        SELECT name, created FROM domains ORDER BY name COLLATE "C"`;
      return rows.map((r) => ({ name: r.name, created: new Date(r.created) }));
    });
  }

  /** Deletes a domain and its aliases; "hasChildren" while it has accounts. */
  deleteDomain(name: string): Promise<void> {
    return this.#write([], (mut) => dir.deleteDomain(mut.tx, name));
  }

  /** Whether a domain is local. */
  isLocalDomain(name: string): Promise<boolean> {
    return this.#read(async (db) => {
      let domain: string;
      try {
        domain = dir.normalizeDomain(name);
      } catch {
        return false;
      }
      return (await db`SELECT 1 FROM domains WHERE name = ${domain}`).length > 0;
    });
  }

  /** Creates an account with its secrets and default mailboxes. */
  createAccount(
    input: { address: string; displayName?: string; quotaBytes?: number; secrets: AccountSecrets },
  ): Promise<Account> {
    return this.#write([], async (mut) => {
      const row = await dir.insertAccount(mut.tx, input, this.#now());
      for (const mb of dir.DEFAULT_MAILBOXES) {
        await insertMailbox(mut, row.id, {
          name: mb.name,
          parentId: null,
          role: mb.role,
          sortOrder: mb.sortOrder,
        }, this.#now());
      }
      return dir.toAccount(row);
    });
  }

  /** An account by id. */
  getAccount(id: AccountId): Promise<Account | null> {
    return this.#read(async (db) => {
      const row = await dir.accountRowOrNull(db, id);
      return row ? dir.toAccount(row) : null;
    });
  }

  /** An account by address (case-insensitive). */
  getAccountByAddress(address: string): Promise<Account | null> {
    return this.#read(async (db) => {
      let key: string;
      try {
        key = dir.parseAddress(address, false).key;
      } catch {
        return null;
      }
      const [row] = await db<AccountRow[]>`SELECT * FROM accounts WHERE address_key = ${key}`;
      return row ? dir.toAccount(row) : null;
    });
  }

  /** Every account, by address. */
  listAccounts(): Promise<Account[]> {
    return this.#read(async (db) =>
      (await db<AccountRow[]>`SELECT * FROM accounts ORDER BY address_key COLLATE "C"`).map(dir.toAccount)
    );
  }

  /** Changes display name, quota or the disabled flag. */
  updateAccount(
    id: AccountId,
    patch: { displayName?: string; quotaBytes?: number; disabled?: boolean },
  ): Promise<Account> {
    return this.#write([id], async (mut) => {
      const quota = patch.quotaBytes === undefined ? undefined : dir.validQuota(patch.quotaBytes);
      const row = await dir.accountRow(mut.tx, id);
      const [next] = await mut.tx<AccountRow[]>`UPDATE accounts SET
          display_name = ${patch.displayName ?? row.display_name},
          quota_bytes = ${quota ?? row.quota_bytes},
          disabled = ${patch.disabled ?? row.disabled}
        WHERE id = ${row.id} RETURNING *`;
      return dir.toAccount(next!);
    });
  }

  /** Deletes an account with its mailboxes, messages and change log; blob references are released. */
  deleteAccount(id: AccountId): Promise<void> {
    return this.#write([id], async (mut) => {
      const tx = mut.tx;
      const row = await dir.accountRow(tx, id);
      const blobs = await tx<{ blob_id: number; n: number }[]>`
        SELECT blob_id, count(*)::bigint AS n FROM messages WHERE account_id = ${row.id} GROUP BY blob_id`;
      await tx`DELETE FROM placements WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = ${row.id})`;
      await tx`DELETE FROM messages WHERE account_id = ${row.id}`;
      for (const b of blobs) await this.#releaseBlobRow(mut, b.blob_id, b.n);
      await tx`DELETE FROM thread_refs WHERE account_id = ${row.id}`;
      await tx`DELETE FROM threads WHERE account_id = ${row.id}`;
      await tx`DELETE FROM expunged WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = ${row.id})`;
      await tx`UPDATE mailboxes SET parent_id = NULL WHERE account_id = ${row.id}`;
      await tx`DELETE FROM mailboxes WHERE account_id = ${row.id}`;
      await tx`DELETE FROM changes WHERE account_id = ${row.id}`;
      await tx`DELETE FROM account_secrets WHERE account_id = ${row.id}`;
      await dir.dropAliasTarget(tx, row.address);
      await tx`DELETE FROM accounts WHERE id = ${row.id}`;
    });
  }

  /** The account's secrets, or null. */
  getSecrets(id: AccountId): Promise<AccountSecrets | null> {
    return this.#read((db) => dir.readSecrets(db, id));
  }

  /** Replaces the account's secrets. */
  setSecrets(id: AccountId, secrets: AccountSecrets): Promise<void> {
    return this.#write([id], async (mut) => {
      const row = await dir.accountRow(mut.tx, id);
      await dir.writeSecrets(mut.tx, row.id, secrets);
    });
  }

  /** Adds an alias (`*@domain` is the catch-all). */
  addAlias(address: string, targets: string[]): Promise<Alias> {
    return this.#write([], (mut) => dir.addAlias(mut.tx, address, targets, this.#now()));
  }

  /** Every alias, by address. */
  listAliases(): Promise<Alias[]> {
    return this.#read((db) => dir.listAliases(db));
  }

  /** Deletes an alias. */
  deleteAlias(address: string): Promise<void> {
    return this.#write([], async (mut) => {
      const addr = dir.parseAddress(address, true);
      const rows = await mut.tx`DELETE FROM aliases WHERE address_key = ${addr.key} RETURNING address_key`;
      if (rows.length === 0) throw new StoreError("notFound", `No such alias: "${addr.address}"`);
    });
  }

  /** The account's address and the aliases that target it. */
  sendableAddresses(id: AccountId): Promise<string[]> {
    return this.#read((db) => dir.sendableAddresses(db, id));
  }

  /** Exact account, plus tag, alias, catch-all (core/store/addresses.ts). */
  resolveRecipient(address: string): Promise<Account[] | null> {
    return this.#read((db) => dir.resolveRecipient(db, address));
  }

  // ---------------------------------------------------------------- mailboxes

  /** The account's mailboxes. */
  listMailboxes(accountId: AccountId): Promise<Mailbox[]> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      return (await db<MailboxRow[]>`SELECT * FROM mailboxes WHERE account_id = ${acc.id} ORDER BY id`)
        .map(toMailbox);
    });
  }

  /** One mailbox, or null. */
  getMailbox(accountId: AccountId, id: MailboxId): Promise<Mailbox | null> {
    return this.#read(async (db) => {
      const row = await mailboxRowOrNull(db, accountId, id);
      return row ? toMailbox(row) : null;
    });
  }

  /** The mailbox with a role, or null. */
  getMailboxByRole(accountId: AccountId, role: MailboxRole): Promise<Mailbox | null> {
    return this.#read(async (db) => {
      const acc = parseId("account", accountId);
      if (acc === null) return null;
      const [row] = await db<
        MailboxRow[]
      >`SELECT * FROM mailboxes WHERE account_id = ${acc} AND role = ${role}`;
      return row ? toMailbox(row) : null;
    });
  }

  /** Counters of a mailbox, computed from its placements. */
  mailboxCounts(accountId: AccountId, id: MailboxId): Promise<MailboxCounts> {
    return this.#read(async (db) => {
      const mb = await mailboxRow(db, accountId, id);
      const [c] = await db<MailboxCounts[]>`
        SELECT count(*)::bigint AS total,
          count(*) FILTER (WHERE m.flags & ${SEEN} = 0)::bigint AS unread,
          count(*) FILTER (WHERE m.flags & 16 <> 0)::bigint AS deleted,
          coalesce(sum(m.size), 0)::bigint AS size,
          count(DISTINCT m.thread_id)::bigint AS "totalThreads",
          count(DISTINCT m.thread_id) FILTER (WHERE m.flags & ${SEEN} = 0)::bigint AS "unreadThreads"
        FROM placements p JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ${mb.id}`;
      return {
        total: c!.total,
        unread: c!.unread,
        deleted: c!.deleted,
        size: c!.size,
        totalThreads: c!.totalThreads,
        unreadThreads: c!.unreadThreads,
      };
    });
  }

  /** IMAP \Recent claims (see `MailboxStore.claimRecent`). */
  async claimRecent(accountId: AccountId, id: MailboxId, upTo?: number): Promise<number> {
    const current = await this.#read(async (db) => (await mailboxRow(db, accountId, id)).recent_uid);
    if (upTo === undefined || upTo <= current) return current;
    return this.#write([accountId], async (mut) => {
      const mb = await mailboxRow(mut.tx, accountId, id);
      if (upTo > mb.recent_uid) await mut.tx`UPDATE mailboxes SET recent_uid = ${upTo} WHERE id = ${mb.id}`;
      return mb.recent_uid;
    });
  }

  /** Creates a mailbox under `parentId` (or at the top). */
  createMailbox(accountId: AccountId, input: NewMailbox): Promise<Mailbox> {
    return this.#write([accountId], async (mut) => {
      const acc = await dir.accountRow(mut.tx, accountId);
      const parent = input.parentId ? (await mailboxRow(mut.tx, accountId, input.parentId)).id : null;
      const row = await insertMailbox(mut, acc.id, {
        name: input.name,
        parentId: parent,
        role: input.role ?? null,
        sortOrder: input.sortOrder ?? 0,
        subscribed: input.subscribed,
      }, this.#now());
      return toMailbox(row);
    });
  }

  /** Renames, moves, re-roles or (un)subscribes a mailbox. UIDVALIDITY never changes. */
  updateMailbox(accountId: AccountId, id: MailboxId, patch: MailboxPatch): Promise<Mailbox> {
    return this.#write([accountId], async (mut) => {
      const tx = mut.tx;
      const mb = await mailboxRow(tx, accountId, id);
      const name = patch.name !== undefined ? validMailboxName(patch.name) : mb.name;
      let parent = mb.parent_id;
      if (patch.parentId !== undefined) {
        parent = patch.parentId === null ? null : (await mailboxRow(tx, accountId, patch.parentId)).id;
        // No cycles: the new parent must not be the mailbox or one of its descendants.
        for (let p = parent; p !== null;) {
          if (p === mb.id) throw new StoreError("invalid", "A mailbox cannot be moved under itself");
          const [r] = await tx<
            { parent_id: number | null }[]
          >`SELECT parent_id FROM mailboxes WHERE id = ${p}`;
          p = r?.parent_id ?? null;
        }
      }
      if (name !== mb.name || parent !== mb.parent_id) {
        await checkSiblingName(tx, mb.account_id, parent, name, mb.id);
      }
      let role = mb.role;
      if (patch.role !== undefined) {
        role = patch.role;
        if (role !== null) await checkRole(tx, mb.account_id, role, mb.id);
      }
      const subscribed = patch.subscribed === undefined ? mb.subscribed : patch.subscribed;
      const sortOrder = patch.sortOrder === undefined ? mb.sort_order : validSortOrder(patch.sortOrder);
      await tx`UPDATE mailboxes SET name = ${name}, parent_id = ${parent}, role = ${role},
        subscribed = ${subscribed}, sort_order = ${sortOrder} WHERE id = ${mb.id}`;
      const modseq = await mut.log(mb.account_id, "Mailbox", id, "u");
      const [row] = await tx<MailboxRow[]>`UPDATE mailboxes SET highest_modseq = ${modseq} WHERE id = ${mb.id}
        RETURNING *`;
      mut.notifyMailbox(mb.account_id, id);
      return toMailbox(row!);
    });
  }

  /** Deletes a mailbox (see `MailboxStore.deleteMailbox`). The Inbox cannot be deleted. */
  deleteMailbox(accountId: AccountId, id: MailboxId, opts: { removeMessages: boolean }): Promise<void> {
    return this.#write([accountId], async (mut) => {
      const tx = mut.tx;
      const mb = await mailboxRow(tx, accountId, id);
      if (mb.role === "inbox") throw new StoreError("forbidden", "The Inbox cannot be deleted");
      const [child] = await tx`SELECT 1 FROM mailboxes WHERE parent_id = ${mb.id} LIMIT 1`;
      if (child) throw new StoreError("hasChildren", `Mailbox has children: "${mb.name}"`);
      const msgs = await tx<MessageRow[]>`SELECT m.* FROM placements p JOIN messages m ON m.id = p.message_id
        WHERE p.mailbox_id = ${mb.id} ORDER BY p.uid`;
      if (msgs.length > 0 && !opts.removeMessages) {
        throw new StoreError("conflict", `Mailbox is not empty: "${mb.name}"`);
      }
      for (const msg of msgs) await this.#removePlacement(mut, msg, mb.id);
      await tx`DELETE FROM expunged WHERE mailbox_id = ${mb.id}`;
      await tx`DELETE FROM mailboxes WHERE id = ${mb.id}`;
      await mut.log(mb.account_id, "Mailbox", id, "d");
      mut.notifyMailbox(mb.account_id, id);
    });
  }

  // ---------------------------------------------------------------- messages: adding

  /** Adds messages: indexes new blobs, threads, places and logs them (all-or-nothing per call). */
  addMessages(messages: NewMessage[]): Promise<AddedMessage[]> {
    return this.#addMessages(messages, null);
  }

  async #addMessages(
    messages: NewMessage[],
    raw: { blobId: BlobId; bytes: Uint8Array } | null,
  ): Promise<AddedMessage[]> {
    this.#check();
    if (messages.length === 0) return [];
    const prepared: Prepared[] = [];
    const indexed = new Map<string, { index: MessageIndex; raw: Uint8Array }>();
    for (const msg of messages) {
      checkNewMessage(msg);
      const [known] = await this.sql<{ size: number }[]>`
        SELECT size FROM blobs WHERE hash = ${msg.blobId} AND summary IS NOT NULL`;
      if (known) {
        prepared.push({ msg, index: null, raw: null, size: known.size });
        continue;
      }
      let entry = indexed.get(msg.blobId);
      if (!entry) {
        const bytes = raw?.blobId === msg.blobId ? raw.bytes : await this.blobs.get(msg.blobId);
        if (!bytes) throw new StoreError("notFound", `No such blob: "${msg.blobId}"`);
        entry = { index: indexMessage(bytes), raw: bytes };
        indexed.set(msg.blobId, entry);
      }
      prepared.push({ msg, index: entry.index, raw: entry.raw, size: entry.raw.length });
    }
    const receivedDefault = this.#now();
    return await this.#write(messages.map((m) => m.accountId), async (mut) => {
      const out: AddedMessage[] = [];
      for (const p of prepared) out.push(await this.#addOne(mut, p, receivedDefault));
      return out;
    });
  }

  /** Stores `raw` as a blob (fsynced by the blob store) and adds messages of it. */
  async storeMessages(
    raw: Uint8Array,
    messages: Omit<NewMessage, "blobId">[],
  ): Promise<{ blobId: BlobId; size: number; added: AddedMessage[] }> {
    this.#check();
    const bytes = raw.slice();
    const blob = await this.blobs.put(bytes);
    const added = await this.#addMessages(messages.map((m) => ({ ...m, blobId: blob.blobId })), {
      blobId: blob.blobId,
      bytes,
    });
    return { ...blob, added };
  }

  async #addOne(mut: PgMutation, p: Prepared, receivedDefault: number): Promise<AddedMessage> {
    const tx = mut.tx;
    const acc = await dir.accountRow(tx, p.msg.accountId);
    const mailboxes: MailboxRow[] = [];
    for (const mid of new Set(p.msg.mailboxIds)) mailboxes.push(await mailboxRow(tx, p.msg.accountId, mid));
    const blob = await this.#ensureBlob(tx, p);
    if (acc.quota_bytes > 0 && acc.used_bytes + blob.size > acc.quota_bytes) {
      throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
    }
    const keywords = packKeywords(p.msg.keywords ?? []);
    const receivedAt = p.msg.receivedAt ? p.msg.receivedAt.getTime() : receivedDefault;
    if (!Number.isFinite(receivedAt)) throw new StoreError("invalid", "Invalid receivedAt");
    const summary = blob.summary;
    const subjectKey = baseSubject(summary.subject);
    const thread = await this.#assignThread(tx, acc.id, summary, subjectKey);
    const sentAt = summary.sentAt ? summary.sentAt.getTime() : NaN;
    const { row: messageRow, id, modseq } = await this.#insertMessage(mut, {
      account_id: acc.id,
      thread_id: thread.id,
      blob_id: blob.id,
      size: blob.size,
      received_at: receivedAt,
      flags: keywords.flags,
      keywords: keywords.custom,
      sent_at: Number.isFinite(sentAt) ? sentAt : null,
      has_attachment: summary.hasAttachment,
      subject_key: subjectKey,
      from_key: addressSortKey(summary.from),
      to_key: addressSortKey(summary.to),
    });
    await tx`UPDATE accounts SET used_bytes = used_bytes + ${blob.size} WHERE id = ${acc.id}`;
    const uids: AddedMessage["uids"] = [];
    for (const mb of mailboxes) {
      const uid = await this.#insertPlacement(tx, mb.id, messageRow, modseq);
      uids.push({ mailboxId: formatId("mailbox", mb.id), uid, uidValidity: mb.uid_validity });
      mut.mailbox(acc.id, mb.id, modseq, true);
    }
    mut.thread(acc.id, thread.id, thread.created);
    // Webhook outbox rows commit with the message (core/webhooks: at-least-once delivery).
    if (p.msg.outbox?.length) await insertMessageOutbox(tx, p.msg.outbox, p.msg.accountId, id, uids);
    return { id, threadId: formatId("thread", thread.id), accountId: p.msg.accountId, uids, modseq };
  }

  /** Finds or creates the blob row (summary and search text); the file must exist. */
  async #ensureBlob(
    tx: Tx,
    p: Prepared,
  ): Promise<{ id: number; size: number; summary: MessageSummary }> {
    const hash = p.msg.blobId;
    // Serialises with the removal of this blob's file after its last reference went (#dropFile).
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${hash}, 0))`;
    const [row] = await tx<{ id: number; size: number; summary: string | null }[]>`
      SELECT id, size, summary FROM blobs WHERE hash = ${hash}`;
    if (row && row.summary !== null) {
      return { id: row.id, size: row.size, summary: decodeSummary(row.summary) };
    }
    let index = p.index;
    let raw = p.raw;
    if (!index || !raw) {
      raw = await this.blobs.get(hash);
      if (!raw) throw new StoreError("notFound", `No such blob: "${hash}"`);
      index = indexMessage(raw);
    }
    if (!(await this.blobs.has(hash))) throw new StoreError("notFound", `No such blob: "${hash}"`);
    const summary = encodeSummary(index.summary);
    let id: number;
    let size = raw.length;
    if (row) {
      await tx`UPDATE blobs SET summary = ${summary} WHERE id = ${row.id}`;
      id = row.id;
      size = row.size;
    } else {
      const [r] = await tx<{ id: number }[]>`INSERT INTO blobs (hash, size, refcount, summary)
        VALUES (${hash}, ${size}, 0, ${summary}) RETURNING id`;
      id = r!.id;
    }
    const text = searchRow(raw, index.summary);
    const lower = (s: string) => s.toLowerCase().replaceAll("\u0000", "");
    await tx`INSERT INTO message_text (blob_id, subject, addr_from, addr_to, addr_cc, addr_bcc, body, headers,
        headers_decoded)
      VALUES (${id}, ${lower(text.subject)}, ${lower(text.from)}, ${lower(text.to)}, ${lower(text.cc)},
        ${lower(text.bcc)}, ${lower(text.body)}, ${lower(index.headers)},
        ${lower(safeDecode(index.headers))})
      ON CONFLICT (blob_id) DO NOTHING`;
    return { id, size, summary: index.summary };
  }

  /**
   * Threads by Message-ID / In-Reply-To / References (RFC 8621 §3): the message joins the thread
   * of a message it references or that references it; with several candidates, one whose base
   * subject matches wins, else the nearest reference. Thread ids never change once assigned.
   */
  async #assignThread(
    tx: Tx,
    accountRow: number,
    summary: MessageSummary,
    subjectKey: string,
  ): Promise<{ id: number; created: boolean }> {
    const refs: string[] = [];
    for (const v of [...summary.messageId, ...summary.inReplyTo, ...[...summary.references].reverse()]) {
      if (typeof v === "string" && v.length > 0 && v.length <= 998 && !refs.includes(v)) refs.push(v);
      if (refs.length >= 64) break;
    }
    // One lookup for every reference, candidates kept in the order of `refs` (nearest first).
    const found = refs.length === 0 ? [] : await tx<{ message_id_header: string; thread_id: number }[]>`
      SELECT message_id_header, thread_id FROM thread_refs
      WHERE account_id = ${accountRow} AND message_id_header = ANY(${refs}::text[])`;
    const byRef = new Map(found.map((r) => [r.message_id_header, r.thread_id]));
    const candidates: number[] = [];
    for (const ref of refs) {
      const t = byRef.get(ref);
      if (t !== undefined && !candidates.includes(t)) candidates.push(t);
    }
    let id: number;
    let created = false;
    if (candidates.length === 0) {
      const [t] = await tx<{ id: number }[]>`INSERT INTO threads (account_id, subject_key)
        VALUES (${accountRow}, ${subjectKey}) RETURNING id`;
      id = t!.id;
      created = true;
    } else if (candidates.length === 1) {
      id = candidates[0]!;
    } else {
      const keys = await tx<{ id: number; subject_key: string }[]>`
        SELECT id, subject_key FROM threads WHERE id = ANY(${candidates}::bigint[])`;
      id = candidates.find((c) => keys.find((k) => k.id === c)?.subject_key === subjectKey) ?? candidates[0]!;
    }
    if (refs.length) {
      await tx`INSERT INTO thread_refs (account_id, message_id_header, thread_id)
        SELECT ${accountRow}, h, ${id} FROM unnest(${refs}::text[]) AS h ON CONFLICT DO NOTHING`;
    }
    return { id, created };
  }

  /** Inserts a message row over a blob it takes one more reference to, and logs its creation. */
  async #insertMessage(
    mut: PgMutation,
    m: Omit<MessageRow, "id" | "modseq">,
  ): Promise<{ row: number; id: MessageId; modseq: number }> {
    const modseq = await mut.next(m.account_id);
    const [r] = await mut.tx<{ id: number }[]>`
      INSERT INTO messages (account_id, thread_id, blob_id, size, received_at, flags, keywords, modseq,
        sent_at, has_attachment, subject_key, from_key, to_key)
      VALUES (${m.account_id}, ${m.thread_id}, ${m.blob_id}, ${m.size}, ${m.received_at}, ${m.flags},
        ${m.keywords}, ${modseq}, ${m.sent_at}, ${m.has_attachment}, ${m.subject_key}, ${m.from_key},
        ${m.to_key})
      RETURNING id`;
    const id = formatId("message", r!.id);
    await mut.record(m.account_id, modseq, "Email", id, "c");
    await mut.tx`UPDATE blobs SET refcount = refcount + 1 WHERE id = ${m.blob_id}`;
    return { row: r!.id, id, modseq };
  }

  /** Places a message in a mailbox with the mailbox's next UID (RFC 9051 §2.3.1.1: never reused). */
  async #insertPlacement(tx: Tx, mailboxRow: number, messageRow: number, modseq: number): Promise<number> {
    const [r] = await tx<{ uid: number }[]>`
      UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ${mailboxRow} RETURNING uid_next - 1 AS uid`;
    // RFC 8514 §3: the save date is when the placement is made (APPEND, COPY, MOVE, delivery).
    await tx`INSERT INTO placements (mailbox_id, uid, message_id, modseq, saved_at)
      VALUES (${mailboxRow}, ${r!.uid}, ${messageRow}, ${modseq}, ${this.#now()})`;
    return r!.uid;
  }

  // ---------------------------------------------------------------- blob references

  /**
   * Drops `n` references to a blob row; the last one deletes the row now and the file after
   * COMMIT, unless a session's expunge hold pins the blob.
   */
  async #releaseBlobRow(mut: PgMutation, blobRow: number, n = 1): Promise<void> {
    const [r] = await mut.tx<{ refcount: number; hash: string }[]>`
      UPDATE blobs SET refcount = refcount - ${n} WHERE id = ${blobRow} RETURNING refcount, hash`;
    if (!r || r.refcount > 0 || this.#holds.isPinned(r.hash)) return;
    await mut.tx`DELETE FROM blobs WHERE id = ${blobRow}`;
    const hash = r.hash;
    mut.afterCommit.push(async () => {
      await this.#dropFile(hash);
    });
  }

  /** Removes a blob's bytes if no row references them (under the blob's advisory lock). */
  async #dropFile(hash: BlobId): Promise<boolean> {
    return await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${hash}, 0))`;
      const [row] = await tx`SELECT 1 FROM blobs WHERE hash = ${hash}`;
      if (row || this.#holds.isPinned(hash)) return false;
      await this.blobs.delete(hash);
      return true;
    }) as boolean;
  }

  /** The last hold let go of a blob: it is released now if no message references it again. */
  #unpinned(hash: BlobId): void {
    if (this.#closed) return;
    const job = this.#write([], async (mut) => {
      const [row] = await mut.tx<
        { id: number }[]
      >`SELECT id FROM blobs WHERE hash = ${hash} AND refcount <= 0`;
      if (row) await this.#releaseBlobRow(mut, row.id, 0);
    }).catch(() => {});
    this.#unpins.add(job);
    job.finally(() => this.#unpins.delete(job));
  }

  /** See `Store.holdExpunged`. */
  holdExpunged(_accountId: AccountId, mailboxId: MailboxId, owner?: symbol): ExpungeHold {
    return this.#holds.open(mailboxId, owner);
  }

  // ---------------------------------------------------------------- messages: reading

  /** Messages by id (unknown ids are left out), in the order asked. */
  getMessages(
    accountId: AccountId,
    ids: MessageId[],
    opts: { mailboxIds?: boolean } = {},
  ): Promise<Message[]> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      const rows = ids.map((id) => parseId("message", id)).filter((r): r is number => r !== null);
      if (rows.length === 0) return [];
      const found = opts.mailboxIds === false
        ? await db<(MessageRow & { hash: string; summary: string | null; mailbox_ids?: undefined })[]>`
          SELECT m.*, b.hash, b.summary FROM messages m JOIN blobs b ON b.id = m.blob_id
          WHERE m.id = ANY(${rows}::bigint[]) AND m.account_id = ${acc.id}`
        : await db<(MessageRow & { hash: string; summary: string | null; mailbox_ids: number[] })[]>`
          SELECT m.*, b.hash, b.summary,
            array(SELECT p.mailbox_id FROM placements p WHERE p.message_id = m.id ORDER BY p.mailbox_id) AS mailbox_ids
          FROM messages m JOIN blobs b ON b.id = m.blob_id
          WHERE m.id = ANY(${rows}::bigint[]) AND m.account_id = ${acc.id}`;
      const byRow = new Map(found.map((r) => [r.id, r]));
      const out: Message[] = [];
      for (const row of rows) {
        const r = byRow.get(row);
        if (!r) continue;
        out.push({
          id: formatId("message", r.id),
          accountId,
          threadId: formatId("thread", r.thread_id),
          blobId: r.hash,
          size: r.size,
          receivedAt: new Date(r.received_at),
          keywords: unpackKeywords(r.flags, r.keywords),
          mailboxIds: r.mailbox_ids?.map((m) => formatId("mailbox", Number(m))) ?? [],
          summary: decodeSummary(r.summary),
          modseq: r.modseq,
        });
      }
      return out;
    });
  }

  /** Placements of a mailbox by UID. */
  listPlacements(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number; changedSince?: number } = {},
  ): Promise<Placement[]> {
    return this.#read(async (db) => {
      const mb = await mailboxRow(db, accountId, mailboxId);
      const rows = await db<
        {
          uid: number;
          message_id: number;
          modseq: number;
          flags: number;
          keywords: string;
          size: number;
          received_at: number;
        }[]
      >`SELECT p.uid, p.message_id, p.modseq, m.flags, m.keywords, m.size, m.received_at
        FROM placements p JOIN messages m ON m.id = p.message_id
        WHERE p.mailbox_id = ${mb.id} AND p.uid BETWEEN ${opts.minUid ?? 1} AND ${
        opts.maxUid ?? Number.MAX_SAFE_INTEGER
      }
          AND p.modseq > ${opts.changedSince ?? -1}
        ORDER BY p.uid`;
      return rows.map((r) => ({
        mailboxId,
        uid: r.uid,
        messageId: formatId("message", r.message_id),
        modseq: r.modseq,
        keywords: unpackKeywords(r.flags, r.keywords),
        size: r.size,
        receivedAt: new Date(r.received_at),
      }));
    });
  }

  /** RFC 5256 §2.2 sent dates by UID. */
  sentDates(accountId: AccountId, mailboxId: MailboxId): Promise<{ uids: number[]; dates: number[] }> {
    return this.#read(async (db) => {
      const mb = await mailboxRow(db, accountId, mailboxId);
      const rows = await db<{ uid: number; d: number }[]>`
        SELECT p.uid, coalesce(m.sent_at, m.received_at) AS d FROM placements p
        JOIN messages m ON m.id = p.message_id WHERE p.mailbox_id = ${mb.id} ORDER BY p.uid`;
      return { uids: rows.map((r) => r.uid), dates: rows.map((r) => r.d) };
    });
  }

  /** RFC 8514 save dates by UID. */
  savedDates(
    accountId: AccountId,
    mailboxId: MailboxId,
    opts: { minUid?: number; maxUid?: number } = {},
  ): Promise<{ uids: number[]; dates: (number | null)[] }> {
    return this.#read(async (db) => {
      const mb = await mailboxRow(db, accountId, mailboxId);
      const rows = await db<{ uid: number; saved_at: number | null }[]>`
        SELECT uid, saved_at FROM placements WHERE mailbox_id = ${mb.id}
          AND uid BETWEEN ${opts.minUid ?? 1} AND ${opts.maxUid ?? Number.MAX_SAFE_INTEGER} ORDER BY uid`;
      return { uids: rows.map((r) => r.uid), dates: rows.map((r) => r.saved_at) };
    });
  }

  /** Raw bytes of a message. */
  readMessage(accountId: AccountId, id: MessageId): Promise<Uint8Array | null> {
    return this.#read(async (db) => {
      const acc = parseId("account", accountId);
      const row = parseId("message", id);
      if (acc === null || row === null) return null;
      const [r] = await db<{ hash: string }[]>`SELECT b.hash FROM messages m JOIN blobs b ON b.id = m.blob_id
        WHERE m.id = ${row} AND m.account_id = ${acc}`;
      return r ? await this.blobs.get(r.hash) : null;
    });
  }

  /** UIDs expunged after `modseq` (RFC 7162 §3.2.5.2 QRESYNC). */
  expungedSince(accountId: AccountId, mailboxId: MailboxId, modseq: number): Promise<number[]> {
    return this.#read(async (db) => {
      const mb = await mailboxRow(db, accountId, mailboxId);
      return (await db<{ uid: number }[]>`SELECT uid FROM expunged WHERE mailbox_id = ${mb.id}
        AND modseq > ${modseq} ORDER BY uid`).map((r) => r.uid);
    });
  }

  /** Message ids of threads, by receivedAt ascending; unknown threads left out. */
  getThreads(accountId: AccountId, ids: ThreadId[]): Promise<{ id: ThreadId; emailIds: MessageId[] }[]> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      const out: { id: ThreadId; emailIds: MessageId[] }[] = [];
      for (const id of ids) {
        const row = parseId("thread", id);
        if (row === null) continue;
        const emailIds = (await db<{ id: number }[]>`SELECT id FROM messages
          WHERE thread_id = ${row} AND account_id = ${acc.id} ORDER BY received_at, id`)
          .map((r) => formatId("message", r.id));
        if (emailIds.length) out.push({ id, emailIds });
      }
      return out;
    });
  }

  /** Message ids matching a filter, sorted; with `collapseThreads` only each thread's first. */
  queryMessages(accountId: AccountId, query: MessageQuery): Promise<MessageId[]> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      const position = windowNumber(query.position, "position") ?? 0;
      const limit = windowNumber(query.limit, "limit");
      if (limit === 0) return [];
      const boxes = new Map(
        (await db<{ id: number }[]>`SELECT id FROM mailboxes WHERE account_id = ${acc.id}`).map((r) => [
          formatId("mailbox", r.id),
          r.id,
        ]),
      );
      const p = new Params();
      const accPh = p.add(acc.id);
      const where = filterSql(query.filter, (id) => boxes.get(id) ?? null, p);
      const order = sortSql(query.sort, p);
      let text = `SELECT m.id, m.thread_id FROM messages m WHERE m.account_id = ${accPh} AND (${where})
        ORDER BY ${order}`;
      if (!query.collapseThreads) {
        if (limit !== undefined) text += ` LIMIT ${p.add(limit)}`;
        if (position > 0) text += ` OFFSET ${p.add(position)}`;
        const rows = await db.unsafe<{ id: number }[]>(text, p.values);
        return rows.map((r) => formatId("message", Number(r.id)));
      }
      const rows = await db.unsafe<{ id: number; thread_id: number }[]>(text, p.values);
      const seen = new Set<number>();
      const out: MessageId[] = [];
      const end = limit === undefined ? Infinity : position + limit;
      let index = 0;
      for (const r of rows) {
        const t = Number(r.thread_id);
        if (seen.has(t)) continue;
        seen.add(t);
        if (index++ >= position) out.push(formatId("message", Number(r.id)));
        if (index >= end) break;
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- messages: changing

  /** Changes keywords (CONDSTORE `unchangedSince` honoured); unchanged sets take no MODSEQ. */
  updateKeywords(
    accountId: AccountId,
    ids: MessageId[],
    change: KeywordChange,
    opts: { unchangedSince?: number; origin?: symbol } = {},
  ): Promise<{ updated: UpdatedKeywords[]; failed: MessageId[]; modseq: number }> {
    // Validated first, so a bad keyword fails the whole call before any change.
    try {
      applyKeywordChange({ flags: 0, custom: "" }, change);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write([accountId], async (mut) => {
      mut.origin = opts.origin ?? null;
      const tx = mut.tx;
      const acc = await dir.accountRow(tx, accountId);
      const failed: MessageId[] = [];
      // Each message's keywords and MODSEQ as this transaction leaves them: nothing is read back.
      const updated: UpdatedKeywords[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        if (row === null) continue;
        const [msg] = await tx<
          MessageRow[]
        >`SELECT * FROM messages WHERE id = ${row} AND account_id = ${acc.id}`;
        if (!msg) continue;
        // RFC 7162 §3.1.3: UNCHANGEDSINCE fails messages whose mod-sequence is greater.
        if (opts.unchangedSince !== undefined && msg.modseq > opts.unchangedSince) {
          failed.push(id);
          continue;
        }
        const next = applyKeywordChange({ flags: msg.flags, custom: msg.keywords }, change);
        if (next.flags === msg.flags && next.custom === msg.keywords) {
          updated.push({ id, keywords: unpackKeywords(msg.flags, msg.keywords), modseq: Number(msg.modseq) });
          continue;
        }
        const modseq = await mut.next(acc.id);
        await tx`UPDATE messages SET flags = ${next.flags}, keywords = ${next.custom}, modseq = ${modseq}
          WHERE id = ${row}`;
        const boxes = await tx<{ mailbox_id: number }[]>`UPDATE placements SET modseq = ${modseq}
          WHERE message_id = ${row} RETURNING mailbox_id`;
        await mut.record(acc.id, modseq, "Email", id, "u");
        const unreadChanged = (next.flags & SEEN) !== (msg.flags & SEEN);
        for (const b of boxes) mut.mailbox(acc.id, b.mailbox_id, modseq, unreadChanged);
        mut.thread(acc.id, msg.thread_id);
        updated.push({ id, keywords: unpackKeywords(next.flags, next.custom), modseq });
      }
      await mut.finish();
      const [a] = await tx<{ modseq: number }[]>`SELECT modseq FROM accounts WHERE id = ${acc.id}`;
      return { updated, failed, modseq: a!.modseq };
    });
  }

  /** `getMessages` inside a transaction. */
  async #messagesIn(tx: Tx, accountId: AccountId, ids: MessageId[]): Promise<Message[]> {
    const acc = parseId("account", accountId)!;
    const out: Message[] = [];
    for (const id of ids) {
      const row = parseId("message", id);
      if (row === null) continue;
      const [r] = await tx<(MessageRow & { hash: string; summary: string | null })[]>`
        SELECT m.*, b.hash, b.summary FROM messages m JOIN blobs b ON b.id = m.blob_id
        WHERE m.id = ${row} AND m.account_id = ${acc}`;
      if (!r) continue;
      const boxes = await tx<{ mailbox_id: number }[]>`SELECT mailbox_id FROM placements
        WHERE message_id = ${row} ORDER BY mailbox_id`;
      out.push({
        id,
        accountId,
        threadId: formatId("thread", r.thread_id),
        blobId: r.hash,
        size: r.size,
        receivedAt: new Date(r.received_at),
        keywords: unpackKeywords(r.flags, r.keywords),
        mailboxIds: boxes.map((b) => formatId("mailbox", b.mailbox_id)),
        summary: decodeSummary(r.summary),
        modseq: r.modseq,
      });
    }
    return out;
  }

  async #messageRow(tx: Tx, accountRow: number, id: MessageId): Promise<MessageRow> {
    const row = parseId("message", id);
    const [msg] = row === null
      ? []
      : await tx<MessageRow[]>`SELECT * FROM messages WHERE id = ${row} AND account_id = ${accountRow}`;
    if (!msg) throw new StoreError("notFound", `No such message: "${id}"`);
    return msg;
  }

  /** Replaces the mailboxes of a message; new placements get new UIDs. */
  setMailboxes(accountId: AccountId, id: MessageId, mailboxIds: MailboxId[]): Promise<Message> {
    return this.#write([accountId], async (mut) => {
      const tx = mut.tx;
      const acc = await dir.accountRow(tx, accountId);
      if (mailboxIds.length === 0) throw new StoreError("invalid", "A message needs at least one mailbox");
      const msg = await this.#messageRow(tx, acc.id, id);
      const targets = new Set<number>();
      for (const m of new Set(mailboxIds)) targets.add((await mailboxRow(tx, accountId, m)).id);
      const current = new Set(
        (await tx<{ mailbox_id: number }[]>`SELECT mailbox_id FROM placements WHERE message_id = ${msg.id}`)
          .map((r) => r.mailbox_id),
      );
      const removed = [...current].filter((m) => !targets.has(m));
      const added = [...targets].filter((m) => !current.has(m));
      if (removed.length > 0 || added.length > 0) {
        const modseq = await mut.next(acc.id);
        for (const mb of added) {
          await this.#insertPlacement(tx, mb, msg.id, modseq);
          mut.mailbox(acc.id, mb, modseq, true);
        }
        for (const mb of removed) {
          await this.#deletePlacement(tx, mb, msg.id, modseq);
          mut.mailbox(acc.id, mb, modseq, true);
        }
        await tx`UPDATE messages SET modseq = ${modseq} WHERE id = ${msg.id}`;
        await mut.record(acc.id, modseq, "Email", id, "u");
      }
      return (await this.#messagesIn(tx, accountId, [id]))[0]!;
    });
  }

  /** Removes one placement and records its UID as expunged at `modseq` (RFC 7162 §3.2.7). */
  async #deletePlacement(
    tx: Tx,
    mailboxRow: number,
    messageRow: number,
    modseq: number,
  ): Promise<number | null> {
    const [p] = await tx<{ uid: number }[]>`DELETE FROM placements
      WHERE mailbox_id = ${mailboxRow} AND message_id = ${messageRow} RETURNING uid`;
    if (!p) return null;
    await tx`INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (${mailboxRow}, ${p.uid}, ${modseq})
      ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq`;
    return p.uid;
  }

  /** Removes a message from one mailbox; its last placement destroys it. Returns the removed UID. */
  async #removePlacement(mut: PgMutation, msg: MessageRow, mailboxRow: number): Promise<number | null> {
    const [o] = await mut.tx<{ n: number }[]>`SELECT count(*)::bigint AS n FROM placements
      WHERE message_id = ${msg.id} AND mailbox_id <> ${mailboxRow}`;
    if (o!.n === 0) return (await this.#destroyMessage(mut, msg)).get(mailboxRow) ?? null;
    const modseq = await mut.next(msg.account_id);
    const uid = await this.#deletePlacement(mut.tx, mailboxRow, msg.id, modseq);
    await mut.tx`UPDATE messages SET modseq = ${modseq} WHERE id = ${msg.id}`;
    await mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "u");
    mut.mailbox(msg.account_id, mailboxRow, modseq, true);
    // The message lives on elsewhere, but sessions still showing it here show its last flags.
    if (uid !== null) await this.#capture(mut, msg, mailboxRow, uid);
    return uid;
  }

  /**
   * Records a message destroyed from a mailbox (or moved or removed from it) in the sessions'
   * holds on it (expunge_holds.ts), but not in the hold of the session whose write removed it (it
   * reports the expunge in its response): they keep showing it with its last flags.
   */
  async #capture(mut: PgMutation, msg: MessageRow, mailboxRow: number, uid: number): Promise<void> {
    const mailboxId = formatId("mailbox", mailboxRow);
    if (!this.#holds.watching(mailboxId, mut.origin)) return;
    const [blob] = await mut.tx<{ hash: string }[]>`SELECT hash FROM blobs WHERE id = ${msg.blob_id}`;
    if (!blob) return;
    this.#holds.capture(mailboxId, uid, {
      messageId: formatId("message", msg.id),
      blobId: blob.hash,
      threadId: formatId("thread", msg.thread_id),
      keywords: unpackKeywords(msg.flags, msg.keywords),
    }, mut.origin);
  }

  /** Destroys a message: placements (expunged), row, quota, blob reference. Returns mailbox -> uid. */
  async #destroyMessage(mut: PgMutation, msg: MessageRow): Promise<Map<number, number>> {
    const tx = mut.tx;
    const modseq = await mut.next(msg.account_id);
    const removed = new Map<number, number>();
    const boxes = await tx<
      { mailbox_id: number }[]
    >`SELECT mailbox_id FROM placements WHERE message_id = ${msg.id}`;
    for (const { mailbox_id: mb } of boxes) {
      const uid = await this.#deletePlacement(tx, mb, msg.id, modseq);
      if (uid !== null) {
        removed.set(mb, uid);
        await this.#capture(mut, msg, mb, uid);
      }
      mut.mailbox(msg.account_id, mb, modseq, true);
    }
    await tx`DELETE FROM messages WHERE id = ${msg.id}`;
    await mut.record(msg.account_id, modseq, "Email", formatId("message", msg.id), "d");
    await tx`UPDATE accounts SET used_bytes = greatest(0, used_bytes - ${msg.size}) WHERE id = ${msg.account_id}`;
    await this.#releaseBlobRow(mut, msg.blob_id);
    const [left] = await tx`SELECT 1 FROM messages WHERE thread_id = ${msg.thread_id} LIMIT 1`;
    if (!left) await tx`DELETE FROM threads WHERE id = ${msg.thread_id}`;
    mut.thread(msg.account_id, msg.thread_id);
    return removed;
  }

  async #placementsByUid(
    tx: Tx,
    mailboxRow: number,
    uids: number[],
  ): Promise<{ uid: number; msg: MessageRow }[]> {
    const wanted = [...new Set(uids)].filter((u) => Number.isSafeInteger(u) && u > 0).sort((a, b) => a - b);
    if (wanted.length === 0) return [];
    const rows = await tx<(MessageRow & { uid: number })[]>`
      SELECT p.uid, m.* FROM placements p JOIN messages m ON m.id = p.message_id
      WHERE p.mailbox_id = ${mailboxRow} AND p.uid = ANY(${wanted}::bigint[]) ORDER BY p.uid`;
    return rows.map(({ uid, ...msg }) => ({ uid, msg }));
  }

  /** The prologue COPY and MOVE share: account, both mailboxes, the sources by UID ascending. */
  #transfer(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
    body: (
      mut: PgMutation,
      acc: AccountRow,
      from: MailboxRow,
      to: MailboxRow,
      sources: { uid: number; msg: MessageRow }[],
    ) => Promise<CopyResult["pairs"]>,
  ): Promise<CopyResult> {
    return this.#write([accountId], async (mut) => {
      const acc = await dir.accountRow(mut.tx, accountId);
      const from = await mailboxRow(mut.tx, accountId, fromMailboxId);
      const to = await mailboxRow(mut.tx, accountId, toMailboxId);
      const pairs = await body(mut, acc, from, to, await this.#placementsByUid(mut.tx, from.id, uids));
      await mut.finish();
      const [a] = await mut.tx<{ modseq: number }[]>`SELECT modseq FROM accounts WHERE id = ${acc.id}`;
      return { uidValidity: to.uid_validity, pairs, modseq: a!.modseq };
    });
  }

  /** IMAP COPY: new messages sharing the blobs, keywords and thread copied. */
  copyMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#transfer(
      accountId,
      fromMailboxId,
      uids,
      toMailboxId,
      async (mut, acc, _from, to, sources) => {
        const total = sources.reduce((s, p) => s + p.msg.size, 0);
        if (acc.quota_bytes > 0 && acc.used_bytes + total > acc.quota_bytes) {
          throw new StoreError("overQuota", `Quota exceeded for "${acc.address}"`);
        }
        const pairs: CopyResult["pairs"] = [];
        for (const { uid, msg } of sources) {
          const { id: _id, modseq: _m, ...rest } = msg;
          const { row, id, modseq } = await this.#insertMessage(mut, { ...rest, account_id: acc.id });
          const toUid = await this.#insertPlacement(mut.tx, to.id, row, modseq);
          mut.mailbox(acc.id, to.id, modseq, true);
          mut.thread(acc.id, msg.thread_id);
          pairs.push({ fromUid: uid, toUid, messageId: id });
        }
        await mut.tx`UPDATE accounts SET used_bytes = used_bytes + ${total} WHERE id = ${acc.id}`;
        return pairs;
      },
    );
  }

  /** IMAP MOVE (RFC 6851): same message ids, new UIDs in the target, source UIDs expunged. */
  moveMessages(
    accountId: AccountId,
    fromMailboxId: MailboxId,
    uids: number[],
    toMailboxId: MailboxId,
  ): Promise<CopyResult> {
    return this.#transfer(
      accountId,
      fromMailboxId,
      uids,
      toMailboxId,
      async (mut, acc, from, to, sources) => {
        const pairs: CopyResult["pairs"] = [];
        for (const { uid, msg } of sources) {
          const modseq = await mut.next(acc.id);
          const fromUid = await this.#deletePlacement(mut.tx, from.id, msg.id, modseq);
          // Sessions still showing it in the source show its last flags (RFC 2180 §4.1.1).
          if (fromUid !== null) await this.#capture(mut, msg, from.id, fromUid);
          const [existing] = await mut.tx<{ uid: number }[]>`SELECT uid FROM placements
          WHERE mailbox_id = ${to.id} AND message_id = ${msg.id}`;
          const toUid = existing ? existing.uid : await this.#insertPlacement(mut.tx, to.id, msg.id, modseq);
          await mut.tx`UPDATE messages SET modseq = ${modseq} WHERE id = ${msg.id}`;
          const id = formatId("message", msg.id);
          await mut.record(acc.id, modseq, "Email", id, "u");
          mut.mailbox(acc.id, from.id, modseq, true);
          mut.mailbox(acc.id, to.id, modseq, true);
          pairs.push({ fromUid: uid, toUid, messageId: id });
        }
        return pairs;
      },
    );
  }

  /** Removes placements by UID; messages left without a mailbox are destroyed. */
  expunge(
    accountId: AccountId,
    mailboxId: MailboxId,
    uids: number[],
    opts: { origin?: symbol } = {},
  ): Promise<{ uids: number[]; modseq: number }> {
    return this.#write([accountId], async (mut) => {
      mut.origin = opts.origin ?? null;
      const acc = await dir.accountRow(mut.tx, accountId);
      const mb = await mailboxRow(mut.tx, accountId, mailboxId);
      const removed: number[] = [];
      for (const { uid, msg } of await this.#placementsByUid(mut.tx, mb.id, uids)) {
        if ((await this.#removePlacement(mut, msg, mb.id)) !== null) removed.push(uid);
      }
      await mut.finish();
      const [a] = await mut.tx<{ modseq: number }[]>`SELECT modseq FROM accounts WHERE id = ${acc.id}`;
      return { uids: removed, modseq: a!.modseq };
    });
  }

  /** JMAP destroy. */
  destroyMessages(
    accountId: AccountId,
    ids: MessageId[],
  ): Promise<{ destroyed: MessageId[]; notFound: MessageId[] }> {
    return this.#write([accountId], async (mut) => {
      const acc = await dir.accountRow(mut.tx, accountId);
      const destroyed: MessageId[] = [];
      const notFound: MessageId[] = [];
      for (const id of ids) {
        const row = parseId("message", id);
        const [msg] = row === null
          ? []
          : await mut.tx<MessageRow[]>`SELECT * FROM messages WHERE id = ${row} AND account_id = ${acc.id}`;
        if (!msg) {
          notFound.push(id);
          continue;
        }
        await this.#destroyMessage(mut, msg);
        destroyed.push(id);
      }
      return { destroyed, notFound };
    });
  }

  // ---------------------------------------------------------------- change log

  /** State string of a type: the MODSEQ of its last change, "0" when none. */
  state(accountId: AccountId, type: ChangeType): Promise<string> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      return String(await typeState(db, acc.id, type));
    });
  }

  /**
   * What changed since `sinceState` (RFC 8620 §5.2). Each object is reported once: created and
   * destroyed within the window -> omitted; created then updated -> created; existing then
   * destroyed -> destroyed; otherwise updated.
   */
  changes(accountId: AccountId, type: ChangeType, sinceState: string, maxChanges?: number): Promise<Changes> {
    return this.#read(async (db) => {
      const acc = await dir.accountRow(db, accountId);
      const since = typeof sinceState === "string" && /^(0|[1-9][0-9]{0,15})$/.test(sinceState)
        ? Number(sinceState)
        : null;
      if (since === null) throw new CannotCalculateChangesError(`Unknown state: "${sinceState}"`);
      if (since > acc.modseq) throw new CannotCalculateChangesError(`State from the future: "${sinceState}"`);
      if (since < acc.changes_floor) {
        throw new CannotCalculateChangesError(`State too old, the change log was pruned: "${sinceState}"`);
      }
      const limit = maxChanges !== undefined && maxChanges > 0 ? Math.trunc(maxChanges) : Infinity;
      const rows = await db<{ modseq: number; object_id: string; kind: "c" | "u" | "d" }[]>`
        SELECT modseq, object_id, kind FROM changes WHERE account_id = ${acc.id} AND type = ${type}
          AND modseq > ${since} ORDER BY modseq`;
      const objects = new Map<string, { first: string; last: string }>();
      let newState = since;
      let hasMoreChanges = false;
      for (const row of rows) {
        const seen = objects.get(row.object_id);
        if (!seen && objects.size >= limit) {
          hasMoreChanges = true;
          break;
        }
        if (seen) seen.last = row.kind;
        else objects.set(row.object_id, { first: row.kind, last: row.kind });
        newState = row.modseq;
      }
      const created: string[] = [];
      const updated: string[] = [];
      const destroyed: string[] = [];
      for (const [id, { first, last }] of objects) {
        const existedBefore = first !== "c";
        const existsAfter = last !== "d";
        if (existedBefore && existsAfter) updated.push(id);
        else if (!existedBefore && existsAfter) created.push(id);
        else if (existedBefore && !existsAfter) destroyed.push(id);
      }
      return {
        oldState: sinceState,
        newState: String(newState),
        hasMoreChanges,
        created,
        updated,
        destroyed,
      };
    });
  }

  /** Logs changes of a type the store does not manage (Identity, EmailSubmission). */
  recordChange(
    accountId: AccountId,
    type: ChangeType,
    change: { created?: string[]; updated?: string[]; destroyed?: string[] },
  ): Promise<string> {
    return this.#write([accountId], async (mut) => {
      const acc = await dir.accountRow(mut.tx, accountId);
      for (const id of change.created ?? []) await mut.log(acc.id, type, id, "c");
      for (const id of change.updated ?? []) await mut.log(acc.id, type, id, "u");
      for (const id of change.destroyed ?? []) await mut.log(acc.id, type, id, "d");
      return String(await typeState(mut.tx, acc.id, type));
    });
  }

  /** Keeps the newest `keepPerAccount` change-log rows of each account and drops the rest. */
  pruneChanges(keepPerAccount = 100_000): Promise<{ removed: number }> {
    return this.#write([], async (mut) => {
      let removed = 0;
      const keep = Math.max(0, Math.trunc(keepPerAccount));
      for (const { id } of await mut.tx<{ id: number }[]>`SELECT id FROM accounts ORDER BY id`) {
        await mut.tx`SELECT id FROM accounts WHERE id = ${id} FOR UPDATE`;
        const [cut] = await mut.tx<{ modseq: number }[]>`SELECT modseq FROM changes WHERE account_id = ${id}
          ORDER BY modseq DESC LIMIT 1 OFFSET ${keep}`;
        if (!cut) continue;
        const gone = await mut.tx`DELETE FROM changes WHERE account_id = ${id} AND modseq <= ${cut.modseq}`;
        removed += gone.count;
        await mut
          .tx`UPDATE accounts SET changes_floor = greatest(changes_floor, ${cut.modseq}) WHERE id = ${id}`;
      }
      return { removed };
    });
  }

  // ---------------------------------------------------------------- blobs and lifecycle

  /** Pins a blob that no message references (a queued message, an upload). The blob must exist. */
  async retainBlob(blobId: BlobId): Promise<void> {
    this.#check();
    const size = await this.blobs.size(blobId);
    if (size === null) throw new StoreError("notFound", `No such blob: "${blobId}"`);
    await this.#write([], async (mut) => {
      await mut.tx`SELECT pg_advisory_xact_lock(hashtextextended(${blobId}, 0))`;
      if (!(await this.blobs.has(blobId))) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      await mut.tx`INSERT INTO blobs (hash, size, refcount) VALUES (${blobId}, ${size}, 1)
        ON CONFLICT (hash) DO UPDATE SET refcount = blobs.refcount + 1`;
    });
  }

  /** Drops a reference taken with `retainBlob`. */
  releaseBlob(blobId: BlobId): Promise<void> {
    return this.#write([], async (mut) => {
      const [row] = await mut.tx<{ id: number }[]>`SELECT id FROM blobs WHERE hash = ${blobId}`;
      if (!row) throw new StoreError("notFound", `No such blob: "${blobId}"`);
      await this.#releaseBlobRow(mut, row.id);
    });
  }

  /**
   * Removes rows with no reference (and their bytes), and blobs with no row older than the grace
   * period (a crash between the blob write and the commit).
   */
  async collectGarbage(): Promise<{ removed: number }> {
    this.#check();
    // Writes here run side by side (a pool), not in a queue as in SQLite: a release a hold let go
    // of just now is waited for, so that garbage collection after a hold closes finds it done.
    while (this.#unpins.size) await Promise.allSettled([...this.#unpins]);
    let removed = await this.#write([], async (mut) => {
      const rows =
        (await mut.tx<{ id: number; hash: string }[]>`SELECT id, hash FROM blobs WHERE refcount <= 0`)
          .filter((r) => !this.#holds.isPinned(r.hash));
      for (const r of rows) await this.#releaseBlobRow(mut, r.id, 0);
      return rows.length;
    });
    const limit = Date.now() - this.#blobGraceMs;
    const fsBlobs = this.blobs instanceof FsBlobStore ? this.blobs : null;
    for await (const hash of this.blobs.list()) {
      const [row] = await this.sql`SELECT 1 FROM blobs WHERE hash = ${hash}`;
      if (row) continue;
      const mtime = fsBlobs ? await fsBlobs.modifiedAt(hash) : null;
      if (!mtime || mtime.getTime() > limit) continue;
      if (await this.#dropFile(hash)) removed++;
    }
    if (fsBlobs) await fsBlobs.cleanTemp(this.#blobGraceMs);
    return { removed };
  }

  /** Waits for running operations, stops listening and closes the pool. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
    await this.#unlisten?.().catch(() => {});
    await this.sql.end({ timeout: 5 });
    if (this.blobs instanceof FsBlobStore) await this.blobs.close();
  }
}

/** State of a type: the MODSEQ of its last change, 0 when none. */
async function typeState(db: Queryable, accountRow: number, type: ChangeType): Promise<number> {
  const [r] = await db<{ m: number | null }[]>`SELECT max(modseq) AS m FROM changes
    WHERE account_id = ${accountRow} AND type = ${type}`;
  return r?.m ?? 0;
}

function safeDecode(headers: string): string {
  try {
    return headers.includes("=?") ? decodeEncodedWords(headers) : headers;
  } catch {
    return headers;
  }
}

/** A non-negative integer window bound, or undefined when absent. */
function windowNumber(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreError("invalid", `Invalid ${name}: ${value}`);
  return value;
}
