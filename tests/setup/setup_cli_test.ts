/**
 * `tern setup DOMAIN --yes` writes a valid production configuration, creates the domain, both DKIM
 * keys and a postmaster account whose printed password logs in, and prints the DNS records; those
 * records, published as static DNS, pass `tern dns check`, and a missing or wrong one fails it.
 */
import assert from "node:assert/strict";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";
import { loadConfig } from "../../core/config/load.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { systemClock } from "../../core/clock.ts";
import { dkimVerify } from "mailauth";
import { Buffer } from "node:buffer";
import { DkimSigner } from "../../core/dkim/signer.ts";

async function tern(args: string[]) {
  const io = new MemoryIo();
  const code = await runCli(args, io, { version: "0.0.0" });
  return { code, out: io.stdout, err: io.stderr };
}

interface ZoneRecord {
  name: string;
  type: "MX" | "A" | "AAAA" | "TXT" | "SRV" | "CNAME";
  value: string;
}

/** Reads the zone-file lines `tern setup` prints back into records (TXT strings joined). */
function parseZone(text: string): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\S+)\. +3600 IN (MX|A|AAAA|TXT|SRV|CNAME) +(.*)$/.exec(line);
    if (!m) continue;
    let value = m[3]!.trim();
    if (m[2] === "TXT") {
      value = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!.replace(/\\(.)/g, "$1")).join("");
    }
    out.push({ name: m[1]!, type: m[2] as ZoneRecord["type"], value: value.replace(/\.$/, "") });
  }
  return out;
}

async function writeCheckConfig(dir: string, records: ZoneRecord[]): Promise<string> {
  const path = `${dir}/check.toml`;
  const base = await Deno.readTextFile(`${dir}/tern.toml`);
  const dns = records.map((r) =>
    `[[queue.static_dns]]\nname = ${JSON.stringify(r.name)}\ntype = "${r.type}"\nvalue = ${
      JSON.stringify(r.value)
    }\n`
  );
  await Deno.writeTextFile(path, `${base}\n${dns.join("\n")}`);
  return path;
}

Deno.test("tern setup --yes writes the config, keys and postmaster, and its DNS records pass tern dns check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-setup-" });
  try {
    const out = `${dir}/tern.toml`;
    const r = await tern([
      "setup",
      "Example.TEST",
      "--yes",
      "--hostname",
      "mx.example.test",
      "--output",
      out,
      "--data-dir",
      `${dir}/data`,
      "--ipv4",
      "192.0.2.10",
    ]);
    assert.equal(r.code, 0, r.err);
    // The file is a valid configuration for the standard ports.
    const config = await loadConfig(out);
    assert.equal(config.hostname, "mx.example.test");
    assert.deepEqual(config.local_domains, ["example.test"]);
    assert.deepEqual(
      [config.listeners.smtp.port, config.listeners.submission.port, config.listeners.submissions.port],
      [25, 587, 465],
    );
    assert.deepEqual([config.listeners.imaps.port, config.listeners.pop3s.port, config.listeners.http.port], [
      993,
      995,
      443,
    ]);
    assert.equal(config.listeners.lmtp.enabled, false);
    // Certificates from Let's Encrypt over HTTP-01 (tests/acme proves the path against Pebble).
    assert.deepEqual([config.acme.enabled, config.acme.email, config.acme.http_port], [
      true,
      "postmaster@example.test",
      80,
    ]);

    // The printed password logs in as the postmaster.
    const password = /^Created postmaster@example\.test with password: (\S+)$/m.exec(r.out)?.[1];
    assert.ok(password && password.length >= 20, r.out);
    const records = parseZone(r.out);
    const store = await SqliteStore.open({ dataDir: `${dir}/data` });
    try {
      const auth = createAuthService(store, config, systemClock);
      const who = { remoteAddress: "127.0.0.1", protocol: "imap" as const, secure: true };
      assert.equal((await auth.verifyPassword("postmaster@example.test", password, who)).ok, true);
      assert.equal((await auth.verifyPassword("postmaster@example.test", password + "x", who)).ok, false);
      // Both DKIM keys exist, and mail signed with them verifies against the printed TXT records.
      const keys = await store.dkimKeys.list("example.test");
      assert.deepEqual(keys.map((k) => k.algorithm), ["rsa-sha256", "ed25519-sha256"]);
      const signed = await new DkimSigner(store.dkimKeys).sign(
        new TextEncoder().encode(
          "From: postmaster@example.test\r\nTo: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n",
        ),
        "postmaster@example.test",
        new Date(),
      );
      const verified = await dkimVerify(Buffer.from(signed.message), {
        resolver: (name: string, type: string) => {
          const txt = records.filter((x) => x.type === type && x.name === name).map((x) => [x.value]);
          return txt.length
            ? Promise.resolve(txt)
            : Promise.reject(Object.assign(new Error("nx"), { code: "ENOTFOUND" }));
        },
      });
      assert.deepEqual(verified.results.map((x) => x.status.result), ["pass", "pass"]);
    } finally {
      await store.close();
    }

    // Every kind of record is printed.
    const kinds = records.map((x) => `${x.type} ${x.name}`);
    for (
      const k of [
        "MX example.test",
        "A mx.example.test",
        "TXT example.test",
        "TXT tern._domainkey.example.test",
        "TXT tern-ed25519._domainkey.example.test",
        "TXT _dmarc.example.test",
        "TXT _mta-sts.example.test",
        "CNAME mta-sts.example.test",
        "TXT _smtp._tls.example.test",
        "CNAME autoconfig.example.test",
        "CNAME autodiscover.example.test",
        "SRV _submissions._tcp.example.test",
        "SRV _imaps._tcp.example.test",
        "SRV _jmap._tcp.example.test",
      ]
    ) assert.ok(kinds.includes(k), `${k} missing from:\n${kinds.join("\n")}`);
    assert.ok(records.some((x) => x.type === "SRV" && x.value === "0 1 993 mx.example.test"));
    assert.match(r.out, /^\[ \] required {2}MX {4}example\.test$/m);

    // Published as printed: every record checks out.
    let cfg = await writeCheckConfig(dir, [...records, {
      name: "autoconfig.example.test",
      type: "A",
      value: "192.0.2.10",
    }]);
    let check = await tern([
      "dns",
      "check",
      "example.test",
      "--config",
      cfg,
      "--ipv4",
      "192.0.2.10",
      "--json",
    ]);
    assert.equal(check.code, 0, check.out + check.err);
    const rows = JSON.parse(check.out) as { type: string; name: string; status: string }[];
    assert.deepEqual(rows.filter((x) => x.status !== "ok"), []);
    assert.equal(rows.length, records.length);

    // A missing DKIM key record and an MX pointing elsewhere fail the check (exit 1) and say which.
    const broken = records
      .filter((x) => x.name !== "tern-ed25519._domainkey.example.test")
      .map((x) => x.type === "MX" ? { ...x, value: "10 other.example.net" } : x);
    cfg = await writeCheckConfig(dir, broken);
    check = await tern(["dns", "check", "example.test", "--config", cfg]);
    assert.equal(check.code, 1, check.out);
    assert.match(check.out, /^missing +required +TXT +tern-ed25519\._domainkey\.example\.test /m);
    assert.match(
      check.out,
      /^mismatch +required +MX +example\.test +MX points elsewhere: 10 other\.example\.net/m,
    );

    // Running setup again keeps the keys and the password, and refuses to overwrite without --force.
    const again = await tern([
      "setup",
      "example.test",
      "--yes",
      "--output",
      out,
      "--data-dir",
      `${dir}/data`,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.err, /exists: pass --force/);
    const forced = await tern([
      "setup",
      "example.test",
      "--yes",
      "--force",
      "--output",
      out,
      "--data-dir",
      `${dir}/data`,
    ]);
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /\(kept\)/);
    assert.match(forced.out, /postmaster@example\.test exists; its password is unchanged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tern setup without --yes refuses to run when standard input is not a terminal", async () => {
  const r = await tern(["setup", "example.test", "--output", "/nonexistent/tern.toml"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /pass --yes/);
});
