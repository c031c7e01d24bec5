/**
 * Support for tests that run the real `tern serve` (main.ts with the start task's permissions) as a
 * child process (not a test file): a working directory with a tern.toml (every listener on port
 * 0, plaintext login allowed on IMAP, no SMTP rate limit), a domain and a user made by the CLI,
 * and the child with its bound ports read from its JSON log.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnServe, tern } from "../cli/_tern.ts";

/** Writes tern.toml into `dir` and creates the user's domain and the user with the CLI. */
export async function prepareDataDir(dir: string, address: string, password: string): Promise<void> {
  const domain = address.split("@")[1]!;
  const listeners = [
    "smtp",
    "submission",
    "submissions",
    "imap",
    "imaps",
    "pop3",
    "pop3s",
    "managesieve",
    "http",
  ]
    .map((n) => `[listeners.${n}]\nport = 0\n` + (n === "imap" ? "allow_plaintext_auth = true\n" : ""))
    .join("");
  await Deno.writeTextFile(
    join(dir, "tern.toml"),
    // Static DNS, as testConfig sets: inbound checks (SPF, rDNS…) never ask the real resolver.
    `local_domains = ["${domain}"]\n[smtp]\nrate_limit_per_minute = 0\n${listeners}` +
      `[[queue.static_dns]]\nname = "tern-test.invalid"\ntype = "A"\nvalue = "127.0.0.1"\n`,
  );
  assert.equal((await tern(dir, ["domain", "add", domain])).code, 0);
  const user = await tern(dir, ["user", "add", address, "--password-stdin"], `${password}\n`);
  assert.equal(user.code, 0, user.stderr);
}

/** A `tern serve` child and its bound ports. */
export interface Served {
  child: Deno.ChildProcess;
  ports: Record<string, number>;
  /** Remaining log lines, read until the child exits. */
  drained: Promise<string[]>;
}

/** Starts `tern serve` in `dir` and resolves once its log says "server started". */
export async function serve(dir: string): Promise<Served> {
  const child = await spawnServe(dir);
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const ports: Record<string, number> = {};
  let buf = "";
  const seen: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before it started:\n${seen.join("\n")}`);
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    let started = false;
    for (const line of lines) {
      seen.push(line);
      let e: { message: string; listener?: string; port?: number };
      try {
        e = JSON.parse(line);
      } catch {
        // Not a log record (e.g. the runtime's report of an error in a worker, after which the
        // server goes on): stop the child and show all it printed.
        child.kill("SIGKILL");
        for (let r = await reader.read(); !r.done; r = await reader.read()) seen.push(r.value);
        throw new Error(`server printed a line that is not a JSON log record:\n${seen.join("\n")}${buf}`);
      }
      if (e.message === "listening" && e.listener && e.port) ports[e.listener] = e.port;
      if (e.message === "server started") started = true;
    }
    if (started) break;
  }
  const drained = (async () => {
    const rest: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return rest;
      rest.push(value);
    }
  })();
  return { child, ports, drained };
}
