/**
 * The ManageSieve session (RFC 5804): a state machine, not authenticated → authenticated, over the
 * connection's Transport. Scripts go through core/sieve/scripts.ts (checked before they are
 * stored) and the Store's `sieveScripts`. Authentication uses the shared SASL mechanisms
 * (core/auth) and, on a STARTTLS listener, only after STARTTLS unless plaintext is allowed.
 *
 * @module
 */
import type { ConnectionContext, ServerContext } from "../../core/context.ts";
import type { Account } from "../../core/store/types.ts";
import { StoreError } from "../../core/store/types.ts";
import type { AuthContext } from "../../core/auth/types.ts";
import { ByteReader } from "../../core/net/reader.ts";
import { SIEVE_EXTENSIONS } from "../../core/sieve/validate.ts";
import { checkScript, haveSpace, putScript, ScriptError } from "../../core/sieve/scripts.ts";
import { type SieveLimits, sieveLimits } from "../../core/sieve/settings.ts";
import { type Arg, formatString, MAX_LINE, readCommand, response } from "./command.ts";

/** An idle client is disconnected after this long (RFC 5804 §1.8 leaves it to the server). */
const IDLE_MS = 10 * 60 * 1000;
/** Consecutive bad commands before the server says BYE. */
const MAX_ERRORS = 10;
/** SASL rounds at most. */
const MAX_SASL_ROUNDS = 10;

type State = "nonauth" | "auth";

/** One ManageSieve session. */
class Session {
  state: State = "nonauth";
  account: Account | null = null;
  readonly reader: ByteReader;
  /** The `[sieve]` limits: script size and count, MAXREDIRECTS. */
  readonly limits: SieveLimits;

  constructor(readonly server: ServerContext, readonly conn: ConnectionContext) {
    this.reader = new ByteReader(conn.transport);
    this.limits = sieveLimits(server.config.sieve);
  }

  get plaintextAllowed(): boolean {
    return this.conn.transport.secure || this.conn.listener.allow_plaintext_auth;
  }

  write(text: string): Promise<void> {
    return this.conn.transport.write(text);
  }

  authContext(): AuthContext {
    return {
      remoteAddress: this.conn.transport.remoteAddress,
      protocol: "managesieve",
      secure: this.conn.transport.secure,
    };
  }

  /** RFC 5804 §1.7 capability response (without the final OK). */
  capabilities(): string {
    const lines = [
      `"IMPLEMENTATION" "Tern"`,
      `"SASL" ${formatString(this.plaintextAllowed ? this.server.auth.mechanisms().join(" ") : "")}`,
      `"SIEVE" ${formatString(SIEVE_EXTENSIONS.join(" "))}`,
    ];
    if (this.conn.listener.tls === "starttls" && !this.conn.transport.secure) lines.push(`"STARTTLS"`);
    // RFC 5804 §2.14.1: UNAUTHENTICATE is an extension announced by its capability.
    lines.push(`"MAXREDIRECTS" "${this.limits.run.maxRedirects}"`, `"UNAUTHENTICATE"`, `"VERSION" "1.0"`);
    if (this.account) lines.push(`"OWNER" ${formatString(this.account.address)}`);
    return lines.map((l) => l + "\r\n").join("");
  }
}

/** Runs one ManageSieve session to its end; never throws. */
export async function runManageSieveSession(server: ServerContext, conn: ConnectionContext): Promise<void> {
  const s = new Session(server, conn);
  conn.session.state = s.state;
  let errors = 0;
  try {
    // RFC 5804 §1.7: the greeting is the capability response.
    await s.write(s.capabilities() + response("OK", "Tern ManageSieve ready"));
    for (;;) {
      const cmd = await withTimeout(readCommand(s.reader, s.limits.maxScriptBytes), IDLE_MS, conn.shutdown);
      if (cmd === "timeout") {
        await s.write(response("BYE", "Idle for too long", "TRYLATER")).catch(() => {});
        break;
      }
      if (cmd === "shutdown") {
        await s.write(response("BYE", "Server shutting down", "TRYLATER")).catch(() => {});
        break;
      }
      if (cmd === null) break;
      if (!cmd.ok) {
        if ("tooBig" in cmd) {
          await s.write(
            response("NO", `Scripts are limited to ${s.limits.maxScriptBytes} octets`, "QUOTA/MAXSIZE"),
          );
        } else await s.write(response("NO", cmd.error));
        if (++errors >= MAX_ERRORS) {
          await s.write(response("BYE", "Too many errors"));
          break;
        }
        continue;
      }
      const result = await dispatch(s, cmd.verb, cmd.args);
      conn.session.state = s.state;
      if (result === "close") break;
      errors = result === "error" ? errors + 1 : 0;
      if (errors >= MAX_ERRORS) {
        await s.write(response("BYE", "Too many errors"));
        break;
      }
    }
  } catch (e) {
    conn.log.warn("managesieve session error", { error: e instanceof Error ? e.message : String(e) });
  } finally {
    conn.transport.close();
  }
}

async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  signal: AbortSignal,
): Promise<T | "timeout" | "shutdown"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<"timeout" | "shutdown">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    onAbort = () => resolve("shutdown");
    if (signal.aborted) resolve("shutdown");
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([p, ended]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

type Outcome = "ok" | "error" | "close";

function str(args: Arg[], i: number): string | null {
  const a = args[i];
  return a?.kind === "string" ? a.value : null;
}

/** Checks the argument shapes: "s" a string, "n" a number; trailing "?" optional. */
function shape(args: Arg[], spec: string): boolean {
  const want = spec.replace("?", "");
  const min = spec.includes("?") ? want.length - 1 : want.length;
  if (args.length < min || args.length > want.length) return false;
  return args.every((a, i) => (want[i] === "s" ? a.kind === "string" : a.kind === "number"));
}

const SHAPES: Record<string, string> = {
  CAPABILITY: "",
  LOGOUT: "",
  NOOP: "s?",
  STARTTLS: "",
  AUTHENTICATE: "ss?",
  UNAUTHENTICATE: "",
  HAVESPACE: "sn",
  PUTSCRIPT: "ss",
  CHECKSCRIPT: "s",
  LISTSCRIPTS: "",
  SETACTIVE: "s",
  GETSCRIPT: "s",
  DELETESCRIPT: "s",
  RENAMESCRIPT: "ss",
};

const AUTH_ONLY = new Set([
  "UNAUTHENTICATE",
  "HAVESPACE",
  "PUTSCRIPT",
  "CHECKSCRIPT",
  "LISTSCRIPTS",
  "SETACTIVE",
  "GETSCRIPT",
  "DELETESCRIPT",
  "RENAMESCRIPT",
]);

async function dispatch(s: Session, verb: string, args: Arg[]): Promise<Outcome> {
  const spec = SHAPES[verb];
  if (spec === undefined) {
    await s.write(response("NO", "Unknown command"));
    return "error";
  }
  if (!shape(args, spec)) {
    await s.write(response("NO", `Bad arguments for ${verb}`));
    return "error";
  }
  if (AUTH_ONLY.has(verb) && s.state !== "auth") {
    await s.write(response("NO", "Authenticate first"));
    return "error";
  }
  if ((verb === "AUTHENTICATE" || verb === "STARTTLS") && s.state === "auth") {
    await s.write(response("NO", "Already authenticated"));
    return "error";
  }
  const account = s.account!;
  const store = s.server.store;
  switch (verb) {
    case "CAPABILITY":
      await s.write(s.capabilities() + response("OK", "Capability completed"));
      return "ok";
    case "LOGOUT":
      await s.write(response("OK", "Logout completed"));
      return "close";
    case "NOOP": {
      // RFC 5804 §2.14: the tag is echoed in a TAG response code.
      const tag = str(args, 0);
      await s.write(response("OK", "Done", tag === null ? undefined : `TAG ${formatString(tag)}`));
      return "ok";
    }
    case "STARTTLS":
      return await startTls(s);
    case "AUTHENTICATE":
      return await authenticate(s, str(args, 0)!, str(args, 1));
    case "UNAUTHENTICATE":
      // RFC 5804 §2.14.1.
      s.account = null;
      s.state = "nonauth";
      await s.write(response("OK", "Unauthenticate completed"));
      return "ok";
    case "HAVESPACE": {
      const size = (args[1] as { value: number }).value;
      const refused = await haveSpace(store, account.id, str(args, 0)!, size, s.limits);
      await s.write(refused ? scriptNo(refused) : response("OK", "Putscript would succeed"));
      return refused ? "error" : "ok";
    }
    case "PUTSCRIPT": {
      try {
        await putScript(store, account.id, str(args, 0)!, str(args, 1)!, s.limits);
      } catch (e) {
        if (!(e instanceof ScriptError)) throw e;
        await s.write(scriptNo(e));
        return "error";
      }
      await s.write(response("OK", "Putscript completed"));
      return "ok";
    }
    case "CHECKSCRIPT": {
      // RFC 5804 §2.12: the script is checked, never stored.
      const error = checkScript(str(args, 0)!, s.limits);
      await s.write(error ? response("NO", error.message) : response("OK", "Script is valid"));
      return error ? "error" : "ok";
    }
    case "LISTSCRIPTS": {
      const list = await store.sieveScripts.list(account.id);
      await s.write(
        list.map((x) => `${formatString(x.name)}${x.isActive ? " ACTIVE" : ""}\r\n`).join("") +
          response("OK", "Listscripts completed"),
      );
      return "ok";
    }
    case "SETACTIVE": {
      const name = str(args, 0)!;
      // RFC 5804 §2.8: the empty name deactivates every script.
      return await storeCall(
        s,
        () => store.sieveScripts.setActive(account.id, name === "" ? null : name),
        "Setactive completed",
      );
    }
    case "GETSCRIPT": {
      const script = await store.sieveScripts.get(account.id, str(args, 0)!);
      if (!script) {
        await s.write(response("NO", "There is no script by that name", "NONEXISTENT"));
        return "error";
      }
      const bytes = new TextEncoder().encode(script.content).length;
      await s.write(`{${bytes}}\r\n${script.content}\r\n${response("OK", "Getscript completed")}`);
      return "ok";
    }
    case "DELETESCRIPT":
      return await storeCall(
        s,
        () => store.sieveScripts.delete(account.id, str(args, 0)!),
        "Deletescript completed",
      );
    case "RENAMESCRIPT": {
      const to = str(args, 1)!;
      if ((await haveSpace(store, account.id, to, 0))?.code === "badName") {
        await s.write(response("NO", "Invalid script name"));
        return "error";
      }
      return await storeCall(
        s,
        () => store.sieveScripts.rename(account.id, str(args, 0)!, to),
        "Renamescript completed",
      );
    }
  }
  await s.write(response("NO", "Unknown command"));
  return "error";
}

/** A script refusal as its RFC 5804 response (§1.3 response codes). */
function scriptNo(e: ScriptError): string {
  if (e.code === "tooBig") return response("NO", e.message, "QUOTA/MAXSIZE");
  if (e.code === "tooMany") return response("NO", e.message, "QUOTA/MAXSCRIPTS");
  return response("NO", e.message);
}

/** Runs a store change, mapping its refusals to RFC 5804 response codes. */
async function storeCall(s: Session, fn: () => Promise<void>, done: string): Promise<Outcome> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    if (e.code === "notFound") {
      await s.write(response("NO", "There is no script by that name", "NONEXISTENT"));
    } else if (e.code === "alreadyExists") {
      await s.write(response("NO", "A script by that name exists", "ALREADYEXISTS"));
    } else if (e.code === "conflict") await s.write(response("NO", "The script is active", "ACTIVE"));
    else await s.write(response("NO", e.message));
    return "error";
  }
  await s.write(response("OK", done));
  return "ok";
}

/** RFC 5804 §2.2 STARTTLS; the capabilities are sent again over TLS. */
async function startTls(s: Session): Promise<Outcome> {
  if (s.conn.listener.tls !== "starttls" || s.conn.transport.secure) {
    await s.write(response("NO", "STARTTLS not available"));
    return "error";
  }
  await s.write(response("OK", "Begin TLS negotiation now"));
  // RFC 5804 §2.2 / RFC 3207 §4.2: nothing pipelined before the handshake is acted on.
  s.reader.discardBuffered();
  try {
    await s.conn.transport.upgradeTls();
  } catch (e) {
    s.conn.log.info("managesieve tls handshake failed", {
      error: e instanceof Error ? e.message : String(e),
    });
    return "close";
  }
  s.conn.session.secure = true;
  await s.write(s.capabilities() + response("OK", "TLS negotiation successful"));
  return "ok";
}

/** Reads the client's SASL response: a string (quoted or literal); "*" cancels (RFC 5804 §2.1). */
async function saslResponse(s: Session): Promise<Uint8Array | "cancel" | "bad" | null> {
  const got = await s.reader.readLine(MAX_LINE);
  if (got === null) return null;
  if (got.tooLong) return "bad";
  let text = new TextDecoder().decode(got.line);
  const lit = /^\{([0-9]{1,6})\+?\}$/.exec(text);
  if (lit) {
    const bytes = await s.reader.readExact(Number(lit[1]));
    if (bytes === null) return null;
    text = new TextDecoder().decode(bytes);
    // The literal's line ends with its own CRLF.
    const rest = await s.reader.readLine(MAX_LINE);
    if (rest === null) return null;
  } else {
    const q = /^"((?:[^"\\]|\\["\\])*)"$/.exec(text);
    if (!q) return "bad";
    text = q[1]!.replace(/\\(["\\])/g, "$1");
  }
  if (text === "*") return "cancel";
  return decodeBase64(text) ?? "bad";
}

function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function encodeBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** RFC 5804 §2.1 AUTHENTICATE with the shared SASL mechanisms. */
async function authenticate(s: Session, mechanism: string, initial: string | null): Promise<Outcome> {
  if (!s.plaintextAllowed) {
    await s.write(response("NO", "Use STARTTLS first", "ENCRYPT-NEEDED"));
    return "error";
  }
  const exchange = s.server.auth.startSasl(mechanism, s.authContext());
  if (!exchange) {
    await s.write(response("NO", "Unsupported mechanism"));
    return "error";
  }
  let responseBytes: Uint8Array | null = null;
  if (initial !== null) {
    responseBytes = decodeBase64(initial);
    if (!responseBytes) {
      await s.write(response("NO", "Invalid base64"));
      return "error";
    }
  }
  for (let round = 0; round < MAX_SASL_ROUNDS; round++) {
    const step = await exchange.step(responseBytes);
    if (step.done) {
      const r = step.result;
      if (!r.ok) {
        s.conn.log.info("managesieve login failed", { reason: r.reason });
        await s.write(
          response("NO", r.reason === "throttled" ? "Too many failures, try later" : "Authentication failed"),
        );
        return "error";
      }
      s.account = r.account;
      s.state = "auth";
      s.conn.setUser(r.account.address);
      s.conn.log.info("managesieve login", {});
      // RFC 5804 §2.1: server data with the success goes in a SASL response code.
      const final = step.serverFinal && step.serverFinal.length > 0
        ? `SASL ${formatString(encodeBase64(step.serverFinal))}`
        : undefined;
      await s.write(response("OK", "Authentication successful", final));
      return "ok";
    }
    await s.write(`${formatString(encodeBase64(step.challenge))}\r\n`);
    const r = await saslResponse(s);
    if (r === null) return "close";
    if (r === "cancel") {
      await s.write(response("NO", "Authentication cancelled"));
      return "error";
    }
    if (r === "bad") {
      await s.write(response("NO", "Invalid response"));
      return "error";
    }
    responseBytes = r;
  }
  await s.write(response("NO", "Too many authentication steps"));
  return "error";
}
