import assert from "node:assert/strict";
import { join } from "node:path";
import { tern } from "./_tern.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tern --version prints the version from deno.json", async () => {
  const json = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  await withTempDir(async (dir) => {
    const r = await tern(dir, ["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `tern ${json.version}\n`);
  });
});

Deno.test("tern --help lists the commands; unknown command exits 2", async () => {
  await withTempDir(async (dir) => {
    const help = await tern(dir, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /user/);
    const sub = await tern(dir, ["user", "add", "--help"]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /--password-stdin/);
    assert.match(sub.stdout, /Examples:/);
    const bad = await tern(dir, ["nonsense"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "nonsense"/);
  });
});

Deno.test("tern config check reports the key and line of an error with exit 2", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "good.toml"), 'hostname = "mail.example.com"\n');
    await Deno.writeTextFile(
      join(dir, "bad.toml"),
      'hostname = "mail.example.com"\n\n[listeners.imap]\nport = "143"\n\n[smtp]\nmax_recipent = 5\n',
    );
    await Deno.writeTextFile(join(dir, "broken.toml"), "[smtp\nport = 1\n");
    const good = await tern(dir, ["config", "check", "--config", "good.toml"]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /good\.toml: OK/);

    const bad = await tern(dir, ["config", "check", "--config", "bad.toml"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /bad\.toml:4: listeners\.imap\.port: expected an integer from 0 to 65535, got "143"/,
    );
    assert.match(bad.stderr, /bad\.toml:7: smtp\.max_recipent: unknown key .*did you mean "max_recipients"/);

    const broken = await tern(dir, ["config", "check", "--config", "broken.toml"]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.toml:1:\d+: TOML syntax error/);

    const serve = await tern(dir, ["serve", "--config", "bad.toml"]);
    assert.equal(serve.code, 2, "serve refuses an invalid configuration before binding anything");
    assert.match(serve.stderr, /bad\.toml:4: listeners\.imap\.port/);

    const missing = await tern(dir, ["config", "check", "--config", "nope.toml"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.toml: file not found/);
  });
});

Deno.test("tern domain, user and alias commands round-trip through the store", async () => {
  await withTempDir(async (dir) => {
    const ok = async (args: string[], stdin?: string) => {
      const r = await tern(dir, args, stdin);
      assert.equal(r.code, 0, `tern ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };

    assert.match(await ok(["domain", "add", "Example.COM"]), /Added domain example\.com/);
    assert.match(await ok(["domain", "list"]), /^example\.com /m);
    const dup = await tern(dir, ["domain", "add", "example.com"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);

    await ok(
      ["user", "add", "ada@example.com", "--name", "Ada Lovelace", "--password-stdin"],
      "first-secret\n",
    );
    await ok(["user", "add", "bob@example.com", "--password-stdin", "--quota", "10M"], "bob-secret");
    const noDomain = await tern(dir, ["user", "add", "eve@elsewhere.example", "--password-stdin"], "pw");
    assert.equal(noDomain.code, 1);
    assert.match(noDomain.stderr, /not a local domain/);
    const badAddress = await tern(dir, ["user", "add", "not-an-address", "--password-stdin"], "pw");
    assert.equal(badAddress.code, 2);

    const list = await ok(["user", "list"]);
    assert.match(list, /^ada@example\.com\s+Ada Lovelace/m);
    assert.match(list, /^bob@example\.com\s.*10 MiB/m);
    const json = JSON.parse(await ok(["user", "list", "--json"])) as { address: string }[];
    assert.deepEqual(json.map((a) => a.address).sort(), ["ada@example.com", "bob@example.com"]);

    await ok(["user", "passwd", "ada@example.com", "--password-stdin"], "second-secret\n");
    await ok(["user", "set", "bob@example.com", "--quota", "20M", "--disable", "--name", "Bob"]);
    assert.match(await ok(["user", "list"]), /^bob@example\.com\s+Bob\s+.*20 MiB\s+disabled$/m);
    assert.equal((await tern(dir, ["user", "set", "bob@example.com"])).code, 2);
    await ok(["user", "set", "bob@example.com", "--enable"]);
    assert.match(await ok(["user", "list"]), /^bob@example\.com\s.*active$/m);
    // Only derived secrets are stored, never a password.
    for await (const entry of Deno.readDir(join(dir, "data"))) {
      if (!entry.isFile) continue;
      const bytes = new TextDecoder("latin1").decode(await Deno.readFile(join(dir, "data", entry.name)));
      for (const pw of ["first-secret", "second-secret", "bob-secret"]) {
        assert.ok(!bytes.includes(pw), `${pw} found in ${entry.name}`);
      }
    }

    const unknown = await tern(dir, ["user", "passwd", "zed@example.com", "--password-stdin"], "x");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No account "zed@example\.com"/);

    assert.match(
      await ok(["alias", "add", "team@example.com", "ada@example.com", "bob@example.com"]),
      /team@/,
    );
    assert.match(await ok(["alias", "list"]), /^team@example\.com\s+ada@example\.com, bob@example\.com$/m);
    const aliasToNobody = await tern(dir, ["alias", "add", "x@example.com", "nobody@example.com"]);
    assert.equal(aliasToNobody.code, 1);

    const show = await ok(["user", "show", "ada@example.com"]);
    assert.match(show, /Address:\s+ada@example\.com/);
    assert.match(show, /Sends as:.*team@example\.com/);
    assert.match(show, /^Inbox\s/im);

    const token = (await ok(["token", "create", "ada@example.com", "--name", "laptop"])).trim();
    assert.match(token, /^tern_[A-Za-z0-9_-]{43}$/);
    const tokens = JSON.parse(await ok(["token", "list", "--json"])) as {
      id: string;
      name: string;
      address: string;
    }[];
    assert.deepEqual(tokens.map((t) => [t.name, t.address]), [["laptop", "ada@example.com"]]);
    const noOwner = await tern(dir, ["token", "create", "zed@example.com"]);
    assert.equal(noOwner.code, 1);
    await ok(["token", "revoke", tokens[0]?.id ?? ""]);
    assert.equal(await ok(["token", "list"]), "(none)\n");
    assert.equal((await tern(dir, ["token", "revoke", tokens[0]?.id ?? ""])).code, 1);

    const domainInUse = await tern(dir, ["domain", "delete", "example.com"]);
    assert.equal(domainInUse.code, 1);

    await ok(["alias", "delete", "team@example.com"]);
    assert.equal(await ok(["alias", "list"]), "(none)\n");
    const noConfirm = await tern(dir, ["user", "delete", "bob@example.com"]);
    assert.equal(noConfirm.code, 2);
    await ok(["user", "delete", "bob@example.com", "--yes"]);
    await ok(["user", "delete", "ada@example.com", "--yes"]);
    assert.equal(await ok(["user", "list"]), "(none)\n");
    await ok(["domain", "delete", "example.com"]);
    assert.doesNotMatch(await ok(["domain", "list"]), /example\.com/);
  });
});

Deno.test("tern user commands use the data_dir of --config", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "etc"));
    await Deno.writeTextFile(
      join(dir, "etc", "tern.toml"),
      'data_dir = "../data"\nlocal_domains = ["example.org"]\n',
    );
    const r = await tern(dir, ["domain", "add", "example.net", "--config", "etc/tern.toml"]);
    assert.equal(r.code, 0, r.stderr);
    const names = await Array.fromAsync(Deno.readDir(join(dir, "data")));
    assert.ok(names.length > 0);
  });
});

Deno.test("tern user add creates a domain of local_domains on demand, not others", async () => {
  await withTempDir(async (dir) => {
    // Default configuration: local_domains = ["localhost"], data in ./data.
    const r = await tern(dir, ["user", "add", "you@localhost", "--password-stdin"], "pw-for-you\n");
    assert.equal(r.code, 0, r.stderr);
    assert.match((await tern(dir, ["domain", "list"])).stdout, /^localhost /m);
    const other = await tern(dir, ["alias", "add", "x@other.example", "you@localhost"]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /not a local domain/);
  });
});
