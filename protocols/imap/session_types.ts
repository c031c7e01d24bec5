/**
 * The IMAP session as its commands see it: the state (RFC 9051 §3), the selected view, the
 * response writer and the operations a handler may call. `ImapSession` (session.ts) implements
 * it; the command handlers, the search evaluator and the view responses name only this interface,
 * so they import types from here and the session imports them, never the other way round.
 *
 * @module
 */
import type { ConnectionContext, ServerContext } from "../../core/context.ts";
import type { Account } from "../../core/store/types.ts";
import type { Store } from "../../core/store/store.ts";
import type { CommandFramer } from "./parser/framer.ts";
import type { ResponseWriter } from "./writer.ts";
import type { MailboxView } from "./mailbox_view.ts";
import type { MailboxTree } from "./mailbox_names.ts";
import type { SearchKey } from "./search/program.ts";
import type { SortCriterion } from "./sort/criteria.ts";

/** Session states (RFC 9051 §3). */
export type ImapState = "notAuthenticated" | "authenticated" | "selected" | "logout";

/** What a read returned. */
export type ReadOutcome = { kind: "data" } | { kind: "eof" } | { kind: "timeout" } | { kind: "shutdown" };

/** One live search or sort result (RFC 5267 §4.3). */
export interface UpdateContext {
  /** The tag of the command that asked for UPDATE: the ESEARCH correlator of its updates. */
  readonly tag: string;
  /** UID SEARCH/SORT: updates name UIDs, else message sequence numbers. */
  readonly uid: boolean;
  /** The search program's key. */
  readonly key: SearchKey;
  /** Sort criteria (CONTEXT=SORT), or null for an unordered SEARCH result. */
  readonly criteria: SortCriterion[] | null;
  /** The result the client holds, as UIDs: ascending for SEARCH, in sort order for SORT. */
  result: number[];
}

/** The live SEARCH/SORT results a command registers or cancels (RFC 5267 §4.3, commands/context.ts). */
export interface SessionUpdateContexts {
  /** Registers a context; false when the session holds the most it may. */
  add(ctx: UpdateContext): boolean;
  /** Cancels the contexts of these tags; false (nothing cancelled) when one is unknown. */
  cancel(tags: readonly string[]): boolean;
}

/** The active NOTIFY (RFC 5465) as a command replaces it (commands/notify.ts). */
export interface SessionNotify {
  /** Ends its subscriptions. */
  close(): void;
}

/** A running IMAP session, as the command handlers use it. */
export interface ImapSession {
  /** Protocol state (RFC 9051 §3). */
  state: ImapState;
  /** The logged-in account. */
  account: Account | null;
  /** The selected mailbox, if any. */
  view: MailboxView | null;
  /** Extensions enabled with ENABLE (uppercase). */
  readonly enabled: Set<string>;
  /** Command framing state. */
  readonly framer: CommandFramer;
  /** Response output. */
  readonly out: ResponseWriter;
  /** This session's mark on the store writes whose result it applies to its view itself. */
  readonly origin: symbol;
  /** Saved search result for `$` (RFC 5182), as UIDs. */
  savedSearch: number[];
  /** Live SEARCH/SORT results (RFC 5267 §4.3). */
  readonly contexts: SessionUpdateContexts;
  /** The active NOTIFY (RFC 5465), or null. */
  notify: SessionNotify | null;
  /** Server-wide services. */
  readonly server: ServerContext;
  /** This connection. */
  readonly conn: ConnectionContext;
  /** True once COMPRESS=DEFLATE is active (RFC 4978). */
  readonly compressed: boolean;
  /** True once IMAP4rev2 was enabled (RFC 9051 §6.3.1). */
  readonly rev2: boolean;
  /** True once CONDSTORE was enabled (RFC 7162 §3.1). */
  readonly condstore: boolean;
  /** True once QRESYNC was enabled (RFC 7162 §3.2.3). */
  readonly qresync: boolean;
  /** True when mailbox names and quoted strings are UTF-8 (rev2 or UTF8=ACCEPT, RFC 6855). */
  readonly utf8: boolean;
  /** The store. */
  readonly store: Store;
  /** The logged-in account (throws inside authenticated-only handlers otherwise). */
  readonly accountId: string;
  /** The account owning the selected mailbox: another one for a shared mailbox (RFC 4314). */
  readonly viewOwner: string;
  /** Whether password authentication is allowed now (TLS or listener allows plaintext). */
  readonly plaintextAllowed: boolean;
  /** Switches both directions to raw DEFLATE (RFC 4978 §3), right after the tagged OK was flushed. */
  startCompression(): void;
  /** Current CAPABILITY list. */
  capabilities(): string[];
  /** Decodes a mailbox name from the client (modified UTF-7 unless UTF-8 is enabled). */
  decodeName(name: string): string;
  /** Encodes a mailbox name for a response. */
  encodeName(name: string): string;
  /** Loads the account's mailbox tree. */
  tree(): Promise<MailboxTree>;
  /** Called after LOGIN/AUTHENTICATE succeeded. */
  loggedIn(account: Account): void;
  /** Wakes the read loop for NOTIFY news from another account (a shared mailbox's owner). */
  notifyWake(): void;
  /** Selects a mailbox view (or deselects with null). */
  setView(view: MailboxView | null): void;
  /** Sends pending updates of the selected mailbox (RFC 9051 §7.5.1). */
  deliverUpdates(allowExpunge: boolean, force?: boolean): Promise<void>;
  /** Reports removed messages: `* n EXPUNGE`, or `* VANISHED` under QRESYNC (RFC 7162 §3.2.10). */
  reportExpunged(seqs: number[], uids: number[]): Promise<void>;
  /** Reads more bytes into the framer, or returns early on a timeout, shutdown or wake-up. */
  read(timeoutMs: number, wakeable?: boolean | "notify"): Promise<ReadOutcome | { kind: "wake" }>;
  /** Sends NOTIFY's news (RFC 5465 §4). */
  deliverNotify(betweenCommands: boolean): Promise<void>;
  /** How long a command reading a raw line itself may wait, and the BYE text if it times out. */
  lineWait(idleMs: number): { ms: number; bye: string };
  /** Reads one raw line (AUTHENTICATE continuation, IDLE DONE); null on EOF/timeout/shutdown. */
  readRawLine(): Promise<Uint8Array | "tooLong" | null>;
}
