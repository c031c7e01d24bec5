/**
 * `tern sieve …` through the real main.ts in a child process with the `tern` task's permissions:
 * scripts are checked before they are stored (line and column on errors), listed, activated and
 * read back.
 */
import assert from "node:assert/strict";
import { tern } from "./_tern.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { GLOBAL_SCRIPTS } from "../../core/store/records/sieve_scripts.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-sieve-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tern sieve put/list/activate/get/check/delete manage an account's scripts", async () => {
  await withTempDir(async (dir) => {
    const ok = async (args: string[], stdin?: string) => {
      const r = await tern(dir, args, stdin);
      assert.equal(r.code, 0, `tern ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(["domain", "add", "example.com"]);
    await ok(["user", "add", "ada@example.com", "--password-stdin"], "secret-pw");
    const script = 'require "fileinto";\nif header :contains "subject" "[list]" { fileinto "Lists"; }\n';
    await Deno.writeTextFile(`${dir}/main.sieve`, script);
    assert.match(
      await ok(["sieve", "put", "ada@example.com", "main", "main.sieve", "--activate"]),
      /Stored script "main" \(active\)/,
    );
    await ok(["sieve", "put", "ada@example.com", "spare"], "keep;\n");
    const list = await ok(["sieve", "list", "ada@example.com"]);
    assert.match(list, /^main\s+yes\s+\d+/m);
    assert.match(list, /^spare\s+\d+/m);
    assert.equal(await ok(["sieve", "get", "ada@example.com", "main"]), script);
    assert.match(await ok(["sieve", "check", "ada@example.com"]), /^main: OK$/m);

    // A script with an error is refused with its line and column, and nothing is stored.
    const bad = await tern(
      dir,
      ["sieve", "put", "ada@example.com", "bad"],
      'require "fileinto";\nfileinto "x"\n',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 3, column 1: expected ';' or '\{'/);
    assert.doesNotMatch(await ok(["sieve", "list", "ada@example.com"]), /^bad/m);
    const badFile = await tern(dir, ["sieve", "check", "ada@example.com", "--file", "-"], "frob;");
    assert.equal(badFile.code, 1);
    assert.match(badFile.stderr, /line 1, column 1: unknown command "frob"/);

    assert.match(await ok(["sieve", "activate", "ada@example.com", "spare"]), /Script "spare" is active/);
    assert.match(
      await ok(["sieve", "list", "ada@example.com", "--json"]),
      /"name": "spare",\s+"isActive": true/,
    );
    const busy = await tern(dir, ["sieve", "delete", "ada@example.com", "spare"]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /active/);
    await ok(["sieve", "delete", "ada@example.com", "main"]);
    await ok(["sieve", "activate", "ada@example.com", "--none"]);
    const none = await tern(dir, ["sieve", "check", "ada@example.com"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No active script/);
    const nobody = await tern(dir, ["sieve", "list", "nobody@example.com"]);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /No account "nobody@example.com"/);
  });
});

Deno.test("tern sieve --global manages the global scripts that include :global finds", async () => {
  await withTempDir(async (dir) => {
    const ok = async (args: string[], stdin?: string) => {
      const r = await tern(dir, args, stdin);
      assert.equal(r.code, 0, `tern ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(["domain", "add", "example.com"]);
    await ok(["user", "add", "ada@example.com", "--password-stdin"], "secret-pw");
    const script = 'require "fileinto";\nif header :contains "subject" "[spam]" { fileinto "Junk"; }\n';
    assert.match(await ok(["sieve", "put", "--global", "spam"], script), /Stored script "spam"/);
    assert.match(await ok(["sieve", "list", "--global"]), /^spam\s+\d+/m);
    assert.equal(await ok(["sieve", "get", "--global", "spam"]), script);
    assert.match(await ok(["sieve", "check", "--global", "spam"]), /^spam: OK$/m);
    // Stored where the delivery stage looks for `include :global "spam"`.
    const store = await SqliteStore.open({ dataDir: `${dir}/data` });
    try {
      assert.equal((await store.sieveScripts.get(GLOBAL_SCRIPTS, "spam"))?.content, script);
    } finally {
      await store.close();
    }
    // The account's own scripts are another namespace.
    assert.doesNotMatch(await ok(["sieve", "list", "ada@example.com"]), /spam/);
    const missing = await tern(dir, ["sieve", "get", "ada@example.com", "spam"]);
    assert.equal(missing.code, 1);
    // Global scripts are included, never active; an account is needed without --global.
    const active = await tern(dir, ["sieve", "put", "--global", "x", "--activate"], "keep;\n");
    assert.equal(active.code, 2);
    assert.match(active.stderr, /never active/);
    const noAccount = await tern(dir, ["sieve", "list"]);
    assert.equal(noAccount.code, 2);
    await ok(["sieve", "delete", "--global", "spam"]);
    assert.doesNotMatch(await ok(["sieve", "list", "--global"]), /spam/);
  });
});
