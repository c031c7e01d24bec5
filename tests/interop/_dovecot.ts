/**
 * Differential testing against Dovecot: start a throwaway Dovecot (`startDovecot`) and a Tern
 * (`startTern`) with the same users, talk to both with the byte-exact `ImapWire` client, and compare
 * responses after `normaliseResponse` removes what legitimately differs between servers (tags,
 * UIDVALIDITY, MODSEQ values, INTERNALDATE, capability order, human-readable text, FETCH item order).
 *
 * Dovecot comes from the `dovecot-imapd` Debian package; when its binary is missing, `dovecotMissing`
 * holds the reason and tests should use `ignore: dovecotMissing !== null` (and print the reason).
 *
 * @example
 * ```ts
 * import { dovecotMissing, startDovecot, startTern, ImapWire } from "./_dovecot.ts";
 * Deno.test({ name: "x", ignore: dovecotMissing !== null, async fn() {
 *   const users = [{ address: "u@localhost", password: "pw" }];
 *   const dc = await startDovecot(users);
 *   const tern = await startTern(users);
 *   try {
 *     for (const port of [dc.port, tern.port]) {
 *       const w = await ImapWire.connect(port);
 *       await w.login("u@localhost", "pw");
 *       console.log((await w.cmd("SELECT INBOX")).map((r) => normaliseResponse(r.text)));
 *       w.close();
 *     }
 *   } finally {
 *     await dc.stop();
 *     await tern.stop();
 *   }
 * }});
 * ```
 *
 * @module
 */
import { startTestServer, type TestServer } from "../support/server.ts";
import { fetchItems, ImapWire, octets, type Response, serialize, ValueParser } from "./_wire.ts";
import type { Account } from "../../core/store/types.ts";

export { fetchItems, ImapWire, octets, serialize, ValueParser };
export type { Response, SerializeOptions, Value } from "./_wire.ts";

/** A mail user created on both servers. Log in with the full address, as Tern expects. */
export interface InteropUser {
  /** Full address, e.g. `u@localhost` (Tern's local domains include `localhost` and `example.org`). */
  address: string;
  password: string;
}

/** The default users: `u@localhost` / `pw` and `v@localhost` / `pw`. */
export const DEFAULT_USERS: readonly InteropUser[] = [
  { address: "u@localhost", password: "pw" },
  { address: "v@localhost", password: "pw" },
];

/** A running server of either kind. */
export interface ImapPeer {
  /** `dovecot` or `tern`. */
  name: string;
  /** The IMAP port on 127.0.0.1. */
  port: number;
  /** Opens a connection and logs in as `user` (default: the first user). */
  login(user?: InteropUser): Promise<ImapWire>;
  /** Stops the server and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** A running Dovecot. */
export interface DovecotPeer extends ImapPeer {
  /** The temp dir (config, passwd file, maildirs, log). */
  dir: string;
  /** Dovecot's log so far (useful in assertion messages). */
  log(): Promise<string>;
}

/** A running Tern, with its test-server handle and accounts by address. */
export interface TernPeer extends ImapPeer {
  server: TestServer;
  accounts: Map<string, Account>;
}

function findDovecot(): string | null {
  for (const p of ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

const DOVECOT_BIN = findDovecot();

/** Why Dovecot cannot run here (binary missing), or null when it can. */
export const dovecotMissing: string | null = DOVECOT_BIN
  ? null
  : "dovecot not installed (apt-get install dovecot-imapd); differential IMAP tests skipped";

/**
 * A Dovecot `<protocol>-login` service block listening on 127.0.0.1:`port` (its TLS listener off;
 * unchrooted unless root, as a plain user cannot chroot).
 */
export function loginService(protocol: "imap" | "pop3", port: number): string {
  return `service ${protocol}-login {
  inet_listener ${protocol} {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener ${protocol}s {
    port = 0
  }
${Deno.uid() === 0 ? "" : "  chroot =\n"}}`;
}

/** A port on 127.0.0.1 free when asked (another process may take it before it is bound). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function uidOf(name: string): { uid: number; gid: number } | null {
  try {
    const passwd = Deno.readTextFileSync("/etc/passwd");
    for (const line of passwd.split("\n")) {
      const f = line.split(":");
      if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no passwd file
  }
  return null;
}

function userNameOf(uid: number): string | null {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {
    // no passwd file
  }
  return null;
}

async function connectWithRetry(port: number, child: Deno.ChildProcess, logPath: string): Promise<void> {
  // Dovecot forks its listeners after the master starts; poll until the port answers (bounded).
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 400; i++) {
    if (exited) break;
    try {
      const w = await ImapWire.connect(port);
      w.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const log = await Deno.readTextFile(logPath).catch(() => "");
  throw new Error(`dovecot did not start on port ${port}:\n${log}`);
}

/**
 * Starts Dovecot (2.3 config syntax) on 127.0.0.1 on a free port with a generated config in a temp
 * dir: passwd-file users with `{PLAIN}` passwords, logins by full address (`%Lu`), Maildir under the
 * temp dir, plaintext auth without TLS, `mail_fsync = never`. As root, mail runs as the `dovecot`
 * user and logins as `dovenull`; otherwise everything runs as the current user.
 *
 * @param users the accounts to create (default `DEFAULT_USERS`)
 * @param extraConfig lines appended to the generated `dovecot.conf`
 */
export async function startDovecot(
  users: readonly InteropUser[] = DEFAULT_USERS,
  extraConfig = "",
): Promise<DovecotPeer> {
  if (!DOVECOT_BIN) throw new Error(dovecotMissing!);
  // The free port is found by binding and closing it: another process may take it before Dovecot
  // binds it (tests run in parallel), so a start that fails is tried again on a new port.
  for (let attempt = 1;; attempt++) {
    try {
      return await startDovecotOnce(users, extraConfig);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function startDovecotOnce(users: readonly InteropUser[], extraConfig: string): Promise<DovecotPeer> {
  const bin = DOVECOT_BIN;
  if (!bin) throw new Error(dovecotMissing!);
  const dir = await Deno.makeTempDir({ prefix: "tern-dovecot-" });
  const port = freePort();
  const isRoot = Deno.uid() === 0;
  const internal = isRoot ? (uidOf("dovecot") ? "dovecot" : "nobody") : userNameOf(Deno.uid()!) ?? "nobody";
  const login = isRoot ? (uidOf("dovenull") ? "dovenull" : internal) : internal;
  const mailUser = isRoot ? uidOf(internal)! : { uid: Deno.uid()!, gid: Deno.gid()! };
  await Deno.mkdir(`${dir}/mail`);
  await Deno.mkdir(`${dir}/run`);
  await Deno.mkdir(`${dir}/state`);
  if (isRoot) {
    await Deno.chmod(dir, 0o755);
    await Deno.chown(`${dir}/mail`, mailUser.uid, mailUser.gid);
  }
  const passwd =
    users.map((u) =>
      `${u.address.toLowerCase()}:{PLAIN}${u.password}:${mailUser.uid}:${mailUser.gid}::${dir}/mail/${u.address.toLowerCase()}::`
    ).join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/passwd`, passwd, { mode: 0o644 });
  const conf = `# generated by tests/interop/_dovecot.ts
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
default_internal_user = ${internal}
default_login_user = ${login}
first_valid_uid = ${Math.min(mailUser.uid, 1)}
first_valid_gid = 0
mail_uid = ${mailUser.uid}
mail_gid = ${mailUser.gid}
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
${loginService("imap", port)}
service anvil {
${isRoot ? "" : "  chroot =\n"}}
protocol imap {
  mail_max_userip_connections = 100
}
${extraConfig}
`;
  await Deno.writeTextFile(`${dir}/dovecot.conf`, conf, { mode: 0o644 });
  const child = new Deno.Command(bin, {
    args: ["-F", "-c", `${dir}/dovecot.conf`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await connectWithRetry(port, child, `${dir}/dovecot.log`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    name: "dovecot",
    port,
    dir,
    async login(user = users[0]!) {
      const w = await ImapWire.connect(port);
      await w.login(user.address, user.password);
      return w;
    },
    log: () => Deno.readTextFile(`${dir}/dovecot.log`).catch(() => ""),
    stop,
  };
}

/**
 * Starts Tern (via `tests/support/server.ts`) with the same users. Literals up to 64 MiB.
 *
 * @param users the accounts to create (default `DEFAULT_USERS`)
 * @param overrides config overrides passed to `startTestServer`
 */
export async function startTern(
  users: readonly InteropUser[] = DEFAULT_USERS,
  overrides?: Parameters<typeof startTestServer>[0],
): Promise<TernPeer> {
  const server = await startTestServer({ imap: { max_literal_size: 64 * 1024 * 1024 }, ...overrides });
  const accounts = new Map<string, Account>();
  for (const u of users) accounts.set(u.address, await server.addUser(u.address, u.password));
  const port = server.port("imap");
  let stopped = false;
  return {
    name: "tern",
    port,
    server,
    accounts,
    async login(user = users[0]!) {
      const w = await ImapWire.connect(port);
      await w.login(user.address, user.password);
      return w;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
    },
  };
}

/** Options for `normaliseResponse`. */
export interface NormaliseOptions {
  /** Drop the human-readable text after a status response's code (default true). */
  dropText?: boolean;
  /** Upper-case strings inside BODY/BODYSTRUCTURE (MIME tokens compare case-insensitively). */
  foldMimeCase?: boolean;
  /** Sort the items inside FETCH responses by name (default true). */
  sortFetchItems?: boolean;
}

/**
 * Normalises one response (as `Response` or its latin1 text) for comparison across servers:
 * - tag → `TAG` (done by `ImapWire.cmd` already; any `wN ` / `aN ` tag is replaced here too);
 * - `UIDVALIDITY n`, `APPENDUID n`, `COPYUID n` validity, `HIGHESTMODSEQ n`, `MODSEQ (n)`,
 *   `INTERNALDATE "..."` values → `*`;
 * - `CAPABILITY` lists (untagged or in a response code) sorted and upper-cased;
 * - the human text of status responses dropped (`dropText`);
 * - FETCH items sorted by name, strings canonicalised (quoted and literal compare equal), and with
 *   `foldMimeCase` strings in BODY/BODYSTRUCTURE upper-cased.
 */
export function normaliseResponse(r: Response | string, opts: NormaliseOptions = {}): string {
  const dropText = opts.dropText ?? true;
  let text = typeof r === "string" ? r : r.text;
  text = text.replace(/^[A-Za-z]+\d+ /, "TAG ");
  const f = fetchItems(new Uint8Array(Array.from(text, (c) => c.charCodeAt(0) & 0xff)));
  if (f) {
    const entries = [...f.items.entries()].map(([k, v]) => {
      if (k === "INTERNALDATE") return `${k} "*"`;
      if (k === "MODSEQ") return `${k} (*)`;
      const mime = k === "BODY" || k === "BODYSTRUCTURE";
      return `${k} ${serialize(v, { foldCase: mime && opts.foldMimeCase })}`;
    });
    if (opts.sortFetchItems ?? true) entries.sort();
    return `* ${f.seq} FETCH (${entries.join(" ")})`;
  }
  text = text
    .replace(/\[UIDVALIDITY \d+\]/gi, "[UIDVALIDITY *]")
    .replace(/\[APPENDUID \d+ /gi, "[APPENDUID * ")
    .replace(/\[COPYUID \d+ /gi, "[COPYUID * ")
    .replace(/\[HIGHESTMODSEQ \d+\]/gi, "[HIGHESTMODSEQ *]")
    .replace(/MODSEQ \(\d+\)/gi, "MODSEQ (*)")
    .replace(/\(MODSEQ \d+\)/gi, "(MODSEQ *)")
    .replace(/INTERNALDATE "[^"]*"/gi, 'INTERNALDATE "*"');
  const sortCaps = (caps: string) => caps.trim().split(/\s+/).map((c) => c.toUpperCase()).sort().join(" ");
  let m = /^\* CAPABILITY (.*)$/i.exec(text);
  if (m) return `* CAPABILITY ${sortCaps(m[1]!)}`;
  m = /^(\S+ (?:OK|NO|BAD|PREAUTH|BYE) )\[CAPABILITY ([^\]]*)\](.*)$/i.exec(text);
  if (m) return `${m[1]}[CAPABILITY ${sortCaps(m[2]!)}]${dropText ? "" : m[3]}`;
  if (dropText) {
    m = /^(\S+ (?:OK|NO|BAD|PREAUTH|BYE))( \[[^\]]*\])?( .*)?$/i.exec(text);
    if (m) return `${m[1]!.toUpperCase()}${m[2] ?? ""}`;
  }
  return text;
}
