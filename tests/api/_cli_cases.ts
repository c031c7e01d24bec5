/**
 * Cases registered by tests/api/api_test.ts: `tern session revoke` and `tern audit list` act on a
 * running server's sessions and audit log (the CLI in process, on the server's data directory).
 */
import assert from "node:assert/strict";
import { login, startApiServer } from "./_server.ts";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";

async function tern(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = new MemoryIo();
  const code = await runCli(args, io, { version: "test" });
  return { code, out: io.stdout, err: io.stderr };
}

Deno.test("tern session revoke ends a running server's login sessions of an account; tern audit list shows it", async () => {
  const t = await startApiServer();
  try {
    const alice = await login(t, "alice@example.org");
    const bob = await login(t, "bob@example.org");
    const list = await tern(["session", "list", "--data-dir", t.dir, "--json"]);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual(JSON.parse(list.out).map((s: { address: string }) => s.address).sort(), [
      "alice@example.org",
      "bob@example.org",
    ]);
    const r = await tern(["session", "revoke", "--account", "alice@example.org", "--data-dir", t.dir]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "Revoked 1 session\n");
    const me = await t.call("GET", "/auth/me", { token: alice.accessToken });
    assert.equal(me.status, 401);
    await me.body?.cancel();
    const still = await t.call("GET", "/auth/me", { token: bob.accessToken });
    assert.equal(still.status, 200);
    await still.body?.cancel();
    const audit = await tern([
      "audit",
      "list",
      "--kind",
      "security",
      "--action",
      "session.",
      "--data-dir",
      t.dir,
      "--json",
    ]);
    assert.equal(audit.code, 0, audit.err);
    assert.deepEqual(
      JSON.parse(audit.out).map((
        e: { action: string; actor: string; target: string },
      ) => [e.action, e.actor, e.target]),
      [["session.revoke_bulk", "cli", "alice@example.org"]],
    );
    const bad = await tern(["session", "revoke", "--all", "--org", "x", "--data-dir", t.dir]);
    assert.equal(bad.code, 2);
  } finally {
    await t.close();
  }
});
