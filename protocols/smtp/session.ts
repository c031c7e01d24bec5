/**
 * The SMTP session state machine (RFC 5321 §4.1.4 command order), shared by the MX, submission,
 * submissions and LMTP (RFC 2033) listeners: connected → greeted (HELO/EHLO, or LHLO in LMTP) →
 * [authenticated] → MAIL → RCPT → DATA/BDAT → greeted. LMTP differs only in its greeting command,
 * in refusing every non-local recipient and in replying once per recipient after the data. Which
 * command is allowed in which phase comes from one table; replies come from codes.ts; all I/O goes
 * through `SessionIo` over the abstract `Transport`.
 *
 * @module
 */
import type { ConnectionContext } from "../../core/context.ts";
import type { Account } from "../../core/store/types.ts";
import type { RateLimiter } from "../../core/policy/rate_limiter.ts";
import type { DeliveryPipeline, DeliveryTransaction, Refusal } from "../../core/delivery/pipeline.ts";
import { MessageSpool } from "../../core/delivery/spool.ts";
import { Code, Replies, reply, type SmtpReply } from "./codes.ts";
import { addressToString, isNonAscii, type MailAddress, parseCommand, type SmtpCommand } from "./command.ts";
import { DotDecoder } from "./dot_decoder.ts";
import { fromAddresses } from "./from_header.ts";
import { SessionIo } from "./io.ts";
import type { NetworkList } from "./networks.ts";
import { type MailOptions, parseMailParams, parseRcptParams } from "./params.ts";
import { runAuth } from "./auth.ts";
import { connectionChecksOf } from "../../core/mailauth/server.ts";
import type { ConnectionVerdict } from "../../core/mailauth/connection.ts";

/** Which listener the session runs on. */
export type SmtpMode = "smtp" | "submission" | "submissions" | "lmtp";

/** True for the message submission listeners (RFC 6409, RFC 8314), where AUTH is required. */
export function isSubmission(mode: SmtpMode): boolean {
  return mode === "submission" || mode === "submissions";
}

/** Server-wide helpers a session uses, built once per handler. */
export interface SmtpSessionDeps {
  mode: SmtpMode;
  /** The server's inbound delivery pipeline (core/delivery/pipeline.ts): routing, storage, hooks. */
  delivery: DeliveryPipeline;
  relayNetworks: NetworkList;
  /** Per IP+sender message rate (null = unlimited). */
  rateLimiter: RateLimiter | null;
}

/** Session phases (RFC 5321 §4.1.4). */
export type Phase = "connected" | "greeted" | "mail" | "rcpt" | "bdat";

/** RFC 5321 §4.5.3.1.4/§4.5.3.1.6: 512/1000 octets per line; we allow 1000 including CRLF. */
export const MAX_LINE = 998;
/** RFC 4954 §4: AUTH lines (and SASL responses) may be up to 12288 octets. */
export const MAX_AUTH_LINE = 12288;
/** Commands that do not match the phase this many times in a row end the session (abuse). */
const MAX_ERRORS = 20;
/** BDAT chunk bytes read at a time. */
const BDAT_SLICE = 256 * 1024;

interface Transaction {
  from: MailAddress | null;
  opts: MailOptions;
  /** The pipeline transaction: accepted recipients and their routes. */
  delivery: DeliveryTransaction;
  spool: MessageSpool | null;
  /** Writing the spool failed (disk): the data is read to its end, then 451. */
  spoolError: boolean;
}

type Handler = (s: SmtpSession, cmd: SmtpCommand) => Promise<void> | void;

/** One row of the command table: where the verb is allowed and who runs it. */
interface CommandSpec {
  phases: readonly Phase[] | "any";
  run: Handler;
}

/** The SMTP conversation with one client. */
export class SmtpSession {
  readonly conn: ConnectionContext;
  readonly deps: SmtpSessionDeps;
  readonly io: SessionIo;
  phase: Phase = "connected";
  esmtp = false;
  heloName = "";
  account: Account | null = null;
  tx: Transaction | null = null;
  #txCount = 0;
  /** Connection checks' verdict for the current HELO name (MX path only, core/mailauth/connection.ts). */
  #checked: { helo: string; verdict: ConnectionVerdict } | null = null;
  #errors = 0;
  #quit = false;

  /**
   * @param conn the connection (transport, session, logger, shutdown)
   * @param deps server-wide helpers
   */
  constructor(conn: ConnectionContext, deps: SmtpSessionDeps) {
    this.conn = conn;
    this.deps = deps;
    this.io = new SessionIo(conn.transport, conn.server.config.smtp.idle_timeout * 1000);
  }

  get #config() {
    return this.conn.server.config;
  }

  /**
   * True once the client must see enhanced status codes (RFC 2034 §3: after EHLO). LMTP has no
   * non-extended mode (RFC 2033 §4.1: LHLO is its only greeting), so there they are always on.
   */
  get enhanced(): boolean {
    return this.esmtp || this.#lmtp;
  }

  get #lmtp(): boolean {
    return this.deps.mode === "lmtp";
  }

  /** Queues a reply. */
  send(r: SmtpReply): void {
    this.io.send(r, this.enhanced);
  }

  /** True when AUTH may be used now (over TLS, or plaintext allowed on this listener). */
  get authAllowed(): boolean {
    return this.conn.transport.secure || this.conn.listener.allow_plaintext_auth;
  }

  #setPhase(p: Phase): void {
    this.phase = p;
    this.conn.session.state = p;
  }

  /** Runs the session to its end; never throws. */
  async run(): Promise<void> {
    const timer = setTimeout(() => this.io.interrupt("session"), this.#config.smtp.session_timeout * 1000);
    const onShutdown = () => this.io.interrupt("shutdown");
    this.conn.shutdown.addEventListener("abort", onShutdown);
    try {
      if (this.conn.shutdown.aborted) this.io.interrupt("shutdown");
      // RFC 5321 §4.3.1 / RFC 2033 §4: the greeting (no enhanced code: RFC 2034 §3).
      const kind = this.#lmtp ? "LMTP" : "ESMTP";
      this.io.send(reply(Code.ServiceReady, undefined, `${this.#config.hostname} ${kind} Tern ready`), false);
      await this.#loop();
    } catch (e) {
      this.conn.log.error("smtp session failed", { error: e instanceof Error ? e.message : String(e) });
      this.send(Replies.localError());
    } finally {
      clearTimeout(timer);
      this.io.close();
      this.conn.shutdown.removeEventListener("abort", onShutdown);
      await this.tx?.spool?.discard();
      this.tx = null;
      const reason = this.io.endReason;
      if (!this.#quit) {
        if (reason === "idle") this.io.send(Replies.idleTimeout(), true);
        else if (reason === "session") this.io.send(Replies.sessionTimeout(), true);
        else if (reason === "shutdown") this.io.send(Replies.shuttingDown(), true);
      }
      await this.io.flush();
      this.conn.transport.close();
    }
  }

  async #loop(): Promise<void> {
    while (!this.#quit) {
      const r = await this.io.reader.readLine(MAX_AUTH_LINE);
      if (r === null || r.ending === "none") return;
      // A line over 1000 octets (AUTH: 12288) gets 500 5.5.2; the session goes on (§4.5.3.1.6).
      const isAuth = r.line.length >= 4 && /^auth$/i.test(String.fromCharCode(...r.line.subarray(0, 4)));
      if (r.tooLong || (r.line.length > MAX_LINE && !isAuth)) {
        this.send(Replies.lineTooLong());
        if (++this.#errors > MAX_ERRORS) return this.#tooManyErrors();
        continue;
      }
      const parsed = parseCommand(r.line);
      if (!parsed.ok) {
        this.send(parsed.reply);
        if (/^bdat(?: |$)/i.test(new TextDecoder().decode(r.line.subarray(0, 5)))) {
          // RFC 3030 §2: the chunk's data follows the command, and with no size the server cannot
          // tell it from the next commands. The 501 answers the command; the 421 (RFC 5321 §3.8)
          // says why the connection ends, so the client never sees a close without a reply.
          this.send(Replies.bdatUnsynchronised());
          this.#quit = true;
          return;
        }
        if (++this.#errors > MAX_ERRORS) return this.#tooManyErrors();
        continue;
      }
      const cmd = parsed.command;
      const spec = COMMANDS[cmd.verb];
      if (cmd.verb !== "BDAT" && spec.phases !== "any" && !spec.phases.includes(this.phase)) {
        this.send(this.#sequenceError(cmd));
        if (++this.#errors > MAX_ERRORS) return this.#tooManyErrors();
        continue;
      }
      this.#errors = 0;
      try {
        await spec.run(this, cmd);
      } catch (e) {
        // A failing dependency (store, auth) is a temporary error for this command only.
        this.conn.log.error("smtp command failed", {
          command: cmd.verb,
          error: e instanceof Error ? e.message : String(e),
        });
        this.send(Replies.localError());
      }
      // core/metrics: the command's result is its last reply's class (RFC 5321 §4.2.1).
      const code = this.io.lastCode;
      this.conn.server.metrics?.command(
        this.conn.session.protocol,
        cmd.verb,
        code < 400 ? "ok" : code < 500 ? "tempfail" : "permfail",
      );
      if (this.io.endReason !== null && this.io.endReason !== "eof") return;
    }
  }

  #tooManyErrors(): void {
    this.send(reply(Code.ServiceUnavailable, "4.7.0", "Too many errors, closing connection"));
    this.#quit = true;
  }

  #sequenceError(cmd: SmtpCommand): SmtpReply {
    if (this.phase === "connected") {
      return Replies.badSequence(this.#lmtp ? "Send LHLO first" : "Send HELO/EHLO first");
    }
    if (cmd.verb === "MAIL") return Replies.badSequence("Nested MAIL command");
    if (cmd.verb === "RCPT") return Replies.badSequence("Need MAIL command first");
    if (cmd.verb === "DATA") {
      if (this.phase === "bdat") return Replies.badSequence("DATA not allowed after BDAT");
      return Replies.badSequence(
        this.phase === "mail" ? "Need RCPT command first" : "Need MAIL command first",
      );
    }
    return Replies.badSequence();
  }

  async #resetTx(): Promise<void> {
    const spool = this.tx?.spool;
    this.tx = null;
    if (spool) await spool.discard();
    if (this.phase !== "connected") this.#setPhase("greeted");
  }

  // ---- command handlers ------------------------------------------------------------------

  /**
   * RFC 8689 §3: REQUIRETLS is offered on SMTP and submission sessions (never LMTP, the last hop)
   * once the session is encrypted (after STARTTLS, or implicit TLS).
   */
  get #requireTlsOffered(): boolean {
    return !this.#lmtp && this.conn.transport.secure;
  }

  /** HELO / EHLO: RFC 5321 §4.1.1.1; LHLO: RFC 2033 §4.1; resets any transaction. */
  async hello(cmd: Extract<SmtpCommand, { verb: "HELO" | "EHLO" | "LHLO" }>): Promise<void> {
    // RFC 2033 §4.1: LHLO replaces HELO and EHLO, so a client speaking the wrong protocol is
    // detected at once; SMTP does not know LHLO. The session state is left as it was.
    if (this.#lmtp !== (cmd.verb === "LHLO")) {
      return this.send(this.#lmtp ? Replies.useLhlo() : Replies.unknownCommand());
    }
    await this.#resetTx();
    this.heloName = cmd.domain;
    this.esmtp = cmd.verb !== "HELO";
    this.#setPhase("greeted");
    const greeting = `${this.#config.hostname} Hello ${cmd.domain} [${this.conn.transport.remoteAddress}]`;
    if (!this.esmtp) {
      this.io.send(reply(Code.Ok, undefined, greeting), false);
      return;
    }
    const lines = [
      greeting,
      "PIPELINING", // RFC 2920
      `SIZE ${this.#config.smtp.max_message_size}`, // RFC 1870
      "8BITMIME", // RFC 6152
      "SMTPUTF8", // RFC 6531
      "CHUNKING", // RFC 3030
      "BINARYMIME", // RFC 3030
      "DSN", // RFC 3461
      "ENHANCEDSTATUSCODES", // RFC 2034
    ];
    if (this.conn.listener.tls === "starttls" && !this.conn.transport.secure) lines.push("STARTTLS"); // RFC 3207
    if (this.#requireTlsOffered) lines.push("REQUIRETLS"); // RFC 8689 §3: only once TLS is in use
    // No AUTH on LMTP: the listener's address policy decides who may talk to it.
    if (this.account === null && this.authAllowed && !this.#lmtp) {
      const mechs = this.conn.server.auth.mechanisms();
      if (mechs.length > 0) lines.push(`AUTH ${mechs.join(" ")}`); // RFC 4954
    }
    lines.push("HELP");
    // RFC 2034 §3: no enhanced code on the EHLO (LHLO) reply.
    this.io.send(reply(Code.Ok, undefined, ...lines), false);
  }

  /** MAIL FROM: RFC 5321 §4.1.1.2. */
  async mail(cmd: Extract<SmtpCommand, { verb: "MAIL" }>): Promise<void> {
    const submission = isSubmission(this.deps.mode);
    if (submission && this.account === null) {
      // RFC 6409 §4.3 (and RFC 8314 for 465): submission requires authentication.
      this.send(this.authAllowed ? Replies.authRequired() : Replies.tlsRequired());
      return;
    }
    const p = parseMailParams(cmd.params, {
      esmtp: this.esmtp,
      maxSize: this.#config.smtp.max_message_size,
      requireTlsOffered: this.#requireTlsOffered,
    });
    if (!p.ok) return this.send(p.reply);
    // RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter.
    if (cmd.from && isNonAscii(cmd.from) && !p.value.smtputf8) return this.send(Replies.utf8Required());
    if (submission && this.account && cmd.from && !(await this.#mayUse(addressToString(cmd.from)))) {
      this.conn.log.warn("sender address refused", { sender_domain: cmd.from.domain });
      return this.send(Replies.senderNotOwned());
    }
    // LMTP: the MTA in front has already applied its sender policy.
    if (this.deps.rateLimiter && !this.#lmtp) {
      const sender = cmd.from ? addressToString(cmd.from).toLowerCase() : "<>";
      const r = await this.deps.rateLimiter.consume(`${this.conn.transport.remoteAddress}|${sender}`);
      if (!r.allowed) return this.send(Replies.rateLimited());
    }
    // DNS lists, reverse DNS and HELO sanity of mail from outside (`[smtp.checks]`).
    const checked = await this.#connectionChecks();
    if (checked?.refusal) {
      return this.send(reply(checked.refusal.code, checked.refusal.enhanced, checked.refusal.text));
    }
    const transport = this.conn.transport;
    const delivery = this.deps.delivery.begin({
      from: cmd.from ? addressToString(cmd.from) : null,
      smtputf8: p.value.smtputf8,
      body: p.value.body,
      ret: p.value.ret,
      envid: p.value.envid,
      size: p.value.size,
      requireTls: p.value.requireTls,
    }, {
      kind: "smtp",
      lmtp: this.#lmtp,
      heloName: this.heloName,
      esmtp: this.esmtp,
      clientIp: transport.remoteAddress,
      tls: transport.secure ? transport.tlsInfo : null,
      authenticatedAs: this.account?.address ?? null,
      sessionId: this.conn.session.id,
    }, {
      // Never an open relay: only authenticated clients or relay_networks may relay.
      mayRelay: this.account !== null || this.deps.relayNetworks.contains(transport.remoteAddress),
      // LMTP is the last hop into local mailboxes (RFC 2033 §1): never a relay, whoever asks.
      localOnly: this.#lmtp,
      id: `${this.conn.session.id}-${++this.#txCount}`,
    });
    // Issue 16: an authenticated sender's plan (RFC 1870 SIZE against its maximum, daily send limit).
    const limit = await delivery.checkSender();
    if (limit) {
      this.conn.log.info("plan limit", { code: limit.enhanced });
      return this.send(replyOf(limit));
    }
    this.tx = { from: cmd.from, opts: p.value, delivery, spool: null, spoolError: false };
    this.#setPhase("mail");
    this.send(Replies.senderOk());
  }

  /**
   * The connection checks' verdict on an unauthenticated client of the MX listener (not relay
   * networks), computed once per HELO name; null when the checks do not apply.
   */
  async #connectionChecks(): Promise<ConnectionVerdict | null> {
    const ip = this.conn.transport.remoteAddress;
    if (this.deps.mode !== "smtp" || this.account !== null || this.deps.relayNetworks.contains(ip)) {
      this.#checked = null;
      return null;
    }
    if (this.#checked?.helo !== this.heloName) {
      const checks = connectionChecksOf(this.conn.server);
      const verdict = checks.active
        ? await checks.connection(ip, this.heloName, this.conn.session.id)
        : { allowlisted: false, refusal: null };
      this.#checked = { helo: this.heloName, verdict };
    }
    return this.#checked.verdict;
  }

  /** True when the authenticated account may use `address` as sender (its own or an alias). */
  async #mayUse(address: string): Promise<boolean> {
    const account = this.account;
    if (!account) return false;
    const any = this.#config.smtp.sender_any_accounts.map((a) => a.toLowerCase());
    if (any.includes(account.address.toLowerCase())) return true;
    const mine = new Set(
      (await this.conn.server.store.sendableAddresses(account.id)).map((a) => a.toLowerCase()),
    );
    const a = address.toLowerCase();
    if (mine.has(a)) return true;
    // Plus-addressing: user+tag@domain is user@domain's.
    const m = /^([^+@]+)\+[^@]*(@.*)$/.exec(a);
    return m !== null && mine.has(m[1]! + m[2]!);
  }

  /** RCPT TO: RFC 5321 §4.1.1.3, with local lookup and relay control. */
  async rcpt(cmd: Extract<SmtpCommand, { verb: "RCPT" }>): Promise<void> {
    const tx = this.tx!;
    const p = parseRcptParams(cmd.params, { esmtp: this.esmtp });
    if (!p.ok) return this.send(p.reply);
    if (isNonAscii(cmd.to) && !tx.opts.smtputf8) return this.send(Replies.utf8Required());
    if (tx.delivery.recipients.length >= this.#config.smtp.max_recipients) {
      return this.send(Replies.tooManyRecipients());
    }
    let address = addressToString(cmd.to);
    if (cmd.to.domain === "") {
      // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain must be accepted.
      address = `postmaster@${this.#config.local_domains[0] ?? this.#config.hostname}`;
    }
    // RFC 6647 greylisting of mail from outside, per recipient (allowlisted clients skip it).
    if (this.#checked && !this.#checked.verdict.allowlisted) {
      const g = connectionChecksOf(this.conn.server).recipient(
        this.conn.transport.remoteAddress,
        tx.from ? addressToString(tx.from) : null,
        address,
        this.conn.session.id,
      );
      if (g) return this.send(reply(g.code, g.enhanced, g.text));
    }
    // Resolution, routing, relay and quota rules are the pipeline's; each refusal is this RCPT's reply.
    const refusal = await tx.delivery.addRecipient({ address, ...p.value });
    if (refusal !== null) {
      if (refusal.reason === "notLocal") {
        this.conn.log.info("lmtp non-local recipient refused", { rcpt_domain: cmd.to.domain });
      } else if (refusal.reason === "relayDenied") {
        this.conn.log.info("relay denied", { rcpt_domain: cmd.to.domain });
      } else if (refusal.reason === "planLimit") {
        this.conn.log.info("plan limit", { rcpt_domain: cmd.to.domain, code: refusal.enhanced });
      }
      return this.send(replyOf(refusal));
    }
    this.#setPhase("rcpt");
    this.send(Replies.recipientOk());
  }

  #newSpool(): MessageSpool {
    const smtp = this.#config.smtp;
    return new MessageSpool({
      dataDir: this.#config.data_dir,
      threshold: smtp.spill_threshold,
      maxSize: smtp.max_message_size,
    });
  }

  /** DATA: RFC 5321 §4.1.1.4. */
  async data(): Promise<void> {
    const tx = this.tx!;
    if (tx.opts.body === "BINARYMIME") {
      // RFC 3030 §3: BINARYMIME messages must be sent with BDAT.
      return this.send(Replies.badSequence("BODY=BINARYMIME requires BDAT"));
    }
    this.send(Replies.startData());
    const spool = this.#newSpool();
    tx.spool = spool;
    const decoder = new DotDecoder();
    for (;;) {
      const chunk = await this.io.reader.readChunk();
      if (chunk === null) return await this.#resetTx(); // connection lost: nothing kept
      const { body, end } = decoder.feed(chunk);
      if (!tx.spoolError) await this.#append(tx, body);
      if (end !== -1) {
        this.io.unread(chunk.subarray(end));
        break;
      }
    }
    await this.#finish();
  }

  /** BDAT: RFC 3030 §2. The chunk is always read, even when the command is refused. */
  async bdat(cmd: Extract<SmtpCommand, { verb: "BDAT" }>): Promise<void> {
    const allowed = this.phase === "rcpt" || this.phase === "bdat";
    const tx = this.tx;
    const keep = allowed && tx !== null;
    if (keep && tx.spool === null) tx.spool = this.#newSpool();
    let remaining = cmd.size;
    while (remaining > 0) {
      const chunk = await this.io.reader.readChunk();
      if (chunk === null) return await this.#resetTx();
      const take = Math.min(remaining, chunk.length, BDAT_SLICE);
      if (take < chunk.length) this.io.unread(chunk.subarray(take));
      if (keep && !tx.spoolError) await this.#append(tx, [chunk.subarray(0, take)]);
      remaining -= take;
    }
    if (!allowed || tx === null) {
      return this.send(
        this.phase === "mail" ? Replies.badSequence("Need RCPT command first") : this.#sequenceError(cmd),
      );
    }
    if (tx.spoolError || tx.spool?.overflowed) {
      // RFC 3030 §2 / RFC 1870: the transaction fails; later chunks of it get 503 after being read.
      // A failing BDAT LAST ends the data: in LMTP that is one reply per recipient.
      const r = tx.spoolError ? Replies.localError() : Replies.tooBig();
      if (cmd.last) this.#sendFinal(tx, r);
      else this.send(r);
      return await this.#resetTx();
    }
    this.#setPhase("bdat");
    if (!cmd.last) return this.send(Replies.chunkOk(cmd.size));
    await this.#finish();
  }

  /** Appends to the spool; a disk error is remembered (the data must still be read to its end). */
  async #append(tx: Transaction, parts: Uint8Array[]): Promise<void> {
    try {
      for (const b of parts) await tx.spool!.append(b);
    } catch (e) {
      tx.spoolError = true;
      this.conn.log.error("spool write failed", { error: e instanceof Error ? e.message : String(e) });
      await tx.spool!.discard();
    }
  }

  /**
   * The reply that ends a transaction's data: once in SMTP; in LMTP once per accepted recipient,
   * in RCPT order (RFC 2033 §4.2), each naming its recipient.
   */
  #sendFinal(tx: Transaction, r: SmtpReply): void {
    if (!this.#lmtp) return this.send(r);
    for (const rcpt of tx.delivery.recipients) this.send(forRecipient(r, rcpt.address));
  }

  /** End of data: checks, then delivery; one reply for the transaction (LMTP: per recipient). */
  async #finish(): Promise<void> {
    const tx = this.tx!;
    const spool = tx.spool!;
    try {
      if (tx.spoolError) return this.#sendFinal(tx, Replies.localError());
      // RFC 1870 §6, after the terminator
      if (spool.overflowed) return this.#sendFinal(tx, Replies.tooBig());
      if (this.#lmtp) return await this.#deliverEach(tx, spool);
      if (isSubmission(this.deps.mode) && this.account) {
        for (const a of fromAddresses(spool.head())) {
          if (!(await this.#mayUse(a))) {
            this.conn.log.warn("from header refused", {});
            return this.send(Replies.fromNotOwned());
          }
        }
      }
      this.send(await this.#deliver(tx, spool));
    } finally {
      await this.#resetTx();
    }
  }

  /**
   * LMTP delivery (RFC 2033 §4.2): the pipeline stores the message once and places it per
   * recipient, so each recipient gets its own reply (one full mailbox fails only its recipient).
   */
  async #deliverEach(tx: Transaction, spool: MessageSpool): Promise<void> {
    const result = await tx.delivery.deliver(spool, { perRecipient: true });
    let failed = 0;
    for (const r of result.recipients) {
      if (r.status === "failed") failed++;
      this.send(
        forRecipient(r.status === "failed" ? replyOf(r.refusal) : Replies.delivered(result.id), r.address),
      );
    }
    this.conn.log.info("message accepted", {
      queue_id: result.id,
      size: spool.size,
      recipients: result.recipients.length,
      failed_recipients: failed,
      spilled: spool.spilled,
    });
  }

  /**
   * SMTP delivery: one reply for the transaction, 250 only once the pipeline has committed every
   * recipient (local placements and the queue entry); post-delivery hooks never delay it.
   */
  async #deliver(tx: Transaction, spool: MessageSpool): Promise<SmtpReply> {
    const result = await tx.delivery.deliver(spool);
    const failure = result.recipients.find((r) => r.status === "failed");
    if (failure?.status === "failed") return replyOf(failure.refusal);
    this.conn.log.info("message accepted", {
      queue_id: result.id,
      size: spool.size,
      recipients: result.recipients.length,
      spilled: spool.spilled,
    });
    return Replies.queued(result.id);
  }

  /** RSET: RFC 5321 §4.1.1.5. */
  async rset(): Promise<void> {
    await this.#resetTx();
    this.send(Replies.ok());
  }

  /** QUIT: RFC 5321 §4.1.1.10. */
  quit(): void {
    this.#quit = true;
    this.send(Replies.bye());
  }

  /** STARTTLS: RFC 3207 §4. */
  async starttls(): Promise<void> {
    const transport = this.conn.transport;
    if (transport.secure) return this.send(Replies.badSequence("TLS already active"));
    if (this.conn.listener.tls !== "starttls") {
      return this.send(Replies.notImplemented("STARTTLS not available"));
    }
    this.send(Replies.readyForTls());
    await this.io.flush();
    // RFC 3207 §4.2: anything the client sent after STARTTLS in plaintext is dropped, never run.
    const dropped = this.io.discardInput();
    if (dropped > 0) this.conn.log.warn("discarded bytes pipelined after STARTTLS", { bytes: dropped });
    try {
      await transport.upgradeTls();
    } catch (e) {
      this.conn.log.info("tls handshake failed", { error: e instanceof Error ? e.message : String(e) });
      this.#quit = true;
      return;
    }
    this.conn.session.secure = true;
    // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
    await this.#resetTx();
    this.esmtp = false;
    this.heloName = "";
    this.account = null;
    this.#setPhase("connected");
  }

  /** AUTH: RFC 4954 §4. */
  async auth(cmd: Extract<SmtpCommand, { verb: "AUTH" }>): Promise<void> {
    // LMTP: trust comes from the listener's address policy, not from AUTH (not advertised).
    if (this.#lmtp) return this.send(Replies.notImplemented("AUTH not available in LMTP"));
    if (this.account !== null) return this.send(Replies.badSequence("Already authenticated"));
    if (!this.authAllowed) {
      return this.send(this.deps.mode === "smtp" ? Replies.encryptionRequired() : Replies.tlsRequired());
    }
    const account = await runAuth(this, cmd.mechanism, cmd.initial);
    if (account) {
      this.account = account;
      this.conn.setUser(account.address);
      this.send(Replies.authSucceeded());
    }
  }

  /** Reads one SASL response line (null at end of input). */
  async readAuthLine(): Promise<{ line: Uint8Array; tooLong: boolean } | null> {
    const r = await this.io.reader.readLine(MAX_AUTH_LINE);
    if (r === null || r.ending === "none") return null;
    return r;
  }
}

/** Which commands each phase allows (RFC 5321 §4.1.4) and who runs them. */
const COMMANDS: Record<SmtpCommand["verb"], CommandSpec> = {
  HELO: { phases: "any", run: (s, c) => s.hello(c as Extract<SmtpCommand, { verb: "HELO" }>) },
  EHLO: { phases: "any", run: (s, c) => s.hello(c as Extract<SmtpCommand, { verb: "EHLO" }>) },
  LHLO: { phases: "any", run: (s, c) => s.hello(c as Extract<SmtpCommand, { verb: "LHLO" }>) },
  MAIL: { phases: ["greeted"], run: (s, c) => s.mail(c as Extract<SmtpCommand, { verb: "MAIL" }>) },
  RCPT: { phases: ["mail", "rcpt"], run: (s, c) => s.rcpt(c as Extract<SmtpCommand, { verb: "RCPT" }>) },
  DATA: { phases: ["rcpt"], run: (s) => s.data() },
  BDAT: { phases: ["rcpt", "bdat"], run: (s, c) => s.bdat(c as Extract<SmtpCommand, { verb: "BDAT" }>) },
  RSET: { phases: "any", run: (s) => s.rset() },
  NOOP: { phases: "any", run: (s) => s.send(Replies.ok()) },
  QUIT: { phases: "any", run: (s) => s.quit() },
  // RFC 5321 §3.5.3: 252 without disclosing whether the address exists.
  VRFY: { phases: "any", run: (s) => s.send(Replies.cannotVerify()) },
  EXPN: { phases: "any", run: (s) => s.send(Replies.notImplemented("EXPN not available")) },
  HELP: { phases: "any", run: (s) => s.send(s.deps.mode === "lmtp" ? Replies.lmtpHelp() : Replies.help()) },
  STARTTLS: { phases: ["greeted"], run: (s) => s.starttls() },
  AUTH: { phases: ["greeted"], run: (s, c) => s.auth(c as Extract<SmtpCommand, { verb: "AUTH" }>) },
};

/** A pipeline refusal as an SMTP reply (its code and RFC 3463 enhanced code as given). */
function replyOf(r: Refusal): SmtpReply {
  return reply(r.code, r.enhanced, r.text);
}

/** The reply with its recipient in front of the text, e.g. `552 5.2.2 <bob@example.org> Mailbox full`. */
function forRecipient(r: SmtpReply, address: string): SmtpReply {
  return { ...r, lines: r.lines.map((l, i) => (i === 0 ? `<${address}> ${l}` : l)) };
}
