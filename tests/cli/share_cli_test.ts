/**
 * `tern share …` through the real main.ts in a child process with the `tern` task's permissions:
 * grants are set, modified with +/-, listed and revoked, and bad rights or names are refused.
 */
import assert from "node:assert/strict";
import { tern } from "./_tern.ts";

Deno.test("tern share grant/list/revoke manage who may use an account's mailbox", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-share-cli-" });
  try {
    const ok = async (args: string[], stdin?: string) => {
      const r = await tern(dir, args, stdin);
      assert.equal(r.code, 0, `tern ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(["domain", "add", "example.com"]);
    await ok(["user", "add", "ada@example.com", "--password-stdin"], "secret-pw");
    await ok(["user", "add", "bob@example.com", "--password-stdin"], "secret-pw");
    assert.equal(
      await ok(["share", "grant", "ada@example.com", "Sent", "bob@example.com", "lr"]),
      "bob@example.com has lr on Sent\n",
    );
    assert.equal(
      await ok(["share", "grant", "ada@example.com", "Sent", "bob@example.com", "+sc"]),
      "bob@example.com has lrskx on Sent\n",
    );
    await ok(["share", "grant", "ada@example.com", "inbox", "anyone", "l"]);
    const list = await ok(["share", "list", "ada@example.com"]);
    assert.match(list, /^INBOX\s+anyone\s+l$/m);
    assert.match(list, /^Sent\s+bob@example\.com\s+lrskx$/m);
    assert.deepEqual(JSON.parse(await ok(["share", "list", "ada@example.com", "Sent", "--json"])), [
      { mailbox: "Sent", grantee: "bob@example.com", rights: "lrskx" },
    ]);

    const bad = await tern(dir, ["share", "grant", "ada@example.com", "Sent", "bob@example.com", "lrz"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid rights "lrz"/);
    const missing = await tern(dir, ["share", "grant", "ada@example.com", "Nope", "bob@example.com", "l"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No mailbox "Nope"/);

    await ok(["share", "revoke", "ada@example.com", "Sent", "bob@example.com"]);
    assert.deepEqual(JSON.parse(await ok(["share", "list", "ada@example.com", "--json"])), [
      { mailbox: "INBOX", grantee: "anyone", rights: "l" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
