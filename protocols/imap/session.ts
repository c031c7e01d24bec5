/**
 * One IMAP session (RFC 9051 §3): a state machine over the transport. It frames and parses
 * commands, checks the state table, runs the handler and sends pending mailbox updates only where
 * RFC 9051 §7.5.1 allows them.
 *
 * @module
 */
import type { ConnectionContext, ServerContext } from "../../core/context.ts";
import type { Account, Placement } from "../../core/store/types.ts";
import { StoreError } from "../../core/store/types.ts";
import type { ChangeEvent } from "../../core/store/notifier.ts";
import type { Store } from "../../core/store/store.ts";
import { CommandFramer } from "./parser/framer.ts";
import { parseCommand } from "./parser/command_parser.ts";
import type { ParsedCommand } from "./parser/tokens.ts";
import { ResponseWriter } from "./writer.ts";
import { ImapError, type Reply } from "./errors.ts";
import type { MailboxView } from "./mailbox_view.ts";
import { MailboxTree } from "./mailbox_names.ts";
import { decodeMutf7, encodeMutf7 } from "./format/mutf7.ts";
import { astr } from "./format/strings.ts";
import { announceKeywords, claimRecent, flagsOf, reportRecent } from "./view_responses.ts";
import { formatSequenceSet } from "./parser/sequence_set.ts";
import { COMMANDS } from "./commands/table.ts";
import type { ImapSession as CommandSession, ImapState, ReadOutcome } from "./session_types.ts";
import { capabilityList } from "./capabilities.ts";
import type { Transport } from "../../core/net/transport.ts";
import { DeflateTransport } from "../../core/net/deflate_transport.ts";
import { UpdateContexts } from "./commands/context.ts";
import { fetchNewMessages, type NotifyState } from "./commands/notify.ts";

/** Commands after which pending EXPUNGEs must not be sent (RFC 9051 §7.5.1); UID variants are exempt. */
const NO_EXPUNGE_AFTER = new Set(["FETCH", "STORE", "SEARCH", "SORT", "THREAD"]);

/** Largest literal accepted before authentication. */
const PREAUTH_MAX_LITERAL = 8 * 1024;

/** The goodbye of each timer and deadline (RFC 9051 §7.1.5 BYE). */
const BYE_TEXT = {
  idle: "Autologout; idle for too long",
  command: "Command not completed in time",
  unauthenticated: "Not authenticated in time",
} as const;

/** A running IMAP session (the commands see it as `ImapSession` of session_types.ts). */
export class ImapSession implements CommandSession {
  /** Protocol state (RFC 9051 §3). */
  state: ImapState = "notAuthenticated";
  /** The logged-in account. */
  account: Account | null = null;
  /** The selected mailbox, if any. */
  view: MailboxView | null = null;
  /** Extensions enabled with ENABLE (uppercase). */
  readonly enabled = new Set<string>();
  /** Command framing state. */
  readonly framer: CommandFramer;
  /** Response output. */
  readonly out: ResponseWriter;
  /** Ends the notifier subscription made at login. */
  #unsubscribe: (() => void) | null = null;
  /** Ends the subscription to a shared mailbox owner's changes. */
  #unsubscribeShared: (() => void) | null = null;
  /** Wakes an IDLE wait when the selected mailbox changed. */
  #wake: (() => void) | null = null;
  /** A transport read is in flight. */
  #reading = false;
  /** Outcome of a finished read not yet consumed. */
  #readDone: { kind: "data" | "eof" } | null = null;
  /** Resolves the current wait in `read`. */
  #signal: (() => void) | null = null;
  #closed = false;
  /** When the session began (ms): bounds the time it may stay unauthenticated. */
  readonly #started = Date.now();
  /** When the command line or literal being received began (ms), null between commands. */
  #commandStart: number | null = null;
  /** A deadline that ended a read in `readRawLine` (the main loop says goodbye). */
  #expired: "command" | "unauthenticated" | null = null;
  /**
   * This session's mark on the store writes whose result it applies to its view itself (STORE,
   * EXPUNGE, FETCH's implicit \Seen): their change events (`ChangeEvent.origin`) need no re-read.
   */
  readonly origin: symbol = Symbol("imap session");
  /** Saved search result for `$` (RFC 5182), as UIDs. */
  savedSearch: number[] = [];
  /** Live SEARCH/SORT results (RFC 5267 §4.3 CONTEXT=SEARCH, CONTEXT=SORT). */
  readonly contexts: UpdateContexts = new UpdateContexts();
  /** The active NOTIFY (RFC 5465), or null. */
  notify: NotifyState | null = null;
  /** Where command bytes are read from: the connection, or its DEFLATE layer after COMPRESS. */
  #io: Transport;

  /**
   * Creates a session for one connection.
   *
   * @param server server-wide services
   * @param conn this connection
   */
  constructor(readonly server: ServerContext, readonly conn: ConnectionContext) {
    const cfg = server.config.imap;
    this.framer = new CommandFramer({
      maxLine: cfg.max_line_length,
      // Before login only credentials arrive in literals: small bounds stop memory abuse.
      maxLiteral: Math.min(PREAUTH_MAX_LITERAL, cfg.max_literal_size),
      maxLiterals: 4,
      maxCommandBytes: 4 * PREAUTH_MAX_LITERAL,
    });
    this.out = new ResponseWriter(conn.transport);
    this.#io = conn.transport;
  }

  /** True once COMPRESS=DEFLATE is active (RFC 4978). */
  get compressed(): boolean {
    return this.#io !== this.conn.transport;
  }

  /**
   * Switches both directions to raw DEFLATE (RFC 4978 §3), right after the tagged OK was flushed.
   * Bytes the client pipelined after the COMPRESS command are already compressed: they go to the
   * inflater, not the command parser.
   */
  startCompression(): void {
    const io = new DeflateTransport(this.conn.transport, this.framer.takeBuffered());
    this.#io = io;
    this.out.transport = io;
  }

  /** True once IMAP4rev2 was enabled (RFC 9051 §6.3.1). */
  get rev2(): boolean {
    return this.enabled.has("IMAP4REV2");
  }

  /** True once CONDSTORE was enabled (RFC 7162 §3.1): MODSEQ then accompanies flag updates. */
  get condstore(): boolean {
    return this.enabled.has("CONDSTORE");
  }

  /** True once QRESYNC was enabled (RFC 7162 §3.2.3). */
  get qresync(): boolean {
    return this.enabled.has("QRESYNC");
  }

  /** True when mailbox names and quoted strings are UTF-8 (rev2 or UTF8=ACCEPT, RFC 6855). */
  get utf8(): boolean {
    return this.enabled.has("IMAP4REV2") || this.enabled.has("UTF8=ACCEPT");
  }

  /** The store. */
  get store(): Store {
    return this.server.store;
  }

  /** The logged-in account (throws inside authenticated-only handlers otherwise). */
  get accountId(): string {
    if (!this.account) throw new ImapError("BAD", "Not authenticated");
    return this.account.id;
  }

  /** The account owning the selected mailbox: another one for a shared mailbox (RFC 4314). */
  get viewOwner(): string {
    return this.view?.mailbox.accountId ?? this.accountId;
  }

  /** Whether password authentication is allowed now (TLS or listener allows plaintext). */
  get plaintextAllowed(): boolean {
    return this.conn.transport.secure || this.conn.listener.allow_plaintext_auth;
  }

  /** Current CAPABILITY list. */
  capabilities(): string[] {
    return capabilityList(this);
  }

  /** Decodes a mailbox name from the client (modified UTF-7 unless UTF-8 is enabled). */
  decodeName(name: string): string {
    if (this.utf8) return name;
    const d = decodeMutf7(name);
    if (d === null) throw new ImapError("NO", "Invalid mailbox name encoding", "CANNOT");
    return d;
  }

  /** Encodes a mailbox name for a response. */
  encodeName(name: string): string {
    return astr(this.utf8 ? name : encodeMutf7(name), this.utf8);
  }

  /** Loads the account's mailbox tree. */
  async tree(): Promise<MailboxTree> {
    return new MailboxTree(await this.store.listMailboxes(this.accountId));
  }

  /** Called after LOGIN/AUTHENTICATE succeeded. */
  loggedIn(account: Account): void {
    this.account = account;
    this.state = "authenticated";
    const cfg = this.server.config.imap;
    // MULTIAPPEND may carry many messages; the whole command stays bounded.
    this.framer.setLimits({
      maxLiteral: cfg.max_literal_size,
      maxLiterals: 1000,
      maxCommandBytes: cfg.max_literal_size * 2,
    });
    this.conn.setUser(account.address);
    this.conn.session.state = "authenticated";
    this.#unsubscribe = this.store.notifier.subscribe(account.id, (e) => this.#onChange(e));
  }

  /** Wakes the read loop for NOTIFY news from another account (a shared mailbox's owner). */
  notifyWake(): void {
    this.#wake?.();
  }

  #onChange(e: ChangeEvent): void {
    if (this.notify && e.metadata) {
      // RFC 5465 §5.6, §5.7: METADATA changes, told with unsolicited METADATA responses.
      this.notify.metadata.push({ accountId: e.accountId, event: e.metadata });
      this.#wake?.();
      return;
    }
    if (this.notify) {
      // RFC 5465: every change of the account may be news for a watched mailbox.
      for (const id of e.mailboxIds) this.notify.pending.add(id);
      if (e.types.includes("Mailbox") || e.mailboxIds.length === 0) this.notify.pending.add("*");
      this.#wake?.();
    }
    // RFC 5267 §4.3: live results follow this session's own changes too.
    if (this.contexts.size > 0 && this.view && e.mailboxIds.includes(this.view.mailbox.id)) {
      this.contexts.dirty = true;
    }
    // Only this session's own writes, already applied to its view: nothing to read back.
    if (e.origin === this.origin) return;
    if (this.view && e.mailboxIds.includes(this.view.mailbox.id)) {
      this.view.dirty = true;
      this.#wake?.();
    }
  }

  /** Selects a mailbox view (or deselects with null). */
  setView(view: MailboxView | null): void {
    // The view left behind lets go of the expunged messages it held.
    if (this.view !== view) {
      this.view?.close();
      // RFC 5267 §4.3: update contexts end with the mailbox they search.
      this.contexts.clear();
    }
    // A shared mailbox changes in its owner's account: watch that one while it is selected.
    this.#unsubscribeShared?.();
    this.#unsubscribeShared = null;
    if (view && this.account && view.mailbox.accountId !== this.account.id) {
      this.#unsubscribeShared = this.store.notifier.subscribe(
        view.mailbox.accountId,
        (e) => this.#onChange(e),
      );
    }
    this.view = view;
    this.state = view ? "selected" : "authenticated";
    this.conn.session.state = this.state;
    this.conn.session.selected = view?.name;
  }

  /**
   * Sends pending updates of the selected mailbox (RFC 9051 §7.5.1): EXPUNGE only when `allowExpunge`,
   * then EXISTS and FETCH FLAGS. `force` looks at the store even if no change was notified.
   */
  async deliverUpdates(allowExpunge: boolean, force = false): Promise<void> {
    const view = this.view;
    if (!view) return;
    // RFC 5465 §6: under NOTIFY, the selected mailbox's changes are told only as its SELECTED or
    // SELECTED-DELAYED group asks; without one the view stays as the client knows it (still dirty,
    // so that it catches up once NOTIFY changes).
    const quiet = this.notify?.selectedQuiet ?? false;
    if (quiet || (!view.dirty && !force && !(allowExpunge && view.gone.size > 0))) {
      return await this.contexts.refresh(this);
    }
    view.dirty = false;
    // Incremental: only placements changed and UIDs expunged since the view's MODSEQ (RFC 7162 style).
    const since = view.modseq;
    let changed: Placement[];
    let expunged: number[];
    try {
      // The mailbox owner's account: another one for a shared mailbox (RFC 4314).
      const owner = view.mailbox.accountId;
      changed = await this.store.listPlacements(owner, view.mailbox.id, { changedSince: since });
      expunged = await this.store.expungedSince(owner, view.mailbox.id, since);
    } catch (e) {
      if (!(e instanceof StoreError && e.code === "notFound")) throw e;
      // The selected mailbox was deleted by another session: nothing consistent is left to show
      // (RFC 9051 §7.1.5 BYE), so the session ends after this command's reply.
      this.setView(null);
      this.state = "logout";
      await this.out.line("* BYE Selected mailbox was deleted");
      throw new ImapError("NO", "Selected mailbox was deleted", "NONEXISTENT");
    }
    const before = view.exists;
    const maxBefore = view.maxUid;
    const u = view.applyChanges(changed, expunged, allowExpunge, this.condstore);
    await this.reportExpunged(u.expunged, u.expungedUids);
    // Keywords new to this session, on changed or new messages, are announced first (RFC 9051 §7.3.5).
    const lists: (readonly string[])[] = u.flags.map(([, p]) => p.keywords);
    for (let i = before - u.expunged.length; i < view.exists; i++) lists.push(view.entries[i]!.keywords);
    await announceKeywords(this, view, lists);
    if (u.exists !== null) await this.out.line(`* ${u.exists} EXISTS`);
    await claimRecent(this, view, maxBefore);
    if (u.exists !== null || u.expunged.length > 0) await reportRecent(this, view);
    // RFC 5465 §5.1: under NOTIFY, other sessions' flag changes are told only with FlagChange.
    const flags = this.notify ? this.notify.selectedFlags : true;
    for (const [seq, p] of flags ? u.flags : []) {
      // RFC 7162 §3.2: once CONDSTORE is enabled, unsolicited FETCH responses carry MODSEQ.
      const modseq = this.condstore ? ` MODSEQ (${p.modseq})` : "";
      if (seq > 0) {
        await this.out.line(`* ${seq} FETCH (UID ${p.uid} FLAGS ${flagsOf(this, view, p)}${modseq})`);
      }
    }
    await this.contexts.refresh(this);
  }

  /**
   * Reports removed messages: `* n EXPUNGE` per sequence number (highest first), or one
   * `* VANISHED uid-set` once QRESYNC is enabled (RFC 7162 §3.2.10).
   */
  async reportExpunged(seqs: number[], uids: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.contexts.expunging(this, uids, seqs);
    if (this.qresync) {
      await this.out.line(`* VANISHED ${formatSequenceSet([...uids].sort((a, b) => a - b))}`);
      return;
    }
    for (const seq of seqs) await this.out.line(`* ${seq} EXPUNGE`);
  }

  /**
   * Reads more bytes into the framer, or returns early on the idle timeout, shutdown or (when
   * `wakeable`) a change notification. One read is outstanding at most; its result is kept for
   * the next call when something else won, and no promise reactions pile up while idling.
   */
  async read(
    timeoutMs: number,
    wakeable: boolean | "notify" = false,
  ): Promise<ReadOutcome | { kind: "wake" }> {
    if (this.#readDone) {
      const r = this.#readDone;
      this.#readDone = null;
      return r;
    }
    if (!this.#reading) {
      this.#reading = true;
      this.#io.read().then((chunk) => {
        if (chunk !== null) this.framer.push(chunk);
        return chunk === null ? "eof" as const : "data" as const;
      }, () => "eof" as const).then((kind) => {
        this.#reading = false;
        this.#readDone = { kind };
        this.#signal?.();
      });
    }
    if (wakeable === true && ((this.view?.dirty && !this.notify?.selectedQuiet) || this.#notifyDue())) {
      return { kind: "wake" };
    }
    if (wakeable === "notify" && this.#notifyDue()) return { kind: "wake" };
    if (this.conn.shutdown.aborted) return { kind: "shutdown" };
    let timedOut = false;
    let woken = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#signal?.();
    }, timeoutMs);
    const onAbort = () => this.#signal?.();
    this.conn.shutdown.addEventListener("abort", onAbort, { once: true });
    if (wakeable) {
      this.#wake = () => {
        woken = true;
        this.#signal?.();
      };
    }
    try {
      await new Promise<void>((resolve) => {
        this.#signal = resolve;
      });
    } finally {
      this.#signal = null;
      this.#wake = null;
      clearTimeout(timer);
      this.conn.shutdown.removeEventListener("abort", onAbort);
    }
    if (this.#readDone) {
      const r = this.#readDone;
      this.#readDone = null;
      return r;
    }
    if (this.conn.shutdown.aborted) return { kind: "shutdown" };
    if (woken) return { kind: "wake" };
    if (timedOut) return { kind: "timeout" };
    return { kind: "wake" };
  }

  /** NOTIFY has news: changed mailboxes, or the selected one changed under SELECTED(-DELAYED). */
  #notifyDue(): boolean {
    const n = this.notify;
    return n !== null &&
      (n.pending.size > 0 || n.metadata.length > 0 || (!n.selectedQuiet && this.view?.dirty === true));
  }

  /**
   * Sends NOTIFY's news between commands (RFC 5465 §4): the selected mailbox's changes under
   * SELECTED (EXPUNGE too) or SELECTED-DELAYED (EXPUNGE held for a command that allows it), then
   * the other mailboxes' STATUS and LIST responses.
   */
  async deliverNotify(betweenCommands: boolean): Promise<void> {
    const n = this.notify;
    if (!n) return;
    const sel = n.selected;
    if (betweenCommands && sel && this.view) {
      await this.deliverUpdates(sel.filter.kind === "selected");
    }
    // RFC 5465 §5.2: MessageNew (fetch-att) sends the new messages' FETCH after their EXISTS,
    // whichever way the EXISTS went out (between commands, in IDLE, after a command).
    if (sel?.fetch) await fetchNewMessages(this, n);
    await n.deliver(this);
  }

  /**
   * How long the next read may wait: the idle timer `idleMs`, cut short by the deadline of a command
   * line or literal in progress (`imap.command_timeout` from its first byte) and, before login, by
   * the bound on the unauthenticated session (`imap.unauthenticated_timeout`). A client trickling
   * bytes restarts the idle timer on every byte, never these deadlines.
   */
  #wait(idleMs: number): { ms: number; reason: "idle" | "command" | "unauthenticated" } {
    const { command_timeout, unauthenticated_timeout } = this.server.config.imap;
    const now = Date.now();
    let best: { ms: number; reason: "idle" | "command" | "unauthenticated" } = { ms: idleMs, reason: "idle" };
    if (this.#commandStart !== null) {
      const left = this.#commandStart + command_timeout * 1000 - now;
      if (left < best.ms) best = { ms: Math.max(0, left), reason: "command" };
    }
    if (this.state === "notAuthenticated") {
      const left = this.#started + unauthenticated_timeout * 1000 - now;
      if (left < best.ms) best = { ms: Math.max(0, left), reason: "unauthenticated" };
    }
    return best;
  }

  /**
   * How long a command reading a raw line itself (IDLE waiting for DONE) may wait, and the BYE text
   * if that wait times out: the idle timer, cut short by `imap.command_timeout` once the line has
   * begun (a client trickling "DONE" does not hold the session).
   */
  lineWait(idleMs: number): { ms: number; bye: string } {
    if (this.framer.buffered > 0) this.#commandStart ??= Date.now();
    else this.#commandStart = null;
    const wait = this.#wait(idleMs);
    return { ms: wait.ms, bye: BYE_TEXT[wait.reason] };
  }

  /** Reads one raw line (AUTHENTICATE continuation, IDLE DONE); null on EOF/timeout/shutdown. */
  async readRawLine(): Promise<Uint8Array | "tooLong" | null> {
    for (;;) {
      const r = this.framer.nextRawLine();
      if (r.type === "line") {
        this.#commandStart = null;
        return r.line;
      }
      if (r.type === "tooLong") {
        this.#commandStart = null;
        return "tooLong";
      }
      // The line's first byte starts its deadline (an IDLE may wait for DONE as long as it likes).
      if (this.framer.buffered > 0) this.#commandStart ??= Date.now();
      const wait = this.#wait(this.server.config.imap.idle_timeout * 1000);
      const got = await this.read(wait.ms);
      if (got.kind === "timeout" && wait.reason !== "idle") this.#expired = wait.reason;
      if (got.kind !== "data") return null;
    }
  }

  /** The session main loop. Never throws. */
  async run(): Promise<void> {
    const log = this.conn.log;
    try {
      await this.#loop();
    } catch (e) {
      log.warn("imap session ended with an error", { error: e instanceof Error ? e.message : String(e) });
    } finally {
      this.view?.close();
      this.#unsubscribe?.();
      this.#unsubscribeShared?.();
      this.notify?.close();
      this.#closed = true;
      this.#io.close();
      this.conn.transport.close();
    }
  }

  async #loop(): Promise<void> {
    const t = this.conn.transport;
    if (this.conn.shutdown.aborted) {
      await t.write("* BYE Server shutting down\r\n");
      return;
    }
    await this.out.line(`* OK [CAPABILITY ${this.capabilities().join(" ")}] Tern IMAP ready`);
    await this.out.flush();
    const idleMs = () => this.server.config.imap.idle_timeout * 1000;
    while (!this.#closed && this.state !== "logout") {
      if (this.#expired !== null) return await this.#bye(this.#expired);
      const r = this.framer.next();
      if (r.type === "needMore") {
        if (this.framer.takeStallAfterSyncLiteral()) {
          // RFC 9051 §7.1.1 (untagged OK is informational) and §2.2.2 (the client accepts any
          // response at any time): a client that stalls after a synchronising literal (imaplib holds
          // its CRLF under Nagle until the literal is ACKed) gets a prompt ACK riding on this line
          // instead of waiting for the kernel's delayed ACK (~40 ms). Dovecot uses TCP_QUICKACK.
          await this.out.line("* OK Literal received");
        }
        await this.out.flush();
        // A command begun (bytes buffered, or lines and literals pending) must complete in time.
        if (this.framer.buffered > 0 || this.framer.inCommand) this.#commandStart ??= Date.now();
        else this.#commandStart = null;
        // RFC 9051 §5.4: the autologout timer is at least 30 minutes when authenticated.
        const wait = this.#wait(this.state === "notAuthenticated" ? Math.min(idleMs(), 60_000) : idleMs());
        const got = await this.read(wait.ms, this.notify ? "notify" : false);
        if (got.kind === "eof") return;
        if (got.kind === "wake") {
          // RFC 5465 §4: NOTIFY's news goes out at once, between commands too.
          try {
            await this.deliverNotify(true);
          } catch (e) {
            this.conn.log.warn("imap notify failed", { error: e instanceof Error ? e.message : String(e) });
          }
          continue;
        }
        if (got.kind === "timeout") return await this.#bye(wait.reason);
        if (got.kind === "shutdown") {
          await this.out.line("* BYE Server shutting down");
          await this.out.flush();
          return;
        }
        continue;
      }
      if (r.type === "literal") {
        // Each literal gets the whole command_timeout (a large APPEND is not cut short by its line).
        this.#commandStart = Date.now();
        if (r.sync) {
          await this.out.line("+ Ready for literal data");
          await this.out.flush();
        }
        continue;
      }
      this.#commandStart = null;
      if (r.type === "error") {
        // Literal bounds: RFC 7888 §4 / RFC 4469; over-long lines: RFC 9051 §4 (BAD, session goes on).
        const status = r.text.startsWith("Literal") ? "NO" : "BAD";
        await this.out.line(`${r.tag} ${r.tag === "*" ? "BAD" : status} [${r.code}] ${r.text}`);
        continue;
      }
      const parsed = parseCommand(r.command);
      if (!parsed.ok) {
        await this.out.line(`${parsed.tag} BAD ${parsed.code ? `[${parsed.code}] ` : ""}${parsed.text}`);
        continue;
      }
      await this.#execute(parsed.command);
    }
    await this.out.flush();
  }

  /** Says goodbye when a timer or deadline ends the session (RFC 9051 §7.1.5 BYE). */
  async #bye(reason: "idle" | "command" | "unauthenticated"): Promise<void> {
    await this.out.line(`* BYE ${BYE_TEXT[reason]}`);
    await this.out.flush();
  }

  async #execute(cmd: ParsedCommand): Promise<void> {
    const spec = COMMANDS.get(cmd.uid ? "UID " + cmd.name : cmd.name);
    let reply: Reply;
    if (!spec) {
      reply = { status: "BAD", text: `Unknown command ${cmd.uid ? "UID " : ""}${cmd.name}` };
    } else if (!spec.states.includes(this.state)) {
      reply = {
        status: "BAD",
        text: this.state === "notAuthenticated" ? "Log in first" : `${cmd.name} not allowed now`,
      };
    } else {
      try {
        reply = await spec.handle(this, cmd);
      } catch (e) {
        reply = this.#errorReply(e, cmd);
      }
      // A line the command read itself (IDLE's DONE) is complete: its deadline is over.
      this.#commandStart = null;
    }
    // Pending updates go with a command that was carried out, or that met messages expunged
    // meanwhile (NO [EXPUNGEISSUED]: the expunges are then told); a command refused otherwise (NO,
    // BAD) leaves them for the next, so the client knows the same messages after it, as with
    // Dovecot (RFC 9051 §7: the server may send them with any response).
    if (this.state === "selected" && (reply.status === "OK" || reply.code === "EXPUNGEISSUED")) {
      try {
        await this.deliverUpdates(cmd.uid || !NO_EXPUNGE_AFTER.has(cmd.name));
      } catch (e) {
        this.conn.log.warn("imap update failed", { error: e instanceof Error ? e.message : String(e) });
      }
    }
    if (this.notify && this.state !== "logout") {
      try {
        await this.deliverNotify(false);
      } catch (e) {
        this.conn.log.warn("imap notify failed", { error: e instanceof Error ? e.message : String(e) });
      }
    }
    // core/metrics: the tagged status is the command's result (RFC 9051 §7.1).
    this.server.metrics?.command(
      "imap",
      spec ? (cmd.uid ? "UID " + cmd.name : cmd.name) : "OTHER",
      reply.status === "OK" ? "ok" : reply.status === "NO" ? "no" : "bad",
    );
    if (reply.silent) return;
    await this.out.line(`${cmd.tag} ${reply.status} ${reply.code ? `[${reply.code}] ` : ""}${reply.text}`);
  }

  #errorReply(e: unknown, cmd: ParsedCommand): Reply {
    if (e instanceof ImapError) {
      return e.code
        ? { status: e.status, code: e.code, text: e.message }
        : { status: e.status, text: e.message };
    }
    if (e instanceof StoreError) {
      const map: Record<StoreError["code"], [string, string]> = {
        notFound: ["NONEXISTENT", "No such mailbox or message"],
        alreadyExists: ["ALREADYEXISTS", "Mailbox already exists"],
        overQuota: ["OVERQUOTA", "Quota exceeded"],
        invalid: ["CANNOT", "Invalid request"],
        hasChildren: ["HASCHILDREN", "Mailbox has children"], // RFC 9051 §6.3.5
        forbidden: ["NOPERM", "Permission denied"],
        conflict: ["INUSE", "Conflict, try again"],
      };
      const [code, text] = map[e.code];
      return { status: "NO", code, text };
    }
    this.conn.log.error("imap command failed", {
      command: cmd.name,
      error: e instanceof Error ? e.message : String(e),
    });
    return { status: "NO", code: "SERVERBUG", text: "Internal error, try again later" };
  }
}
