import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./run.ts";
import { MemoryIo } from "./io.ts";
import { COMMANDS, GROUPS } from "./commands.ts";
import { ExitCode } from "./errors.ts";
import { readNewPassword } from "./password.ts";
import { formatSize, normalizeAddress, normalizeDomain, parseSize } from "./directory_ops.ts";

const opts = { version: "9.9.9" };

async function run(args: string[], io = new MemoryIo()) {
  const code = await runCli(args, io, opts);
  return { code, out: io.stdout, err: io.stderr };
}

Deno.test("runCli prints the version", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await run([flag]);
    assert.equal(r.code, ExitCode.ok);
    assert.equal(r.out, "tern 9.9.9\n");
  }
});

Deno.test("runCli prints the main help with every group and exits 0", async () => {
  const r = await run(["--help"]);
  assert.equal(r.code, ExitCode.ok);
  for (const g of GROUPS) assert.match(r.out, new RegExp(`^  ${g.name} `, "m"));
  assert.match(r.out, /^ {2}serve /m);
  assert.match(r.out, /Examples:/);
});

Deno.test("runCli without arguments prints help to stderr and exits 2", async () => {
  const r = await run([]);
  assert.equal(r.code, ExitCode.usage);
  assert.equal(r.out, "");
  assert.match(r.err, /Usage:/);
});

Deno.test("runCli prints help for every group and command", async () => {
  for (const g of GROUPS) {
    const r = await run([g.name, "--help"]);
    assert.equal(r.code, ExitCode.ok, g.name);
    assert.match(r.out, new RegExp(`tern ${g.name} <command>`));
  }
  for (const c of COMMANDS) {
    const r = await run([...c.path, "--help"]);
    assert.equal(r.code, ExitCode.ok, c.path.join(" "));
    assert.match(r.out, new RegExp(`Usage:\\n  tern ${c.path.join(" ")}`));
    assert.match(r.out, /Examples:\n {2}tern /);
    assert.match(r.out, /--config FILE/);
  }
  const viaHelp = await run(["help", "user", "add"]);
  assert.match(viaHelp.out, /tern user add ADDRESS/);
});

Deno.test("runCli reports unknown commands and options with exit 2", async () => {
  let r = await run(["frobnicate"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /unknown command "frobnicate"/);
  r = await run(["user", "frob"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /unknown command "user frob"/);
  r = await run(["user"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /tern user <command>/);
  r = await run(["domain", "list", "--bogus"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /Unknown option '--bogus'/);
  assert.match(r.err, /tern domain list --help/);
});

Deno.test("runCli checks the number of arguments", async () => {
  let r = await run(["user", "add"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /missing argument: ADDRESS/);
  r = await run(["domain", "add", "a.example", "b.example"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /unexpected argument "b.example"/);
});

Deno.test("runCli config check accepts a valid file and rejects a bad one with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = join(dir, "good.toml");
    const bad = join(dir, "bad.toml");
    await Deno.writeTextFile(good, "[listeners.smtp]\nport = 25\n");
    await Deno.writeTextFile(bad, "# comment\n[listeners.smtp]\nport = 99999\n");
    let r = await run(["config", "check", "--config", good]);
    assert.equal(r.code, ExitCode.ok);
    assert.match(r.out, /good\.toml: OK/);
    r = await run(["config", "check", "--config", bad]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.err, /bad\.toml:3: listeners\.smtp\.port: expected an integer from 0 to 65535, got 99999/);
    r = await run(["config", "check"], new MemoryIo({ env: { TERN_CONFIG: bad } }));
    assert.equal(r.code, ExitCode.usage);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli serve without a server reports a failure", async () => {
  const r = await run(["serve"]);
  assert.equal(r.code, ExitCode.failure);
});

Deno.test("runCli user add without a terminal or --password-stdin is a usage error", async () => {
  const r = await run(["user", "add", "a@example.com"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /--password-stdin/);
});

Deno.test("runCli user delete without a terminal needs --yes", async () => {
  const r = await run(["user", "delete", "a@example.com"]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.err, /--yes/);
});

Deno.test("readNewPassword strips one trailing newline from stdin", async () => {
  assert.equal(await readNewPassword(new MemoryIo({ stdin: "s3cret pass\r\n" }), true), "s3cret pass");
  await assert.rejects(() => readNewPassword(new MemoryIo({ stdin: "x\n\n" }), true), /control/);
});

Deno.test("readNewPassword rejects empty, control characters and mismatches", async () => {
  await assert.rejects(() => readNewPassword(new MemoryIo({ stdin: "\n" }), true), /empty/);
  await assert.rejects(() => readNewPassword(new MemoryIo({ stdin: "a\u0000b" }), true), /control/);
  await assert.rejects(
    () => readNewPassword(new MemoryIo({ secrets: ["one", "two"] }), false),
    /do not match/,
  );
  await assert.rejects(() => readNewPassword(new MemoryIo({ stdin: "x".repeat(2000) }), true), /longer than/);
  assert.equal(await readNewPassword(new MemoryIo({ secrets: ["same", "same"] }), false), "same");
});

Deno.test("normalizeAddress lowercases the domain and rejects bad syntax", () => {
  assert.equal(normalizeAddress("Ada.L@Example.COM"), "Ada.L@example.com");
  assert.equal(normalizeAddress("*@example.com", true), "*@example.com");
  for (
    const bad of ["ada", "@example.com", "a..b@example.com", "a b@example.com", "*@example.com", "a@-x.com"]
  ) {
    assert.throws(() => normalizeAddress(bad), /Invalid address/, bad);
  }
});

Deno.test("normalizeDomain follows the store's rule: lowercase A-labels of letters, digits, hyphens", () => {
  assert.equal(normalizeDomain("Example.ORG"), "example.org");
  assert.equal(normalizeDomain("localhost"), "localhost");
  assert.equal(normalizeDomain("bücher.example."), "xn--bcher-kva.example");
  assert.throws(() => normalizeDomain("a_b.example"), /Invalid domain/);
  assert.throws(() => normalizeDomain("-a.example"), /Invalid domain/);
});

Deno.test("parseSize and formatSize handle units", () => {
  assert.equal(parseSize("0"), 0);
  assert.equal(parseSize("1024"), 1024);
  assert.equal(parseSize("500M"), 500 * 1024 * 1024);
  assert.equal(parseSize("2GiB"), 2 * 1024 ** 3);
  assert.throws(() => parseSize("lots"), /Invalid size/);
  assert.equal(formatSize(512), "512 B");
  assert.equal(formatSize(1536), "1.5 KiB");
});

Deno.test("runCli config show prints TOML that loads back to the same configuration, secrets redacted", async () => {
  const { parseConfig } = await import("../config/load.ts");
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "tern.toml");
    await Deno.writeTextFile(
      file,
      '[listeners.smtp]\nport = 25\n[queue.relay]\nhosts = ["smtp.example.net:587"]\nusername = "u"\npassword = "hunter2"\n',
    );
    const r = await run(["config", "show", "--config", file]);
    assert.equal(r.code, ExitCode.ok, r.err);
    assert.doesNotMatch(r.out, /hunter2/);
    assert.match(r.out, /password = "\[redacted\]"/);
    const shown = parseConfig(r.out, join(dir, "shown.toml"));
    const original = parseConfig(await Deno.readTextFile(file), file);
    assert.deepEqual(shown, JSON.parse(JSON.stringify(original).replace('"hunter2"', '"[redacted]"')));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
