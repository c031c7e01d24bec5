/**
 * STARTTLS, LOGIN and AUTHENTICATE (RFC 9051 §6.2, RFC 4959 SASL-IR), through the shared auth
 * service and its throttling.
 *
 * @module
 */
import type { AuthResult } from "../../../core/auth/types.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok, type Reply } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";
import { type CommandSpec, NOT_AUTH } from "./types.ts";

function authContext(s: ImapSession) {
  return {
    remoteAddress: s.conn.transport.remoteAddress,
    protocol: "imap" as const,
    secure: s.conn.transport.secure,
  };
}

function finish(s: ImapSession, result: AuthResult, mechanism: string): Reply {
  if (result.ok) {
    s.loggedIn(result.account);
    s.conn.log.info("imap login", { mechanism });
    return ok("Logged in", `CAPABILITY ${s.capabilities().join(" ")}`);
  }
  s.conn.log.info("imap login failed", { mechanism, reason: result.reason });
  // RFC 9051 §7.1: AUTHENTICATIONFAILED for bad credentials; UNAVAILABLE while throttled.
  if (result.reason === "throttled") throw no("Too many failed attempts, try again later", "UNAVAILABLE");
  throw no("Authentication failed", "AUTHENTICATIONFAILED");
}

/** STARTTLS (RFC 9051 §6.2.1). */
export const starttls: CommandSpec = {
  states: NOT_AUTH,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    if (s.conn.transport.secure || s.conn.listener.tls !== "starttls") throw bad("TLS not available");
    await s.out.line(`${cmd.tag} OK Begin TLS negotiation now`);
    await s.out.flush();
    // Anything pipelined after STARTTLS was sent in plaintext and must not be executed.
    s.framer.discardBuffered();
    try {
      await s.conn.transport.upgradeTls();
    } catch (e) {
      // A failed handshake (e.g. a client offering only TLS 1.0/1.1) is the client's failure, not the
      // server's; nothing more can be said in plaintext, so the session ends (as SMTP and POP3 do).
      s.conn.log.info("imap tls handshake failed", { error: e instanceof Error ? e.message : String(e) });
      s.state = "logout";
      return { status: "OK", text: "", silent: true };
    }
    s.conn.session.secure = true;
    return { status: "OK", text: "", silent: true };
  },
};

/** LOGIN (RFC 9051 §6.2.3). */
export const login: CommandSpec = {
  states: NOT_AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const user = a.astring("user name");
    const pass = a.astring("password");
    a.end();
    if (!s.plaintextAllowed) throw no("LOGIN not allowed before STARTTLS", "PRIVACYREQUIRED");
    const result = await s.server.auth.verifyPassword(user, pass, authContext(s));
    return finish(s, result, "LOGIN");
  },
};

const decoder = new TextDecoder();

function b64decode(text: string): Uint8Array | null {
  if (text === "=") return new Uint8Array(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function b64encode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959). */
export const authenticate: CommandSpec = {
  states: NOT_AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const mech = a.atom("mechanism").toUpperCase();
    const initial = a.done ? null : a.atom("initial response");
    a.end();
    if (!s.plaintextAllowed) throw no("Authentication not allowed before STARTTLS", "PRIVACYREQUIRED");
    const ex = s.server.auth.startSasl(mech, authContext(s));
    if (!ex) throw no("Unsupported mechanism", "CANNOT");
    let response: Uint8Array | null = null;
    if (initial !== null) {
      response = b64decode(initial);
      if (!response) throw bad("Invalid base64 initial response");
    }
    for (let round = 0; round < 16; round++) {
      const step = await ex.step(response);
      if (step.done) {
        if (step.serverFinal && step.result.ok) {
          // The server's final message goes in a continuation the client answers with an empty line.
          await s.out.line(`+ ${b64encode(step.serverFinal)}`);
          await s.out.flush();
          const line = await s.readRawLine();
          if (line === null) return { status: "NO", text: "Connection lost" };
          if (line !== "tooLong" && decoder.decode(line) === "*") throw bad("Authentication cancelled");
        }
        return finish(s, step.result, mech);
      }
      await s.out.line(`+ ${b64encode(step.challenge)}`);
      await s.out.flush();
      const line = await s.readRawLine();
      if (line === null) return { status: "NO", text: "Connection lost" };
      if (line === "tooLong") throw bad("Response too long");
      const text = decoder.decode(line);
      // RFC 9051 §6.2.2: "*" cancels the exchange.
      if (text === "*") throw bad("Authentication cancelled");
      response = b64decode(text);
      if (!response) throw bad("Invalid base64 response");
    }
    throw no("Too many authentication rounds", "AUTHENTICATIONFAILED");
  },
};
