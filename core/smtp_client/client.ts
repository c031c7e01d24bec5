/**
 * The outbound SMTP client (RFC 5321 client side): greeting, EHLO with HELO fallback, STARTTLS
 * (opportunistic, or required), AUTH (PLAIN, LOGIN, SCRAM-SHA-256; only over TLS), then one or more
 * transactions with PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8
 * (RFC 6531), DSN parameters (RFC 3461) and CHUNKING for BINARYMIME (RFC 3030). Every wait has
 * the RFC 5321 §4.5.3.2 timeout. Protocol only: the queue decides what the replies mean.
 *
 * @module
 */
import { ByteReader } from "../net/reader.ts";
import { type ClientConnection, type ClientTlsOptions, type Connector, nodeConnector } from "./connection.ts";
import { type ClientReply, formatReply, parseEhlo, readReply } from "./reply.ts";
import { scramClient } from "./scram_client.ts";
import { matchChain, type TlsaRecord } from "../dane/tlsa.ts";

/** Reply codes the client acts on (RFC 5321 §4.2.3, RFC 4954 §6). */
export const ReplyCode = {
  /** 220 service ready (greeting, STARTTLS go-ahead). */
  ready: 220,
  /** 221 closing. */
  closing: 221,
  /** 235 authentication succeeded. */
  authOk: 235,
  /** 250 requested action completed. */
  ok: 250,
  /** 251 user not local; will forward. */
  willForward: 251,
  /** 334 AUTH continuation. */
  authContinue: 334,
  /** 354 start mail input. */
  startData: 354,
  /** 421 service not available, closing the channel. */
  closingChannel: 421,
} as const;

/** RFC 5321 §4.5.3.2 timeouts in milliseconds. */
export interface ClientTimeouts {
  connect: number;
  /** Initial 220: 5 minutes. */
  greeting: number;
  /** EHLO, STARTTLS, AUTH, MAIL, RCPT, RSET, QUIT: 5 minutes. */
  command: number;
  /** DATA initiation (354): 2 minutes. */
  dataInit: number;
  /** Each data block written: 3 minutes. */
  dataBlock: number;
  /** DATA termination (final reply): 10 minutes. */
  dataEnd: number;
}

/** RFC 5321 §4.5.3.2 minimums. */
export const RFC5321_TIMEOUTS: ClientTimeouts = {
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  dataInit: 120_000,
  dataBlock: 180_000,
  dataEnd: 600_000,
};

/** How to reach and talk to one server. */
export interface SmtpClientOptions {
  /** Address (or name) to connect to. */
  host: string;
  port: number;
  /** Name for SNI, certificate checks and logs (the MX or relay host name). */
  serverName: string;
  /** Our name in EHLO/HELO. */
  heloName: string;
  tls: "none" | "starttls" | "implicit";
  /** Fail unless the session is encrypted. */
  requireTls: boolean;
  tlsVerify: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca?: string[];
  auth?: { username: string; password: string };
  timeouts?: Partial<ClientTimeouts>;
  connector?: Connector;
  /**
   * RFC 7672 §2.2: the host's usable, authenticated TLSA records. When given, TLS is mandatory
   * and the certificate is authenticated by these records instead of WebPKI (`tlsVerify` ignored).
   */
  dane?: TlsaRecord[];
}

/** Stages of a session, for errors and logs. */
export type ClientStage =
  | "connect"
  | "greeting"
  | "ehlo"
  | "starttls"
  | "auth"
  | "mail"
  | "rcpt"
  | "data"
  | "message";

/** A session-level failure: the connection is unusable afterwards. */
export class SmtpClientError extends Error {
  override name = "SmtpClientError";
  /** RFC 8460 §4.3 result type of a TLS failure (e.g. "starttls-not-supported"), for TLS-RPT. */
  tlsFailure: TlsFailureType | null = null;
  /**
   * @param message what went wrong (for logs and DSN Diagnostic-Code)
   * @param stage where
   * @param permanent a 5xx or a local permanent reason (e.g. SIZE too small)
   * @param status RFC 3463 status
   * @param reply the server's reply, when it gave one
   */
  constructor(
    message: string,
    readonly stage: ClientStage,
    readonly permanent: boolean,
    readonly status: string,
    readonly reply: ClientReply | null = null,
  ) {
    super(message);
  }
}

/** RFC 8460 §4.3 result types the client can observe. */
export type TlsFailureType =
  | "starttls-not-supported"
  | "certificate-host-mismatch"
  | "certificate-expired"
  | "certificate-not-trusted"
  | "validation-failure"
  | "tlsa-invalid";

/** RFC 8460 §4.3.2.1: the result type of a failed handshake, from node's verification error code. */
export function tlsFailureOf(e: unknown): TlsFailureType {
  const code = (e as { code?: string })?.code ?? "";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return "certificate-host-mismatch";
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return "certificate-expired";
  if (
    /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED|CERT_REJECTED/.test(code)
  ) return "certificate-not-trusted";
  return "validation-failure";
}

function tlsError(message: string, type: TlsFailureType): SmtpClientError {
  const e = new SmtpClientError(message, "starttls", false, "4.7.5");
  e.tlsFailure = type;
  return e;
}

/** One recipient of a transaction. */
export interface ClientRecipient {
  address: string;
  /** RFC 3461 NOTIFY values; passed on only when the server supports DSN. */
  notify?: string[];
  orcpt?: string | null;
}

/** The envelope of one transaction. */
export interface ClientEnvelope {
  from: string | null;
  recipients: ClientRecipient[];
  size: number;
  body: "7BIT" | "8BITMIME" | "BINARYMIME";
  smtputf8: boolean;
  ret?: "FULL" | "HDRS" | null;
  envid?: string | null;
  /** RFC 8689 §4.2.1: send REQUIRETLS; the server must offer it (else 5.7.30, nothing is sent). */
  requireTls?: boolean;
}

/** Outcome of a transaction: one reply per recipient (its RCPT refusal or the final data reply). */
export interface TransactionResult {
  replies: ClientReply[];
  /** The server supports DSN (false: NOTIFY was not passed on, RFC 3461 §4.1 "relayed"). */
  dsnPassed: boolean;
}

const encoder = new TextEncoder();
const CHUNK = 64 * 1024;

function hasNonAscii(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return /[^\x00-\x7f]/.test(s);
}

/**
 * Dot-stuffs a message for DATA (RFC 5321 §4.5.2) and normalizes line endings to CRLF (a bare CR
 * or LF is never sent: RFC 5321 §2.3.8). Ends with the terminating `.` line.
 */
export function dotStuff(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(msg.length + (msg.length >> 5) + 8);
  let o = 0;
  let buf = out;
  const push = (b: number) => {
    if (o >= buf.length) {
      const n = new Uint8Array(buf.length * 2);
      n.set(buf);
      buf = n;
    }
    buf[o++] = b;
  };
  let bol = true;
  for (let i = 0; i < msg.length; i++) {
    const c = msg[i]!;
    if (bol && c === 0x2e) push(0x2e);
    bol = false;
    if (c === 0x0d) {
      push(0x0d);
      push(0x0a);
      if (msg[i + 1] === 0x0a) i++;
      bol = true;
    } else if (c === 0x0a) {
      push(0x0d);
      push(0x0a);
      bol = true;
    } else push(c);
  }
  if (!bol) {
    push(0x0d);
    push(0x0a);
  }
  push(0x2e);
  push(0x0d);
  push(0x0a);
  return buf.subarray(0, o);
}

/** RFC 3461 §4 xtext encoding. */
export function xtext(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 33 || c > 126 || ch === "+" || ch === "="
      ? `+${c.toString(16).toUpperCase().padStart(2, "0")}`
      : ch;
  }
  return out;
}

/** One SMTP client session. */
export class SmtpClient {
  readonly #opts: SmtpClientOptions;
  readonly #timeouts: ClientTimeouts;
  #conn: ClientConnection;
  #reader: ByteReader;
  #ext = new Map<string, string>();
  #esmtp = true;
  #closed = false;
  #saw421 = false;
  /** The server's greeting name (first word of the 220). */
  greeting = "";
  /** The TLSA usage that authenticated the server (RFC 7672), or null without DANE. */
  daneUsage: 2 | 3 | null = null;

  /**
   * RFC 8460 §4.3 result type of a certificate that did not verify although verification was not
   * enforced (opportunistic TLS, MTA-STS "testing"); null when it verified, without TLS, or with DANE.
   */
  get tlsProblem(): TlsFailureType | null {
    const code = this.#conn.secure && this.daneUsage === null ? this.#conn.authorizationError ?? null : null;
    return code === null ? null : tlsFailureOf({ code });
  }

  private constructor(opts: SmtpClientOptions, timeouts: ClientTimeouts, conn: ClientConnection) {
    this.#opts = opts;
    this.#timeouts = timeouts;
    this.#conn = conn;
    this.#reader = new ByteReader(conn);
  }

  /** EHLO keywords (upper case) the server announced. */
  get extensions(): ReadonlyMap<string, string> {
    return this.#ext;
  }

  /** True while the connection can carry another transaction (open, no 421 seen). */
  get reusable(): boolean {
    return !this.#closed && !this.#saw421;
  }

  /** True when the session is encrypted. */
  get secure(): boolean {
    return this.#conn.secure;
  }

  /** Connects and runs greeting, EHLO/HELO, STARTTLS and AUTH; throws SmtpClientError. */
  static async connect(opts: SmtpClientOptions): Promise<SmtpClient> {
    const timeouts = { ...RFC5321_TIMEOUTS, ...opts.timeouts };
    // RFC 7672 §2.2: with DANE the TLSA records authenticate the server, not the WebPKI.
    const dane = opts.dane !== undefined && opts.dane.length > 0;
    const tls: ClientTlsOptions = {
      servername: opts.serverName,
      verify: opts.tlsVerify && !dane,
      ca: opts.ca,
    };
    let conn: ClientConnection;
    try {
      conn = await (opts.connector ?? nodeConnector)({
        host: opts.host,
        port: opts.port,
        tls: opts.tls === "implicit" ? tls : null,
        timeoutMs: timeouts.connect,
      });
    } catch (e) {
      throw new SmtpClientError(
        `Cannot connect to ${opts.serverName}: ${(e as Error).message}`,
        "connect",
        false,
        "4.4.1",
      );
    }
    const client = new SmtpClient(opts, timeouts, conn);
    try {
      await client.#open(tls);
      return client;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  async #open(tls: ClientTlsOptions): Promise<void> {
    const greet = await this.#read("greeting", this.#timeouts.greeting);
    // RFC 5321 §3.1: a 554 greeting means no service; the client should QUIT.
    if (greet.code !== ReplyCode.ready) {
      await this.quit();
      throw this.#replyError("greeting", greet);
    }
    this.greeting = greet.lines[0]?.split(" ")[0] ?? "";
    await this.#hello();
    if (this.#opts.tls === "starttls" && !this.#conn.secure) {
      if (this.#ext.has("STARTTLS")) {
        await this.#write(`STARTTLS\r\n`, "starttls");
        const r = await this.#read("starttls", this.#timeouts.command);
        if (r.code !== ReplyCode.ready) {
          if (this.#requireTls) {
            const err = this.#replyError("starttls", r, true);
            err.tlsFailure = "starttls-not-supported";
            throw err;
          }
        } else {
          try {
            // RFC 3207 §4.2: buffered plaintext is discarded by the connection.
            this.#reader.discardBuffered();
            await this.#conn.startTls(tls);
            this.#reader = new ByteReader(this.#conn);
          } catch (e) {
            throw tlsError(
              `TLS handshake with ${this.#opts.serverName} failed: ${(e as Error).message}`,
              tls.verify ? tlsFailureOf(e) : "validation-failure",
            );
          }
          this.#checkDane();
          // RFC 3207 §4.2: the client MUST discard knowledge from the server and issue EHLO again.
          await this.#hello();
        }
      }
    }
    if (this.#opts.tls === "implicit") this.#checkDane();
    if (this.#requireTls && !this.#conn.secure) {
      const err = new SmtpClientError(
        `TLS is required but ${this.#opts.serverName} does not offer STARTTLS`,
        "starttls",
        false,
        "4.7.10",
      );
      err.tlsFailure = "starttls-not-supported";
      throw err;
    }
    if (this.#opts.auth) await this.#authenticate(this.#opts.auth);
  }

  /** RFC 7672 §2.2: DANE makes TLS mandatory. */
  get #requireTls(): boolean {
    return this.#opts.requireTls || (this.#opts.dane !== undefined && this.#opts.dane.length > 0);
  }

  /**
   * RFC 7672 §3: with TLSA records, the chain the server presented must match one of them; a
   * mismatch is a temporary failure for this host (§2.2: no fallback to clear text).
   */
  #checkDane(): void {
    const records = this.#opts.dane;
    if (!records || records.length === 0 || !this.#conn.secure) return;
    const chain = this.#conn.peerChain?.() ?? [];
    const r = matchChain(chain, records, this.#opts.serverName, new Date());
    if (!r.ok) {
      throw tlsError(`DANE authentication of ${this.#opts.serverName} failed: ${r.reason}`, "tlsa-invalid");
    }
    this.daneUsage = r.usage;
  }

  async #hello(): Promise<void> {
    await this.#write(`EHLO ${this.#opts.heloName}\r\n`, "ehlo");
    const r = await this.#read("ehlo", this.#timeouts.command);
    if (r.code === ReplyCode.ok) {
      this.#ext = parseEhlo(r);
      this.#esmtp = true;
      return;
    }
    // RFC 5321 §3.2: a server that does not support EHLO answers 500/502; fall back to HELO.
    if (r.code >= 500 && r.code <= 504) {
      await this.#write(`HELO ${this.#opts.heloName}\r\n`, "ehlo");
      const h = await this.#read("ehlo", this.#timeouts.command);
      if (h.code === ReplyCode.ok) {
        this.#ext = new Map();
        this.#esmtp = false;
        return;
      }
      throw this.#replyError("ehlo", h);
    }
    throw this.#replyError("ehlo", r);
  }

  async #authenticate(auth: { username: string; password: string }): Promise<void> {
    if (!this.#conn.secure) {
      throw new SmtpClientError("Refusing to send credentials without TLS", "auth", false, "4.7.10");
    }
    const mechs = new Set((this.#ext.get("AUTH") ?? "").toUpperCase().split(/\s+/));
    const b64 = (s: string) => btoa(String.fromCharCode(...encoder.encode(s)));
    const unb64 = (s: string) => new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
    let r: ClientReply;
    if (mechs.has("SCRAM-SHA-256")) {
      const scram = scramClient(auth.username, auth.password);
      await this.#write(`AUTH SCRAM-SHA-256 ${b64(scram.first())}\r\n`, "auth");
      r = await this.#read("auth", this.#timeouts.command);
      if (r.code === ReplyCode.authContinue) {
        const final = await scram.final(unb64(r.lines[0] ?? ""));
        await this.#write(`${b64(final)}\r\n`, "auth");
        r = await this.#read("auth", this.#timeouts.command);
        if (r.code === ReplyCode.authContinue) {
          if (!scram.verify(unb64(r.lines[0] ?? ""))) {
            await this.#write("*\r\n", "auth");
            throw new SmtpClientError("SCRAM server signature mismatch", "auth", false, "4.7.0");
          }
          await this.#write("\r\n", "auth");
          r = await this.#read("auth", this.#timeouts.command);
        }
      }
    } else if (mechs.has("PLAIN")) {
      // RFC 4616: authzid NUL authcid NUL passwd; initial response (RFC 4954 §4).
      await this.#write(`AUTH PLAIN ${b64(`\0${auth.username}\0${auth.password}`)}\r\n`, "auth");
      r = await this.#read("auth", this.#timeouts.command);
    } else if (mechs.has("LOGIN")) {
      await this.#write("AUTH LOGIN\r\n", "auth");
      r = await this.#read("auth", this.#timeouts.command);
      if (r.code === ReplyCode.authContinue) {
        await this.#write(`${b64(auth.username)}\r\n`, "auth");
        r = await this.#read("auth", this.#timeouts.command);
        if (r.code === ReplyCode.authContinue) {
          await this.#write(`${b64(auth.password)}\r\n`, "auth");
          r = await this.#read("auth", this.#timeouts.command);
        }
      }
    } else {
      throw new SmtpClientError(
        `${this.#opts.serverName} offers no usable AUTH mechanism`,
        "auth",
        false,
        "4.7.0",
      );
    }
    // RFC 4954 §6: 235 success. A refusal is a problem of our own relay configuration, not of the
    // message: reported as temporary so that mail waits for the fix instead of bouncing.
    if (r.code !== ReplyCode.authOk) throw this.#replyError("auth", r, true);
  }

  /** Runs one mail transaction; per-recipient replies come back (5xx/4xx are results, not errors). */
  async send(env: ClientEnvelope, message: Uint8Array): Promise<TransactionResult> {
    // RFC 1870 §6: do not send a message larger than the server's announced limit.
    const sizeLimit = Number(this.#ext.get("SIZE") ?? "0");
    if (this.#ext.has("SIZE") && sizeLimit > 0 && env.size > sizeLimit) {
      throw new SmtpClientError(
        `Message size ${env.size} exceeds the limit of ${this.#opts.serverName} (${sizeLimit})`,
        "mail",
        true,
        "5.3.4",
      );
    }
    if (env.body === "8BITMIME" && !this.#ext.has("8BITMIME")) {
      // RFC 6152 §3: an 8-bit message must not be sent to a server without 8BITMIME.
      throw new SmtpClientError(`${this.#opts.serverName} does not support 8BITMIME`, "mail", true, "5.6.3");
    }
    const needsUtf8 = env.smtputf8 ||
      hasNonAscii(env.from ?? "") || env.recipients.some((r) => hasNonAscii(r.address));
    if (needsUtf8 && !this.#ext.has("SMTPUTF8")) {
      // RFC 6531 §3.2: an internationalized message must not go to a server without SMTPUTF8.
      throw new SmtpClientError(`${this.#opts.serverName} does not support SMTPUTF8`, "mail", true, "5.6.7");
    }
    const binary = env.body === "BINARYMIME";
    if (binary && !(this.#ext.has("BINARYMIME") && this.#ext.has("CHUNKING"))) {
      throw new SmtpClientError(
        `${this.#opts.serverName} does not support BINARYMIME`,
        "mail",
        true,
        "5.6.3",
      );
    }
    // RFC 8689 §4.2.1: a REQUIRETLS message goes only over TLS to a server that offers REQUIRETLS;
    // otherwise it is not sent to this host (§5: 5.7.30 "REQUIRETLS support required").
    if (env.requireTls && (!this.#conn.secure || !this.#ext.has("REQUIRETLS"))) {
      throw new SmtpClientError(
        `${this.#opts.serverName} does not support REQUIRETLS`,
        "mail",
        true,
        "5.7.30",
      );
    }
    const dsn = this.#ext.has("DSN");
    let mail = `MAIL FROM:<${env.from ?? ""}>`;
    if (this.#ext.has("SIZE")) mail += ` SIZE=${env.size}`;
    if (env.body !== "7BIT" && this.#esmtp) mail += ` BODY=${env.body}`;
    if (needsUtf8) mail += " SMTPUTF8";
    if (dsn && env.ret) mail += ` RET=${env.ret}`;
    if (dsn && env.envid) mail += ` ENVID=${env.envid}`;
    if (env.requireTls) mail += " REQUIRETLS";
    const rcpts = env.recipients.map((r) => {
      let line = `RCPT TO:<${r.address}>`;
      if (dsn && r.notify && r.notify.length > 0) line += ` NOTIFY=${r.notify.join(",")}`;
      if (dsn && r.orcpt) line += ` ORCPT=${r.orcpt}`;
      return line + "\r\n";
    });
    const pipelining = this.#ext.has("PIPELINING");
    const dataCmd = binary ? "" : "DATA\r\n";
    if (pipelining) {
      // RFC 2920 §3.1: MAIL, RCPTs and DATA may be sent as one group; replies come back in order.
      await this.#write(mail + "\r\n" + rcpts.join("") + dataCmd, "mail");
    } else await this.#write(mail + "\r\n", "mail");
    const mailReply = await this.#read("mail", this.#timeouts.command);
    const replies: ClientReply[] = [];
    for (const line of rcpts) {
      if (!pipelining && mailReply.code === ReplyCode.ok) await this.#write(line, "rcpt");
      if (!pipelining && mailReply.code !== ReplyCode.ok) {
        replies.push(mailReply);
        continue;
      }
      const r = await this.#read("rcpt", this.#timeouts.command);
      replies.push(mailReply.code === ReplyCode.ok ? r : mailReply);
    }
    const accepted = mailReply.code === ReplyCode.ok
      ? replies.map((r, i) => (r.code === ReplyCode.ok || r.code === ReplyCode.willForward ? i : -1))
      : [];
    const ok = accepted.filter((i) => i >= 0);
    if (binary) {
      if (ok.length === 0) {
        await this.#rset();
        return { replies, dsnPassed: dsn };
      }
      await this.#write(`BDAT ${message.length} LAST\r\n`, "message");
      await this.#writeData(message);
      const end = await this.#read("message", this.#timeouts.dataEnd);
      for (const i of ok) replies[i] = end;
      return { replies, dsnPassed: dsn };
    }
    if (!pipelining) {
      if (ok.length === 0) {
        if (mailReply.code === ReplyCode.ok) await this.#rset();
        return { replies, dsnPassed: dsn };
      }
      await this.#write(dataCmd, "data");
    }
    const dataReply = await this.#read("data", this.#timeouts.dataInit);
    if (dataReply.code !== ReplyCode.startData) {
      for (const i of ok) replies[i] = dataReply;
      // The transaction is still open after MAIL was accepted: reset it for the next one.
      if (mailReply.code === ReplyCode.ok) await this.#rset();
      return { replies, dsnPassed: dsn };
    }
    if (ok.length === 0) {
      // RFC 2920 §3.1: DATA accepted with no valid recipient: send an empty message and ignore it.
      await this.#write(".\r\n", "message");
      await this.#read("message", this.#timeouts.dataEnd);
      return { replies, dsnPassed: dsn };
    }
    await this.#writeData(dotStuff(message));
    const end = await this.#read("message", this.#timeouts.dataEnd);
    for (const i of ok) replies[i] = end;
    return { replies, dsnPassed: dsn };
  }

  async #writeData(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; off += CHUNK) {
      await this.#write(data.subarray(off, off + CHUNK), "message", this.#timeouts.dataBlock);
    }
  }

  async #rset(): Promise<void> {
    await this.#write("RSET\r\n", "mail");
    await this.#read("mail", this.#timeouts.command);
  }

  /** Sends QUIT and closes; never throws. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#write("QUIT\r\n", "mail", 5_000);
      await this.#read("mail", 5_000);
    } catch {
      // the connection is closed below either way
    }
    this.close();
  }

  /** Closes the connection at once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  #replyError(stage: ClientStage, r: ClientReply, temporary = false): SmtpClientError {
    const text = formatReply(r);
    const permanent = r.code >= 500 && !temporary;
    return new SmtpClientError(text, stage, permanent, statusFromReply(r), r);
  }

  async #write(
    data: Uint8Array | string,
    stage: ClientStage,
    timeoutMs = this.#timeouts.command,
  ): Promise<void> {
    await this.#withTimeout(this.#conn.write(data), stage, timeoutMs);
  }

  async #read(stage: ClientStage, timeoutMs: number): Promise<ClientReply> {
    const r = await this.#withTimeout(readReply(this.#reader), stage, timeoutMs);
    // RFC 5321 §3.8: 421 means the server is closing the transmission channel.
    if (r?.code === ReplyCode.closingChannel) this.#saw421 = true;
    if (r === null) {
      this.close();
      throw new SmtpClientError(
        `${this.#opts.serverName} closed the connection (${stage})`,
        stage,
        false,
        "4.4.2",
      );
    }
    return r;
  }

  async #withTimeout<T>(p: Promise<T>, stage: ClientStage, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.close();
        reject(
          new SmtpClientError(
            `Timeout waiting for ${this.#opts.serverName} (${stage})`,
            stage,
            false,
            "4.4.2",
          ),
        );
      }, ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (e) {
      if (e instanceof SmtpClientError) throw e;
      this.close();
      throw new SmtpClientError(
        `Connection to ${this.#opts.serverName} failed (${stage}): ${(e as Error).message}`,
        stage,
        false,
        "4.4.2",
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** RFC 3463 status of a reply (its enhanced code, or derived from the basic code). */
export function statusFromReply(r: ClientReply): string {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(r.lines[0] ?? "");
  const cls = String(r.code)[0];
  if (m && m[1] === cls) return `${m[1]}.${m[2]}.${m[3]}`;
  return `${cls}.0.0`;
}
