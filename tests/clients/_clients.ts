/**
 * Helpers for interop tests that drive real, third-party mail clients (swaks, mbsync, fetchmail,
 * mutt, curl, openssl) as subprocesses against a running Tern. Each test file computes
 * `ignore: !installed("…")` so a developer machine without the client skips it; `.ci/run`
 * installs every client and fails on any skipped test.
 *
 * Passwords go into config files (mode 0600) in a temp dir, never on a command line or in a log.
 *
 * @module
 */
import type { TestServer } from "../support/server.ts";
import type { Message } from "../../core/store/types.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

/** The password every interop test user has (a space on purpose: clients must quote it right). */
export const PASSWORD = "s3cret pass";
/** The test user's address. */
export const USER = "u@example.org";

/** Whether an executable is on PATH (checked synchronously so it can feed `Deno.test({ ignore })`). */
export function installed(bin: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const info = Deno.statSync(`${dir}/${bin}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Result of a finished client process. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long a client may run before it is killed (a hung server must not hang the suite). */
export const CLIENT_TIMEOUT_MS = 120_000;

/**
 * Runs a client to completion with optional stdin; `HOME` points at `home` so no user dotfile
 * (~/.muttrc, ~/.fetchmailrc, ~/.netrc) leaks into the test. A client still running after
 * `timeoutMs` (default 120 s) is killed and the call throws with its last output (redacted).
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { home: string; stdin?: string | Uint8Array; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: opts.home, LANG: "C", ...opts.env },
  }).spawn();
  const timeoutMs = opts.timeoutMs ?? CLIENT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }, timeoutMs);
  try {
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(typeof opts.stdin === "string" ? enc.encode(opts.stdin) : opts.stdin);
      await w.close();
    }
    const out = await child.output();
    const result = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    if (timedOut) {
      throw new Error(
        `${cmd} killed after ${timeoutMs} ms; last stdout ${
          JSON.stringify(redact(result.stdout).slice(-300))
        }, ` +
          `last stderr ${JSON.stringify(redact(result.stderr).slice(-300))}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** The server's self-signed certificate (PEM), usable as the trust anchor by every client. */
export function certFile(t: TestServer): string {
  return `${t.dir}/tls/cert.pem`;
}

/** Messages of one mailbox (by role), in UID order, with their raw bytes as text. */
export async function mailbox(
  t: TestServer,
  accountId: string,
  role: "inbox" | "sent" | "drafts" | "trash" = "inbox",
): Promise<{ uid: number; message: Message; raw: string }[]> {
  const store = t.srv.context.store;
  const mbox = await store.getMailboxByRole(accountId, role);
  if (!mbox) throw new Error(`no ${role} mailbox`);
  const placements = await store.listPlacements(accountId, mbox.id);
  const messages = await store.getMessages(accountId, placements.map((p) => p.messageId));
  const byId = new Map(messages.map((m) => [m.id, m]));
  const out = [];
  for (const p of placements) {
    const raw = await store.readMessage(accountId, p.messageId);
    out.push({ uid: p.uid, message: byId.get(p.messageId)!, raw: dec.decode(raw!) });
  }
  return out;
}

/**
 * Removes the trace fields a receiving MTA prepends (Return-Path, Received and its folded
 * continuation lines) from the top of a message, leaving the bytes the client sent.
 */
export function stripTrace(raw: string): string {
  const lines = raw.split("\r\n");
  let i = 0;
  while (i < lines.length && /^(Return-Path|Received):/i.test(lines[i]!)) {
    i++;
    while (i < lines.length && /^[ \t]/.test(lines[i]!)) i++;
  }
  return lines.slice(i).join("\r\n");
}

/** CRLF line endings to LF (Maildir and MDA pipes store LF). */
export function toLf(text: string): string {
  return text.replaceAll("\r\n", "\n");
}

/** LF line endings to CRLF. */
export function toCrlf(text: string): string {
  return text.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n");
}

/**
 * Client output with credentials blanked out (SASL exchanges, base64 tokens, the password
 * itself), for assertion messages that must never put a password in a log.
 */
export function redact(text: string): string {
  return text.split("\n").map((line) =>
    /AUTH|LOGIN|PASS|[A-Za-z0-9+/]{12,}={0,2}\s*$/.test(line) || line.includes(PASSWORD) ? "[redacted]" : line
  ).join("\n");
}
