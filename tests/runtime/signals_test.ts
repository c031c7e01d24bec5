import assert from "node:assert/strict";
import { readUntil } from "./_tls_helpers.ts";
import { Lines } from "./_lines.ts";

Deno.test("installSignalHandlers: SIGHUP reloads, SIGTERM says goodbye to clients and exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-runtime-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./fixtures/serve_with_signals.ts", import.meta.url).pathname, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = new Lines(child.stdout);
  try {
    const addresses = JSON.parse((await out.next()) ?? "{}");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: addresses.imap.port });
    assert.match(await readUntil(conn, "\r\n"), /^\* OK /);

    child.kill("SIGHUP");
    assert.equal(await out.next(), "reloaded");
    // The reload did not touch the established connection: it is still there to get the goodbye.
    child.kill("SIGTERM");
    assert.match(await readUntil(conn, "never"), /^\* BYE /m);
    conn.close();
    await out.rest();
    assert.equal((await child.status).code, 0);
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
