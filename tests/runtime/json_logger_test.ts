import assert from "node:assert/strict";
import { join } from "node:path";
import { createJsonLogger } from "../../core/log/json_logger.ts";
import { SessionLogger } from "../../core/log/session_logger.ts";
import { REDACTED, redactFields } from "../../core/log/redact.ts";
import { newSession } from "../../core/net/session_factory.ts";
import { systemClock } from "../../core/clock.ts";

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("createJsonLogger writes one JSON object per line with bound session fields", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "tern.log");
    const { logger, close } = createJsonLogger({ level: "info", output: path });
    const session = newSession(
      "imap",
      "imap",
      {
        remoteAddress: "192.0.2.7",
        remotePort: 50000,
        localAddress: "127.0.0.1",
        localPort: 143,
      },
      false,
      systemClock,
    );
    const log = new SessionLogger(logger, session);
    log.info("login {user} ok", { mechanism: "PLAIN" });
    log.setUser("ann@example.org");
    log.warn("odd command", { command: 'x"y\nz' });
    log.debug("not written at info level");
    close();
    log.error("dropped after close");
    const lines = await readLines(path);
    assert.equal(lines.length, 2);
    const [a, b] = lines;
    assert.equal(a?.level, "info");
    assert.equal(a?.message, "login {user} ok"); // the message is never a template
    assert.equal(a?.session_id, session.id);
    assert.equal(a?.client_ip, "192.0.2.7");
    assert.equal(a?.protocol, "imap");
    assert.equal(a?.mechanism, "PLAIN");
    assert.equal(a?.username, undefined);
    assert.ok(!Number.isNaN(Date.parse(String(a?.timestamp))));
    assert.deepEqual(Object.keys(a ?? {}).slice(0, 3), ["timestamp", "level", "message"]);
    assert.equal(b?.level, "warning");
    assert.equal(b?.username, "ann@example.org");
    assert.equal(b?.command, 'x"y\nz');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createJsonLogger never writes a password, token or authorization value", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "tern.log");
    const { logger, close } = createJsonLogger({ level: "debug", output: path });
    logger.with({ password: "hunter2" }).info("bound secret");
    logger.info("call secret", { Authorization: "Basic aHVudGVyMg==", api_token: "tok-123", user: "ann" });
    close();
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes("hunter2"));
    assert.ok(!text.includes("aHVudGVyMg"));
    assert.ok(!text.includes("tok-123"));
    const [a, b] = await readLines(path);
    assert.equal(a?.password, REDACTED);
    assert.equal(b?.Authorization, REDACTED);
    assert.equal(b?.user, "ann");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createJsonLogger keeps separate outputs for separate loggers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = createJsonLogger({ level: "error", output: join(dir, "one.log") });
    const two = createJsonLogger({ level: "debug", output: join(dir, "two.log") });
    one.logger.info("below level");
    one.logger.error("to one");
    two.logger.debug("to two");
    one.close();
    two.close();
    assert.deepEqual((await readLines(join(dir, "one.log"))).map((l) => l.message), ["to one"]);
    assert.deepEqual((await readLines(join(dir, "two.log"))).map((l) => l.message), ["to two"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("redactFields replaces secret-looking keys and leaves others", () => {
  const input = { username: "ann", passwd: "x", secret_key: "y", client_ip: "192.0.2.1", token: null };
  const out = redactFields(input);
  assert.deepEqual(out, {
    username: "ann",
    passwd: REDACTED,
    secret_key: REDACTED,
    client_ip: "192.0.2.1",
    token: null,
  });
  assert.equal(input.passwd, "x");
  const clean = { a: 1 };
  assert.equal(redactFields(clean), clean);
});
