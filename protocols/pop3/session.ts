/**
 * The POP3 session state machine (RFC 1939 §3): AUTHORIZATION → TRANSACTION → UPDATE, over an
 * abstract Transport. Commands per state come from the table at the bottom of this file.
 *
 * @module
 */
import type { ConnectionContext, ServerContext } from "../../core/context.ts";
import type { Account, Placement } from "../../core/store/types.ts";
import type { AuthResult } from "../../core/auth/types.ts";
import { ByteReader, type LineResult } from "../../core/net/reader.ts";
import { MAX_COMMAND_LINE, parseMessageNumber, parseNonNegative, parsePop3Command } from "./command.ts";
import { base64ToBytes, continuation, err, ok, RespCode } from "./replies.ts";
import { dotStuff, DotStuffer } from "./dot_stuff.ts";
import type { VirtualSizes } from "../../core/pop3/virtual_sizes.ts";
import { topOf } from "./top.ts";
import { acquireMaildrop, releaseMaildrop } from "./lock.ts";

/** Longest line read: PASS and AUTH responses (SCRAM) may exceed the 255 octets of RFC 2449 §4. */
const MAX_READ_LINE = 8192;
const decoder = new TextDecoder();

/** Session states (RFC 1939 §3). */
type State = "authorization" | "transaction" | "update";

/** One message of the maildrop snapshot taken at login; numbers are fixed for the session. */
interface DropEntry {
  placement: Placement;
  /** Exact size on the wire, CRLF line endings (RFC 1939 §5). */
  size: number;
  deleted: boolean;
}

/** The reason a read ended without a line. */
type ReadEnd = "eof" | "timeout" | "shutdown";

/** Mutable state of one POP3 session. */
class Pop3Session {
  /** Whether the last status line written was `+OK` (the last command's result, for core/metrics). */
  lastOk = true;
  state: State = "authorization";
  user: string | null = null;
  account: Account | null = null;
  uidValidity = 0;
  drop: DropEntry[] = [];
  readonly reader: ByteReader;

  constructor(
    readonly server: ServerContext,
    readonly conn: ConnectionContext,
    readonly virtualSizes: VirtualSizes,
  ) {
    this.reader = new ByteReader(conn.transport);
  }

  get plaintextAllowed(): boolean {
    return this.conn.transport.secure || this.conn.listener.allow_plaintext_auth;
  }

  write(text: string | Uint8Array): Promise<void> {
    if (typeof text === "string") {
      if (text.startsWith("+OK")) this.lastOk = true;
      else if (text.startsWith("-ERR")) this.lastOk = false;
    }
    return this.conn.transport.write(text);
  }

  /** Reads one line, bounded by the idle timeout and the shutdown signal. */
  async readLine(): Promise<LineResult | ReadEnd> {
    const timeoutMs = this.server.config.pop3.idle_timeout * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const ended = new Promise<ReadEnd>((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
      onAbort = () => resolve("shutdown");
      if (this.conn.shutdown.aborted) resolve("shutdown");
      else this.conn.shutdown.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const line = await Promise.race([this.reader.readLine(MAX_READ_LINE), ended]);
      return line === null ? "eof" : line;
    } finally {
      clearTimeout(timer);
      if (onAbort) this.conn.shutdown.removeEventListener("abort", onAbort);
    }
  }

  /** Live (not deleted) entries with their message numbers. */
  *live(): Generator<[number, DropEntry]> {
    for (let i = 0; i < this.drop.length; i++) {
      const e = this.drop[i]!;
      if (!e.deleted) yield [i + 1, e];
    }
  }

  /** The entry for a message-number argument, or an error reply. */
  entry(arg: string | undefined): DropEntry | string {
    const n = parseMessageNumber(arg);
    if (n === null) return err("Invalid message number");
    const e = this.drop[n - 1];
    if (!e) return err("No such message");
    if (e.deleted) return err("Message already deleted");
    return e;
  }

  /** RFC 1939 §7 UIDL unique-id: printable ASCII 0x21-0x7E, at most 70 chars, stable forever. */
  uidl(e: DropEntry): string {
    return `${this.uidValidity}.${e.placement.uid}`;
  }

  totals(): { count: number; size: number } {
    let count = 0;
    let size = 0;
    for (const [, e] of this.live()) {
      count++;
      size += e.size;
    }
    return { count, size };
  }
}

/** Runs one POP3 session to its end. Never throws. */
export async function runPop3Session(
  server: ServerContext,
  conn: ConnectionContext,
  virtualSizes: VirtualSizes,
): Promise<void> {
  const s = new Pop3Session(server, conn, virtualSizes);
  conn.session.state = s.state;
  try {
    await s.write(ok(`Tern POP3 server ready`));
    for (;;) {
      const got = await s.readLine();
      if (got === "eof") break;
      if (got === "timeout") {
        // RFC 1939 §3: an autologout timer of at least 10 minutes; no UPDATE state on timeout.
        await s.write(err("Autologout; idle for too long")).catch(() => {});
        break;
      }
      if (got === "shutdown") {
        await s.write(err("Server shutting down", RespCode.SYS_TEMP)).catch(() => {});
        break;
      }
      if (got.tooLong) {
        await s.write(err("Line too long"));
        continue;
      }
      const line = decoder.decode(got.line);
      const cont = await dispatch(s, line);
      conn.session.state = s.state;
      if (!cont) break;
    }
  } catch (e) {
    conn.log.warn("pop3 session error", { error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (s.account) releaseMaildrop(s.account.id, conn.session.id);
    conn.transport.close();
  }
}

/** Executes one command line; false ends the session. */
async function dispatch(s: Pop3Session, line: string): Promise<boolean> {
  if (line.length > MAX_COMMAND_LINE - 2 && !/^(AUTH|PASS) /i.test(line)) {
    await s.write(err("Command line too long"));
    return true;
  }
  const cmd = parsePop3Command(line);
  if ("error" in cmd) {
    await s.write(err(cmd.error));
    return true;
  }
  const handler = COMMANDS[cmd.verb];
  if (!handler) {
    await s.write(err("Unknown command"));
    return true;
  }
  if (!handler.states.includes(s.state)) {
    await s.write(err(`${cmd.verb} not allowed now`));
    return true;
  }
  const cont = await handler.run(s, cmd.args);
  // core/metrics: the command's result is its status indicator (RFC 1939 §3).
  s.server.metrics?.command("pop3", cmd.verb, s.lastOk ? "ok" : "no");
  return cont;
}

/** A command: the states it is valid in and its implementation. */
interface CommandSpec {
  states: State[];
  run(s: Pop3Session, args: string[]): Promise<boolean>;
}

/** RFC 2449 §5 CAPA. */
function capabilities(s: Pop3Session): string[] {
  const caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "UTF8"];
  if (s.state === "authorization") {
    if (s.plaintextAllowed) {
      caps.push("USER");
      caps.push(`SASL ${s.server.auth.mechanisms().join(" ")}`);
    }
    if (s.conn.listener.tls === "starttls" && !s.conn.transport.secure) caps.push("STLS");
  }
  // RFC 2449 §6.7-6.8: mail is kept until deleted; no delay between logins.
  caps.push("EXPIRE NEVER", "LOGIN-DELAY 0", "IMPLEMENTATION Tern");
  return caps;
}

/** Completes a login: the maildrop lock, the snapshot, and the reply. */
async function login(s: Pop3Session, result: AuthResult, username: string): Promise<void> {
  const log = s.conn.log;
  if (!result.ok) {
    if (result.reason === "throttled") {
      await s.write(err("Too many failed logins; try again later", RespCode.AUTH));
    } else {
      await s.write(err("Authentication failed", RespCode.AUTH));
    }
    log.info("pop3 login failed", { username, reason: result.reason });
    return;
  }
  const account = result.account;
  // RFC 2449 §8.1.1: another session holds the maildrop.
  if (!acquireMaildrop(account.id, s.conn.session.id)) {
    await s.write(err("Maildrop already in use", RespCode.IN_USE));
    log.info("pop3 maildrop in use", { username: account.address });
    return;
  }
  try {
    const inbox = await s.server.store.getMailboxByRole(account.id, "inbox");
    if (!inbox) throw new Error("account has no inbox");
    const placements = await s.server.store.listPlacements(account.id, inbox.id);
    const sizes = await s.virtualSizes.sizes(s.server.store, account.id, placements.map((p) => p.messageId));
    s.drop = placements.map((placement) => ({
      placement,
      size: sizes.get(placement.messageId) ?? placement.size,
      deleted: false,
    }));
    s.uidValidity = inbox.uidValidity;
  } catch (e) {
    releaseMaildrop(account.id, s.conn.session.id);
    log.error("pop3 maildrop open failed", { error: e instanceof Error ? e.message : String(e) });
    await s.write(err("Cannot open maildrop", RespCode.SYS_TEMP));
    return;
  }
  s.account = account;
  s.state = "transaction";
  s.conn.setUser(account.address);
  const { count, size } = s.totals();
  log.info("pop3 login", { messages: count });
  await s.write(ok(`Maildrop has ${count} messages (${size} octets)`));
}

/** Reads one SASL response line; null when the client cancelled with "*" or disconnected. */
async function saslResponse(s: Pop3Session): Promise<Uint8Array | "cancel" | "bad" | null> {
  const got = await s.readLine();
  if (typeof got === "string") return null;
  if (got.tooLong) return "bad";
  const text = decoder.decode(got.line).trim();
  if (text === "*") return "cancel";
  return base64ToBytes(text) ?? "bad";
}

/** Sends the server's final SASL data as a challenge and awaits the client's empty reply (RFC 5034 §4). */
async function sendSuccessData(s: Pop3Session, data: Uint8Array): Promise<boolean> {
  await s.write(continuation(data));
  const r = await saslResponse(s);
  return r instanceof Uint8Array && r.length === 0;
}

const COMMANDS: Record<string, CommandSpec> = {
  CAPA: {
    states: ["authorization", "transaction"],
    async run(s) {
      await s.write(`+OK Capability list follows\r\n${capabilities(s).join("\r\n")}\r\n.\r\n`);
      return true;
    },
  },
  // RFC 2595 §4: STLS.
  STLS: {
    states: ["authorization"],
    async run(s) {
      if (s.conn.listener.tls !== "starttls") {
        await s.write(err("STLS not available on this port"));
        return true;
      }
      if (s.conn.transport.secure) {
        await s.write(err("Already using TLS"));
        return true;
      }
      await s.write(ok("Begin TLS negotiation"));
      // RFC 2595 §3.1 / RFC 3207 §4.2: never act on plaintext pipelined behind STLS.
      s.reader.discardBuffered();
      try {
        await s.conn.transport.upgradeTls();
      } catch (e) {
        s.conn.log.info("pop3 tls handshake failed", { error: e instanceof Error ? e.message : String(e) });
        return false;
      }
      s.conn.session.secure = true;
      s.user = null;
      return true;
    },
  },
  // RFC 6856 §2: UTF8 in AUTHORIZATION state; usernames and passwords are UTF-8 from now on.
  UTF8: {
    states: ["authorization"],
    async run(s) {
      await s.write(ok("UTF8 enabled"));
      return true;
    },
  },
  USER: {
    states: ["authorization"],
    async run(s, args) {
      if (!s.plaintextAllowed) {
        await s.write(err("Plaintext login not allowed; use STLS first", RespCode.AUTH));
        return true;
      }
      if (args.length !== 1) {
        await s.write(err("Usage: USER name"));
        return true;
      }
      s.user = args[0]!;
      await s.write(ok("Send your password"));
      return true;
    },
  },
  PASS: {
    states: ["authorization"],
    async run(s, args) {
      if (s.user === null) {
        await s.write(err("USER first"));
        return true;
      }
      const username = s.user;
      s.user = null;
      const password = args[0] ?? "";
      const ctx = {
        remoteAddress: s.conn.transport.remoteAddress,
        protocol: "pop3" as const,
        secure: s.conn.transport.secure,
      };
      const result = await s.server.auth.verifyPassword(username, password, ctx);
      await login(s, result, username);
      return true;
    },
  },
  // RFC 5034 §4: AUTH mechanism [initial-response].
  AUTH: {
    states: ["authorization"],
    async run(s, args) {
      if (args.length === 0) {
        // RFC 5034 §4 / common practice: AUTH alone lists the mechanisms.
        const mechs = s.plaintextAllowed ? s.server.auth.mechanisms() : [];
        await s.write(`+OK\r\n${mechs.map((m) => m + "\r\n").join("")}.\r\n`);
        return true;
      }
      if (!s.plaintextAllowed) {
        await s.write(err("Authentication requires TLS; use STLS first", RespCode.AUTH));
        return true;
      }
      const ctx = {
        remoteAddress: s.conn.transport.remoteAddress,
        protocol: "pop3" as const,
        secure: s.conn.transport.secure,
      };
      const exchange = s.server.auth.startSasl(args[0]!.toUpperCase(), ctx);
      if (!exchange) {
        await s.write(err("Unsupported authentication mechanism"));
        return true;
      }
      let response: Uint8Array | null = null;
      if (args[1] !== undefined) {
        // "=" is an empty initial response.
        const decoded = args[1] === "=" ? new Uint8Array(0) : base64ToBytes(args[1]);
        if (!decoded) {
          await s.write(err("Invalid base64 in initial response"));
          return true;
        }
        response = decoded;
      }
      for (let rounds = 0; rounds < 10; rounds++) {
        const step = await exchange.step(response);
        if (step.done) {
          if (step.result.ok && step.serverFinal && step.serverFinal.length > 0) {
            if (!(await sendSuccessData(s, step.serverFinal))) {
              await s.write(err("Authentication cancelled"));
              return true;
            }
          }
          await login(s, step.result, step.result.ok ? step.result.account.address : "(sasl)");
          return true;
        }
        await s.write(continuation(step.challenge));
        const r = await saslResponse(s);
        if (r === null) return false;
        if (r === "cancel") {
          await s.write(err("Authentication cancelled"));
          return true;
        }
        if (r === "bad") {
          await s.write(err("Invalid base64 response"));
          return true;
        }
        response = r;
      }
      await s.write(err("Too many authentication steps", RespCode.AUTH));
      return true;
    },
  },
  STAT: {
    states: ["transaction"],
    async run(s) {
      const { count, size } = s.totals();
      await s.write(ok(`${count} ${size}`));
      return true;
    },
  },
  LIST: {
    states: ["transaction"],
    async run(s, args) {
      if (args.length > 0) {
        const e = s.entry(args[0]);
        if (typeof e === "string") return await s.write(e).then(() => true);
        await s.write(ok(`${s.drop.indexOf(e) + 1} ${e.size}`));
        return true;
      }
      const { count, size } = s.totals();
      let out = `+OK ${count} messages (${size} octets)\r\n`;
      for (const [n, e] of s.live()) out += `${n} ${e.size}\r\n`;
      await s.write(out + ".\r\n");
      return true;
    },
  },
  UIDL: {
    states: ["transaction"],
    async run(s, args) {
      if (args.length > 0) {
        const e = s.entry(args[0]);
        if (typeof e === "string") return await s.write(e).then(() => true);
        await s.write(ok(`${s.drop.indexOf(e) + 1} ${s.uidl(e)}`));
        return true;
      }
      let out = "+OK Unique-ID listing follows\r\n";
      for (const [n, e] of s.live()) out += `${n} ${s.uidl(e)}\r\n`;
      await s.write(out + ".\r\n");
      return true;
    },
  },
  RETR: {
    states: ["transaction"],
    async run(s, args) {
      const e = s.entry(args[0]);
      if (typeof e === "string") return await s.write(e).then(() => true);
      const [msg] = await s.server.store.getMessages(s.account!.id, [e.placement.messageId]);
      const stream = msg ? await s.server.store.blobs.stream(msg.blobId) : null;
      if (!stream) {
        await s.write(err("Message is no longer available", RespCode.SYS_TEMP));
        return true;
      }
      await s.write(ok(`${e.size} octets`));
      // Stream from the blob store: a large message is never held in memory whole.
      const stuffer = new DotStuffer();
      for await (const chunk of stream) {
        const out = stuffer.push(chunk);
        if (out.length > 0) await s.write(out);
      }
      await s.write(stuffer.end());
      return true;
    },
  },
  TOP: {
    states: ["transaction"],
    async run(s, args) {
      const e = s.entry(args[0]);
      if (typeof e === "string") return await s.write(e).then(() => true);
      const lines = parseNonNegative(args[1]);
      if (lines === null || args.length !== 2) {
        await s.write(err("Usage: TOP msg n"));
        return true;
      }
      const raw = await s.server.store.readMessage(s.account!.id, e.placement.messageId);
      if (!raw) {
        await s.write(err("Message is no longer available", RespCode.SYS_TEMP));
        return true;
      }
      await s.write(ok("Top of message follows"));
      await s.write(dotStuff(topOf(raw, lines)));
      return true;
    },
  },
  DELE: {
    states: ["transaction"],
    async run(s, args) {
      const e = s.entry(args[0]);
      if (typeof e === "string") return await s.write(e).then(() => true);
      e.deleted = true;
      await s.write(ok(`Message ${args[0]} deleted`));
      return true;
    },
  },
  NOOP: {
    states: ["transaction"],
    async run(s) {
      await s.write(ok());
      return true;
    },
  },
  RSET: {
    states: ["transaction"],
    async run(s) {
      for (const e of s.drop) e.deleted = false;
      const { count, size } = s.totals();
      await s.write(ok(`Maildrop has ${count} messages (${size} octets)`));
      return true;
    },
  },
  QUIT: {
    states: ["authorization", "transaction"],
    async run(s) {
      if (s.state !== "transaction") {
        await s.write(ok("Tern POP3 server signing off"));
        return false;
      }
      // RFC 1939 §6: UPDATE state; deletions happen only here, atomically, through the store.
      s.state = "update";
      const uids = s.drop.filter((e) => e.deleted).map((e) => e.placement.uid);
      if (uids.length > 0) {
        try {
          await s.server.store.expunge(s.account!.id, s.drop[0]!.placement.mailboxId, uids);
        } catch (e) {
          s.conn.log.error("pop3 expunge failed", { error: e instanceof Error ? e.message : String(e) });
          await s.write(err("Some deleted messages not removed", RespCode.SYS_TEMP));
          return false;
        }
      }
      const { count } = s.totals();
      await s.write(ok(`Tern POP3 server signing off (${count} messages left)`));
      return false;
    },
  },
};
