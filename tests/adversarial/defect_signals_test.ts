/**
 * Defect 2 of the hardening issue: Ctrl-C under `deno task start` sends SIGINT to the process
 * group, so the server got it twice (from the terminal and from the task runner); the second took
 * the "exit at once" path and every session was dropped without its goodbye, and "server stopped"
 * was never logged. A second signal during the grace period is now ignored (a third one, or one
 * after the grace period, still exits at once).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Lines } from "../runtime/_lines.ts";
import { LineClient } from "../support/line_client.ts";

const SERVE = new URL("./defect_signals_serve.ts", import.meta.url).pathname;

/** Log lines so far (JSON objects). */
async function log(dir: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(dir, "tern.log")).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

function has(lines: Record<string, unknown>[], msg: string): boolean {
  return lines.some((l) => l.message === msg);
}

/**
 * Waits until the log has a line with this message (the server writes it as it happens); throws
 * when the process exits first.
 */
async function logged(dir: string, msg: string, exited: Promise<Deno.CommandStatus>): Promise<void> {
  const watcher = Deno.watchFs(dir);
  let over = false;
  const close = () => {
    if (over) return;
    over = true;
    watcher.close();
  };
  exited.then(close);
  try {
    if (has(await log(dir), msg)) return;
    for await (const _ of watcher) {
      if (has(await log(dir), msg)) return;
    }
  } finally {
    close();
  }
  if (!has(await log(dir), msg)) throw new Error(`the server exited before logging "${msg}"`);
}

Deno.test("defect: SIGINT twice in quick succession still stops gracefully with every goodbye", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-sigint-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SERVE, dir, "5"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = new Lines(child.stdout);
  try {
    const addresses = JSON.parse((await out.next()) ?? "{}");
    const smtp = await LineClient.connect(addresses.smtp.port);
    assert.match((await smtp.read())!, /^220 /);
    const imap = await LineClient.connect(addresses.imap.port);
    assert.match((await imap.read())!, /^\* OK /);
    const pop3 = await LineClient.connect(addresses.pop3.port);
    assert.match((await pop3.read())!, /^\+OK/);

    // What the terminal and `deno task` do on one Ctrl-C: the signal arrives twice.
    child.kill("SIGINT");
    await logged(dir, "server stopping", child.status);
    child.kill("SIGINT");
    await logged(dir, "second stop signal ignored during the grace period", child.status);

    // The sessions get their goodbyes when the grace period is over, then the process exits 0.
    assert.equal(await smtp.read(), "421 4.3.2 Service shutting down, closing connection");
    assert.equal(await imap.read(), "* BYE Server shutting down");
    assert.match((await pop3.read())!, /^-ERR \[SYS\/TEMP\] Server shutting down/);
    for (const c of [smtp, imap, pop3]) {
      assert.equal(await c.read(), null);
      c.close();
    }
    assert.equal((await child.status).code, 0);
    assert.ok(has(await log(dir), "server stopped"), "server stopped is logged");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await out.rest();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defect: a third SIGINT during the grace period still exits at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-sigint-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SERVE, dir, "600"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = new Lines(child.stdout);
  try {
    const addresses = JSON.parse((await out.next()) ?? "{}");
    const imap = await LineClient.connect(addresses.imap.port);
    assert.match((await imap.read())!, /^\* OK /);
    child.kill("SIGINT");
    await logged(dir, "server stopping", child.status);
    child.kill("SIGINT");
    await logged(dir, "second stop signal ignored during the grace period", child.status);
    child.kill("SIGINT");
    // The 600 s grace period is not waited for.
    assert.equal((await child.status).code, 1);
    imap.close();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await out.rest();
    await Deno.remove(dir, { recursive: true });
  }
});
