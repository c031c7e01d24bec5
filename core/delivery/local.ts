/**
 * Local delivery: one message, stored once, placed in the Inbox of every recipient account in one
 * all-or-nothing store call. The inbound pipeline (pipeline.ts) places messages through it, and
 * vacation replies (vacation.ts) to local senders. Resolves only after the
 * store has committed and fsynced (core/store/store.ts durability contract): only then may a
 * protocol acknowledge the message.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId, AddedMessage, BlobId, MailboxId, NewMessage } from "../store/types.ts";
import type { MessageSource } from "./spool.ts";
import { concat } from "./spool.ts";

/** What to deliver. */
export interface LocalDeliveryInput {
  /** Header fields to put in front of the message (trace fields), CRLF-terminated; may be empty. */
  prefix: string;
  /** The message as received. */
  message: MessageSource;
  /** Recipient accounts; duplicates are delivered once. */
  accountIds: AccountId[];
  /** INTERNALDATE / receivedAt. */
  receivedAt: Date;
  /** The mailbox (by role) it goes to: the Inbox unless a check filed it as junk. */
  role?: "inbox" | "junk";
  /** Accounts whose copy goes to Junk whatever `role` says (a per-account check: the junk filter, core/spam). */
  junkAccounts?: ReadonlySet<AccountId>;
  /** Where each account's copy goes when a filter (Sieve) decided; other accounts go by `role`. */
  filings?: ReadonlyMap<AccountId, LocalFiling>;
}

/** Where one account's copy goes (issue 20: Sieve fileinto, flags, editheader, discard). */
export interface LocalFiling {
  /** Mailboxes of the account to place the copy in; empty: the account gets no copy. */
  mailboxIds: MailboxId[];
  /** Keywords to set on the copy. */
  keywords?: string[];
  /** This account's own version of the message (header edited), without the prefix. */
  message?: Uint8Array;
}

/** Outcome of a local delivery. */
export interface LocalDeliveryResult {
  blobId: BlobId;
  size: number;
  added: AddedMessage[];
}

const encoder = new TextEncoder();
const inboxCache = new WeakMap<Store, Map<AccountId, MailboxId>>();
const INBOX_CACHE_MAX = 10_000;

/** `prefix + message` in one array when the message is in memory, else null (it was spilled). */
function inMemory(prefix: string, message: MessageSource): Uint8Array | null {
  const bytes = message.bytes();
  if (bytes === null) return null;
  const head = encoder.encode(prefix);
  return concat([head, bytes], head.length + bytes.length);
}

/** Stores `prefix + message` as a blob (or reuses the stored one), for delivery or the queue. */
export async function putMessageBlob(
  store: Store,
  prefix: string,
  message: MessageSource,
): Promise<{ blobId: BlobId; size: number }> {
  const whole = inMemory(prefix, message);
  if (whole !== null) return await store.blobs.put(whole);
  const head = encoder.encode(prefix);
  const body = await message.stream();
  // The prefix goes first; the body streams through with backpressure (a spilled 30 MB message is
  // never held in memory).
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(c) {
        if (head.length > 0) c.enqueue(head);
      },
    }),
  );
  return await store.blobs.put(stream);
}

async function inboxOf(
  store: Store,
  accountId: AccountId,
  role: "inbox" | "junk" = "inbox",
): Promise<MailboxId> {
  // Junk is rare (DMARC quarantine): looked up each time, falling back to the Inbox when absent.
  if (role === "junk") {
    const junk = await store.getMailboxByRole(accountId, "junk");
    if (junk) return junk.id;
  }
  let cache = inboxCache.get(store);
  if (!cache) {
    cache = new Map();
    inboxCache.set(store, cache);
  }
  const hit = cache.get(accountId);
  if (hit !== undefined) return hit;
  const inbox = await store.getMailboxByRole(accountId, "inbox");
  if (!inbox) throw new Error(`Account has no Inbox: ${accountId}`);
  if (cache.size >= INBOX_CACHE_MAX) cache.clear();
  cache.set(accountId, inbox.id);
  return inbox.id;
}

/**
 * Delivers a message to local accounts. The blob is written once; `addMessages` places it in each
 * account's Inbox in a single call, so either every recipient gets it or none does. Errors
 * (including StoreError "overQuota") propagate; an orphaned blob is left to the store's garbage
 * collector (it may already be shared with another message, so it is never deleted here).
 */
export async function deliverLocal(store: Store, input: LocalDeliveryInput): Promise<LocalDeliveryResult> {
  const all = [...new Set(input.accountIds)];
  if (all.length === 0) throw new RangeError("No recipients to deliver to");
  const { plain: accountIds, own } = splitFiled(all, input.filings);
  const inboxes = await Promise.all(
    accountIds.map((id) => inboxOf(store, id, input.junkAccounts?.has(id) ? "junk" : input.role)),
  );
  try {
    // Accounts with their own (edited) copy: every blob first, then all placements in one
    // all-or-nothing `addMessages`, as without edited copies.
    if (own.length > 0) {
      const shared = accountIds.length > 0 ? await putMessageBlob(store, input.prefix, input.message) : null;
      const mine = await ownCopies(store, input, own);
      const added = await store.addMessages([
        ...accountIds.map((accountId, i) => ({
          ...placementOf(accountId, inboxes[i]!, input),
          blobId: shared!.blobId,
        })),
        ...mine.map(({ size: _size, ...m }) => m),
      ]);
      const first = shared ?? { blobId: mine[0]!.blobId, size: mine[0]!.size };
      return { blobId: first.blobId, size: first.size, added };
    }
    // Every copy dropped (Sieve discard, redirect, reject): the blob alone, for after-commit work.
    if (accountIds.length === 0) {
      return { ...(await putMessageBlob(store, input.prefix, input.message)), added: [] };
    }
    const placements = accountIds.map((accountId, i) => placementOf(accountId, inboxes[i]!, input));
    // In memory: blob and placements in one durable step.
    const whole = inMemory(input.prefix, input.message);
    if (whole !== null) return await store.storeMessages(whole, placements);
    const blob = await putMessageBlob(store, input.prefix, input.message);
    const added = await store.addMessages(placements.map((p) => ({ ...p, blobId: blob.blobId })));
    return { ...blob, added };
  } catch (e) {
    // A stale cached Inbox id (mailbox recreated) must not keep failing deliveries.
    inboxCache.get(store)?.clear();
    throw e;
  }
}

/** Accounts placed with the shared blob, and those with their own edited copy; no-copy accounts dropped. */
function splitFiled(
  accountIds: AccountId[],
  filings: ReadonlyMap<AccountId, LocalFiling> | undefined,
): { plain: AccountId[]; own: AccountId[] } {
  if (!filings) return { plain: accountIds, own: [] };
  const plain: AccountId[] = [];
  const own: AccountId[] = [];
  for (const id of accountIds) {
    const f = filings.get(id);
    if (f && f.mailboxIds.length === 0) continue;
    (f?.message ? own : plain).push(id);
  }
  return { plain, own };
}

function placementOf(
  accountId: AccountId,
  inbox: MailboxId,
  input: Pick<LocalDeliveryInput, "filings" | "receivedAt">,
): Omit<NewMessage, "blobId"> {
  const f = input.filings?.get(accountId);
  return {
    accountId,
    mailboxIds: f ? f.mailboxIds : [inbox],
    ...(f?.keywords && f.keywords.length > 0 ? { keywords: f.keywords } : {}),
    receivedAt: input.receivedAt,
  };
}

/** Stores each edited copy's blob (prefix + that account's version); returns its placement, not yet added. */
async function ownCopies(
  store: Store,
  input: Pick<LocalDeliveryInput, "filings" | "receivedAt" | "prefix">,
  own: AccountId[],
): Promise<(NewMessage & { size: number })[]> {
  const head = encoder.encode(input.prefix);
  const out: (NewMessage & { size: number })[] = [];
  for (const id of own) {
    const f = input.filings!.get(id)!;
    const blob = await store.blobs.put(concat([head, f.message!], head.length + f.message!.length));
    out.push({ ...placementOf(id, f.mailboxIds[0]!, input), blobId: blob.blobId, size: blob.size });
  }
  return out;
}

/** What to deliver with `deliverLocalEach`: one group of accounts per envelope recipient. */
export interface LocalDeliveryEachInput extends Omit<LocalDeliveryInput, "accountIds"> {
  /** Accounts of each recipient, in recipient order (an alias may name several accounts). */
  groups: AccountId[][];
}

/** Outcome of one recipient group: placed (or already placed by an earlier group), or the error. */
export type GroupOutcome = { ok: true; added: AddedMessage[] } | { ok: false; error: unknown };

/**
 * Delivers a message with an outcome per recipient (LMTP, RFC 2033 §4.2): the blob is written
 * once, then each group is placed by its own `addMessages` call (all-or-nothing within the group),
 * so one full mailbox fails only its recipient. An account already reached by an earlier group is
 * not given a second copy; that group counts as delivered. Throws only when the blob cannot be
 * stored (then no recipient has the message).
 */
export async function deliverLocalEach(
  store: Store,
  input: LocalDeliveryEachInput,
): Promise<{ blobId: BlobId; size: number; outcomes: GroupOutcome[] }> {
  if (input.groups.length === 0) throw new RangeError("No recipients to deliver to");
  const blob = await putMessageBlob(store, input.prefix, input.message);
  const done = new Set<AccountId>();
  const outcomes: GroupOutcome[] = [];
  for (const group of input.groups) {
    const fresh = [...new Set(group)].filter((id) => !done.has(id));
    const { plain: accountIds, own } = splitFiled(fresh, input.filings);
    if (accountIds.length === 0 && own.length === 0) {
      for (const id of fresh) done.add(id);
      outcomes.push({ ok: true, added: [] });
      continue;
    }
    try {
      const inboxes = await Promise.all(
        accountIds.map((id) => inboxOf(store, id, input.junkAccounts?.has(id) ? "junk" : input.role)),
      );
      // The group's shared and edited copies in one all-or-nothing call.
      const added = await store.addMessages([
        ...accountIds.map((accountId, i) => ({
          ...placementOf(accountId, inboxes[i]!, input),
          blobId: blob.blobId,
        })),
        ...(await ownCopies(store, input, own)).map(({ size: _size, ...m }) => m),
      ]);
      for (const id of fresh) done.add(id);
      outcomes.push({ ok: true, added });
    } catch (error) {
      inboxCache.get(store)?.clear();
      outcomes.push({ ok: false, error });
    }
  }
  return { ...blob, outcomes };
}
