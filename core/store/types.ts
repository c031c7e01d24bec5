/**
 * Domain types of the Tern store. Everything a protocol knows about accounts, mailboxes and
 * messages is expressed in these types; no SQL leaks past `core/store/`.
 *
 * Model notes (see docs/ARCHITECTURE.md):
 * - A message (JMAP Email) is stored once per account and may be placed in several mailboxes of that
 *   account. Keywords (IMAP flags) belong to the message, as in JMAP; every placement has its own
 *   UID and MODSEQ. IMAP COPY creates a new message that shares the blob, so copies have
 *   independent flags, as IMAP clients expect.
 * - MODSEQ is one counter per account; every change takes the next value. It doubles as the JMAP
 *   state string for every data type.
 *
 * @module
 */
import type { EmailAddress, MessageSummary } from "../mime/types.ts";

/** Opaque identifiers (strings so that other backends can use UUIDs or ULIDs). */
export type AccountId = string;
/** Mailbox identifier, unique in the whole store. */
export type MailboxId = string;
/** Message (JMAP Email) identifier, immutable, unique in the whole store. */
export type MessageId = string;
/** Thread identifier, unique in the whole store. */
export type ThreadId = string;
/** Content address of a blob: lowercase hex SHA-256 of its bytes. */
export type BlobId = string;

/** A local mail domain. */
export interface Domain {
  /** Lowercase domain name (A-label). */
  name: string;
  /** Creation time. */
  created: Date;
}

/** A mail account (one login, one set of mailboxes). */
export interface Account {
  id: AccountId;
  /** Primary address, lowercase domain part: `user@example.org`. Also the login name. */
  address: string;
  /** Display name ("Ada Lovelace"), may be empty. */
  displayName: string;
  /** Quota in bytes; 0 means unlimited. */
  quotaBytes: number;
  /** Bytes currently used by the account's messages. */
  usedBytes: number;
  /** A disabled account cannot log in and receives no mail. */
  disabled: boolean;
  /** Creation time. */
  created: Date;
}

/** Secrets stored for an account; only `core/auth` reads them. */
export interface AccountSecrets {
  /** `scrypt$N$r$p$saltB64$hashB64` */
  passwordHash: string;
  /** SCRAM-SHA-256 stored keys (RFC 5802 §3): `iterations$saltB64$storedKeyB64$serverKeyB64`. */
  scramSha256?: string;
  /** Plaintext-equivalent secret for CRAM-MD5, only when the config enables it. */
  cramMd5?: string;
}

/** An alias: one address delivered to one or more accounts. `*@domain` is the catch-all. */
export interface Alias {
  /** `sales@example.org`, or `*@example.org` for the domain's catch-all. */
  address: string;
  /** Target accounts' primary addresses. */
  targets: string[];
  created: Date;
}

/** SPECIAL-USE roles (RFC 6154 / RFC 8621 §2). */
export type MailboxRole = "inbox" | "drafts" | "sent" | "junk" | "trash" | "archive";

/** What may change on a mailbox (`Store.updateMailbox`); UIDVALIDITY never does. */
export interface MailboxPatch {
  name?: string;
  parentId?: MailboxId | null;
  role?: MailboxRole | null;
  subscribed?: boolean;
  sortOrder?: number;
}

/** A mailbox to create (`Store.createMailbox`): a name, the rest as in `MailboxPatch`. */
export interface NewMailbox extends MailboxPatch {
  name: string;
}

/** A mailbox. Names form a hierarchy through `parentId`; `name` is the leaf name only. */
export interface Mailbox {
  id: MailboxId;
  accountId: AccountId;
  /** Leaf name (no delimiter inside), UTF-8. */
  name: string;
  /** Parent mailbox, or null at the top level. */
  parentId: MailboxId | null;
  role: MailboxRole | null;
  /** JMAP sortOrder. */
  sortOrder: number;
  subscribed: boolean;
  /** RFC 9051 §2.3.1.1: changes only if UIDs could be reused, which Tern never does. */
  uidValidity: number;
  /** Next UID to be assigned in this mailbox. */
  uidNext: number;
  /** Highest MODSEQ of any change in this mailbox (RFC 7162). */
  highestModseq: number;
}

/** Counters of a mailbox, computed by the store. */
export interface MailboxCounts {
  total: number;
  unread: number;
  /** Messages with `$deleted` (IMAP \Deleted). */
  deleted: number;
  /** Sum of message sizes. */
  size: number;
  totalThreads: number;
  unreadThreads: number;
}

/** Defined with the MIME parser, which produces them; re-exported as part of the store's vocabulary. */
export type { EmailAddress, MessageSummary };

/** A stored message (JMAP Email). */
export interface Message {
  id: MessageId;
  accountId: AccountId;
  threadId: ThreadId;
  blobId: BlobId;
  /** Size in octets of the raw message. */
  size: number;
  /** INTERNALDATE / receivedAt. */
  receivedAt: Date;
  /** Lowercase JMAP keywords: `$seen`, `$flagged`, `$answered`, `$draft`, `$deleted`, custom ones. */
  keywords: string[];
  /** Mailboxes the message is in. */
  mailboxIds: MailboxId[];
  summary: MessageSummary;
  /** MODSEQ of the last change to this message (keywords or mailboxes). */
  modseq: number;
}

/** A message as seen in one mailbox (IMAP view). */
export interface Placement {
  mailboxId: MailboxId;
  uid: number;
  messageId: MessageId;
  /** MODSEQ of the last change visible in this mailbox (RFC 7162). */
  modseq: number;
  keywords: string[];
  size: number;
  receivedAt: Date;
}

/** Data types whose changes are logged (JMAP type names). */
export type ChangeType = "Mailbox" | "Email" | "Thread" | "EmailSubmission" | "Identity";

/** Answer to "what changed since state S" (RFC 8620 §5.2). */
export interface Changes {
  oldState: string;
  newState: string;
  hasMoreChanges: boolean;
  created: string[];
  updated: string[];
  destroyed: string[];
}

/** Thrown when a state is too old or unknown to compute changes (JMAP cannotCalculateChanges). */
export class CannotCalculateChangesError extends Error {
  override name = "CannotCalculateChangesError";
}

/** Errors the store reports in domain terms; protocols map them to their replies. */
export class StoreError extends Error {
  override name = "StoreError";
  /**
   * @param code machine-readable reason
   * @param message human-readable detail
   */
  constructor(
    readonly code:
      | "notFound"
      | "alreadyExists"
      | "overQuota"
      | "invalid"
      | "hasChildren"
      | "forbidden"
      | "conflict",
    message: string,
  ) {
    super(message);
  }
}

/** The events a webhook may subscribe to (core/webhooks; records in core/store/records/webhooks.ts). */
export const WEBHOOK_EVENTS = [
  "message.received",
  "message.bounced",
  "delivery.failed",
  "quota.warning",
  "notification",
] as const;

/** One webhook event type. */
export type WebhookEvent = typeof WEBHOOK_EVENTS[number];

/**
 * A webhook outbox row to write with a message in the same commit (`NewMessage.outbox`): the store
 * fills in the account and the new message's id, and keeps `{ ...context, uids: […] }` as its data.
 */
export interface MessageOutboxEntry {
  /** The delivery id (also the Standard Webhooks `webhook-id`). */
  id: string;
  webhookId: string;
  event: WebhookEvent;
  createdAt: Date;
  /** After this no retry is made. */
  expiresAt: Date;
  /** Extra context kept in the row's data beside the UIDs (e.g. the envelope). */
  context?: Record<string, unknown>;
}

/** A message to be added. The blob must already be in the blob store. */
export interface NewMessage {
  accountId: AccountId;
  /** At least one mailbox of that account. */
  mailboxIds: MailboxId[];
  blobId: BlobId;
  keywords?: string[];
  /** Defaults to now. */
  receivedAt?: Date;
  /**
   * Webhook outbox rows to write in the same commit as this message (core/webhooks): a delivered
   * message and its pending webhook calls are durable together.
   */
  outbox?: readonly MessageOutboxEntry[];
}

/** Result of adding one message. */
export interface AddedMessage {
  id: MessageId;
  threadId: ThreadId;
  accountId: AccountId;
  /** UID assigned in each mailbox. */
  uids: { mailboxId: MailboxId; uid: number; uidValidity: number }[];
  modseq: number;
  /**
   * The account's quota use right after this message was added, in the same transaction
   * (`quotaBytes` 0: no quota), when the backend tells it: the post-delivery quota check then
   * reads no account.
   */
  usage?: { usedBytes: number; quotaBytes: number };
}

/** Keyword change: either replace the whole set, or add/remove some. */
export type KeywordChange =
  | { set: string[] }
  | { add?: string[]; remove?: string[] };

/** Filter conditions for message queries (RFC 8621 §4.4.1 and RFC 9051 §6.4.4 in domain terms). */
export type MessageFilter =
  | { operator: "AND" | "OR" | "NOT"; conditions: MessageFilter[] }
  | MessageCondition;

/** One filter condition; all given fields must match. */
export interface MessageCondition {
  inMailbox?: MailboxId;
  inMailboxOtherThan?: MailboxId[];
  before?: Date;
  after?: Date;
  minSize?: number;
  maxSize?: number;
  hasKeyword?: string;
  notKeyword?: string;
  allInThreadHaveKeyword?: string;
  someInThreadHaveKeyword?: string;
  noneInThreadHaveKeyword?: string;
  hasAttachment?: boolean;
  /** Substring search, case-insensitive, in the named field. */
  text?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
  /** `[name]` header exists, `[name, value]` header contains value. */
  header?: [string] | [string, string];
  /**
   * Some top-level header field, as `name: value` (name lowercased, value unfolded), contains the
   * string, case-insensitively (the header half of IMAP TEXT, RFC 9051 §6.4.4).
   */
  anyHeader?: string;
}

/** Sort keys for message queries (RFC 8621 §4.4.2). */
export interface MessageSort {
  property:
    | "receivedAt"
    | "size"
    | "from"
    | "to"
    | "subject"
    | "sentAt"
    | "hasKeyword"
    | "allInThreadHaveKeyword"
    | "someInThreadHaveKeyword"
    | "id";
  isAscending: boolean;
  keyword?: string;
}
