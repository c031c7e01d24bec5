/**
 * ManageSieve (RFC 5804) on a real server: a raw conversation (byte-exact replies for every
 * command, errors with response codes) and sieve-connect (Debian's client) through STARTTLS.
 */
import assert from "node:assert/strict";
import { LineClient } from "../support/line_client.ts";
import { PASSWORDS, startServer, type WireEnv } from "../smtp/_server.ts";
import { SIEVE_EXTENSIONS } from "../../core/sieve/validate.ts";
import { MAX_SCRIPT_BYTES } from "../../core/sieve/scripts.ts";

/** Reads lines up to and including the first OK/NO/BYE response. */
async function resp(c: LineClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF after ${JSON.stringify(out)}`);
    out.push(l);
    if (/^(OK|NO|BYE)\b/.test(l)) return out;
  }
}

async function cmd(c: LineClient, line: string): Promise<string[]> {
  await c.send(line + "\r\n");
  return await resp(c);
}

const plain = (user: string, pw: string) => btoa(`\u0000${user}\u0000${pw}`);

async function withServer(fn: (env: WireEnv) => Promise<void>, plaintext = true): Promise<void> {
  const env = await startServer({ listeners: { managesieve: { allow_plaintext_auth: plaintext } } });
  try {
    await fn(env);
  } finally {
    await env.close();
  }
}

const msPort = (env: WireEnv) => env.srv.addresses.managesieve!.port;

Deno.test("managesieve raw: greeting capabilities, AUTHENTICATE PLAIN, PUTSCRIPT/LISTSCRIPTS/SETACTIVE/GETSCRIPT/RENAMESCRIPT/DELETESCRIPT", async () => {
  await withServer(async (env) => {
    const c = await LineClient.connect(msPort(env));
    try {
      const greeting = await resp(c);
      assert.deepEqual(greeting, [
        `"IMPLEMENTATION" "Tern"`,
        `"SASL" "PLAIN LOGIN SCRAM-SHA-256"`,
        `"SIEVE" "${SIEVE_EXTENSIONS.join(" ")}"`,
        `"STARTTLS"`,
        `"MAXREDIRECTS" "4"`,
        `"UNAUTHENTICATE"`,
        `"VERSION" "1.0"`,
        `OK "Tern ManageSieve ready"`,
      ]);
      assert.deepEqual(await cmd(c, `LISTSCRIPTS`), [`NO "Authenticate first"`]);
      assert.deepEqual(await cmd(c, `AUTHENTICATE "PLAIN" "${plain("alice@example.org", "wrong")}"`), [
        `NO "Authentication failed"`,
      ]);
      // Without an initial response: an empty challenge, then the response as a literal.
      await c.send(`AUTHENTICATE "PLAIN"\r\n`);
      assert.equal(await c.read(), `""`);
      const creds = plain("alice@example.org", PASSWORDS.alice);
      assert.deepEqual(await cmd(c, `{${creds.length}+}\r\n${creds}`), [`OK "Authentication successful"`]);
      const script = 'require "fileinto";\r\nif header :contains "subject" "x" { fileinto "X"; }\r\n';
      assert.deepEqual(await cmd(c, `HAVESPACE "main" ${script.length}`), [`OK "Putscript would succeed"`]);
      assert.deepEqual(await cmd(c, `HAVESPACE "main" ${MAX_SCRIPT_BYTES + 1}`), [
        `NO (QUOTA/MAXSIZE) "Scripts are limited to ${MAX_SCRIPT_BYTES} octets"`,
      ]);
      assert.deepEqual(await cmd(c, `PUTSCRIPT "main" {${script.length}+}\r\n${script}`), [
        `OK "Putscript completed"`,
      ]);
      assert.deepEqual(await cmd(c, `PUTSCRIPT "bad" "fileinto \\"x\\";"`), [
        `NO "line 1, column 1: command \\"fileinto\\" needs require \\"fileinto\\""`,
      ]);
      assert.deepEqual(await cmd(c, `CHECKSCRIPT "keep;"`), [`OK "Script is valid"`]);
      assert.deepEqual(await cmd(c, `CHECKSCRIPT "keep"`), [
        `NO "line 1, column 5: expected ';' or '{', found end of script"`,
      ]);
      assert.deepEqual(await cmd(c, `PUTSCRIPT "other" "keep;"`), [`OK "Putscript completed"`]);
      assert.deepEqual(await cmd(c, `SETACTIVE "main"`), [`OK "Setactive completed"`]);
      assert.deepEqual(await cmd(c, `LISTSCRIPTS`), [
        `"main" ACTIVE`,
        `"other"`,
        `OK "Listscripts completed"`,
      ]);
      assert.deepEqual(await cmd(c, `GETSCRIPT "main"`), [
        `{${script.length}}`,
        'require "fileinto";',
        'if header :contains "subject" "x" { fileinto "X"; }',
        "",
        `OK "Getscript completed"`,
      ]);
      assert.deepEqual(await cmd(c, `GETSCRIPT "nope"`), [
        `NO (NONEXISTENT) "There is no script by that name"`,
      ]);
      assert.deepEqual(await cmd(c, `DELETESCRIPT "main"`), [`NO (ACTIVE) "The script is active"`]);
      assert.deepEqual(await cmd(c, `RENAMESCRIPT "other" "main"`), [
        `NO (ALREADYEXISTS) "A script by that name exists"`,
      ]);
      assert.deepEqual(await cmd(c, `RENAMESCRIPT "main" "filters"`), [`OK "Renamescript completed"`]);
      assert.deepEqual(await cmd(c, `SETACTIVE ""`), [`OK "Setactive completed"`]);
      assert.deepEqual(await cmd(c, `DELETESCRIPT "filters"`), [`OK "Deletescript completed"`]);
      assert.deepEqual(await cmd(c, `LISTSCRIPTS`), [`"other"`, `OK "Listscripts completed"`]);
      assert.deepEqual(await cmd(c, `NOOP "tag1"`), [`OK (TAG "tag1") "Done"`]);
      const caps = await cmd(c, "CAPABILITY");
      assert.ok(caps.includes(`"OWNER" "alice@example.org"`));
      assert.deepEqual(await cmd(c, "UNAUTHENTICATE"), [`OK "Unauthenticate completed"`]);
      assert.deepEqual(await cmd(c, `LISTSCRIPTS`), [`NO "Authenticate first"`]);
      assert.deepEqual(await cmd(c, "LOGOUT"), [`OK "Logout completed"`]);
      assert.equal(await c.read(), null);
    } finally {
      c.close();
    }
  });
});

Deno.test("managesieve raw: bad input gets NO and the session goes on; a too-big literal is read and refused", async () => {
  await withServer(async (env) => {
    const c = await LineClient.connect(msPort(env));
    try {
      await resp(c);
      assert.deepEqual(await cmd(c, "FROBNICATE"), [`NO "Unknown command"`]);
      assert.deepEqual(await cmd(c, `AUTHENTICATE`), [`NO "Bad arguments for AUTHENTICATE"`]);
      assert.deepEqual(await cmd(c, `NOOP "unterminated`), [`NO "Unterminated string"`]);
      assert.deepEqual(await cmd(c, `NOOP {x}`), [`NO "Bad literal"`]);
      assert.deepEqual(
        await cmd(c, `AUTHENTICATE "PLAIN" "${plain("alice@example.org", PASSWORDS.alice)}"`),
        [
          `OK "Authentication successful"`,
        ],
      );
      const big = "#".repeat(MAX_SCRIPT_BYTES + 10);
      assert.deepEqual(await cmd(c, `PUTSCRIPT "big" {${big.length}+}\r\n${big}`), [
        `NO (QUOTA/MAXSIZE) "Scripts are limited to ${MAX_SCRIPT_BYTES} octets"`,
      ]);
      assert.deepEqual(await cmd(c, `PUTSCRIPT "a/b" "keep;"`), [`NO "Invalid script name"`]);
      assert.deepEqual(await cmd(c, "NOOP"), [`OK "Done"`]);
    } finally {
      c.close();
    }
  });
});

Deno.test("managesieve raw: without TLS and plaintext off, SASL is empty and AUTHENTICATE needs STARTTLS", async () => {
  await withServer(async (env) => {
    const c = await LineClient.connect(msPort(env));
    try {
      const greeting = await resp(c);
      assert.equal(greeting[1], `"SASL" ""`);
      assert.deepEqual(
        await cmd(c, `AUTHENTICATE "PLAIN" "${plain("alice@example.org", PASSWORDS.alice)}"`),
        [
          `NO (ENCRYPT-NEEDED) "Use STARTTLS first"`,
        ],
      );
    } finally {
      c.close();
    }
  }, false);
});

Deno.test("managesieve: STARTTLS discards commands pipelined before the handshake and sends the capabilities again", async () => {
  await withServer(async (env) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: msPort(env) });
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const readUntil = async (c: Deno.Conn, end: RegExp): Promise<string> => {
      let text = "";
      const buf = new Uint8Array(16384);
      while (!end.test(text)) {
        const n = await c.read(buf);
        if (n === null) throw new Error(`EOF after ${JSON.stringify(text)}`);
        text += dec.decode(buf.subarray(0, n));
      }
      return text;
    };
    try {
      await readUntil(conn, /^OK "Tern ManageSieve ready"\r\n/m);
      // An injected command after STARTTLS, in the same packet (RFC 3207 §4.2 class of attack).
      await conn.write(
        enc.encode(`STARTTLS\r\nAUTHENTICATE "PLAIN" "${plain("alice@example.org", PASSWORDS.alice)}"\r\n`),
      );
      assert.equal(await readUntil(conn, /\r\n/), `OK "Begin TLS negotiation now"\r\n`);
      const cert = await Deno.readTextFile(`${env.dir}/tls/cert.pem`);
      const tls = await Deno.startTls(conn, { hostname: "mx.test", caCerts: [cert] });
      try {
        const caps = await readUntil(tls, /^OK "TLS negotiation successful"\r\n/m);
        assert.match(caps, /^"SASL" "PLAIN LOGIN SCRAM-SHA-256"\r\n/m);
        assert.doesNotMatch(caps, /"STARTTLS"/);
        // Nothing answered the injected AUTHENTICATE: still not authenticated.
        await tls.write(enc.encode("LISTSCRIPTS\r\n"));
        assert.equal(await readUntil(tls, /\r\n/), `NO "Authenticate first"\r\n`);
      } finally {
        tls.close();
      }
    } catch (e) {
      try {
        conn.close();
      } catch {
        // closed with the TLS connection
      }
      throw e;
    }
  }, false);
});

async function sieveConnect(env: WireEnv, args: string[], stdin = PASSWORDS.alice + "\n") {
  const child = new Deno.Command("sieve-connect", {
    args: [
      "--server",
      "127.0.0.1",
      "--port",
      String(msPort(env)),
      "--user",
      "alice@example.org",
      "--passwordfd",
      "0",
      "--notlsverify",
      "--noclearauth",
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("managesieve: sieve-connect uploads, activates, lists, downloads and deletes over STARTTLS", async () => {
  await withServer(async (env) => {
    const dir = await Deno.makeTempDir({ prefix: "tern-sieve-connect-" });
    try {
      const script = 'require ["fileinto"];\nif header :contains "subject" "[list]" { fileinto "Lists"; }\n';
      await Deno.writeTextFile(`${dir}/f.sieve`, script);
      let r = await sieveConnect(env, [
        "--upload",
        "--localsieve",
        `${dir}/f.sieve`,
        "--remotesieve",
        "filters",
      ]);
      assert.equal(r.code, 0, r.stderr);
      r = await sieveConnect(env, ["--activate", "--remotesieve", "filters"]);
      assert.equal(r.code, 0, r.stderr);
      r = await sieveConnect(env, ["--list"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '"filters" ACTIVE\n');
      r = await sieveConnect(env, [
        "--download",
        "--remotesieve",
        "filters",
        "--localsieve",
        `${dir}/back.sieve`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await Deno.readTextFile(`${dir}/back.sieve`), script);
      const active = await env.srv.context.store.sieveScripts.active(env.alice.id);
      assert.equal(active?.name, "filters");
      await Deno.writeTextFile(`${dir}/bad.sieve`, 'fileinto "x";\n');
      r = await sieveConnect(env, ["--upload", "--localsieve", `${dir}/bad.sieve`, "--remotesieve", "bad"]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /needs require \\?"fileinto\\?"/, r.stderr + r.stdout);
      r = await sieveConnect(env, ["--deactivate"]);
      assert.equal(r.code, 0, r.stderr);
      r = await sieveConnect(env, ["--delete", "--remotesieve", "filters"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await env.srv.context.store.sieveScripts.list(env.alice.id), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, false);
});

Deno.test("managesieve raw: [sieve] limits give MAXREDIRECTS, and HAVESPACE/PUTSCRIPT's QUOTA codes", async () => {
  const env = await startServer({
    listeners: { managesieve: { allow_plaintext_auth: true } },
    sieve: { max_script_size: 2048, max_scripts: 2, max_redirects: 2 },
  });
  const c = await LineClient.connect(msPort(env));
  try {
    assert.ok((await resp(c)).includes(`"MAXREDIRECTS" "2"`));
    await cmd(c, `AUTHENTICATE "PLAIN" "${plain("alice@example.org", PASSWORDS.alice)}"`);
    assert.deepEqual(await cmd(c, `HAVESPACE "one" 2048`), [`OK "Putscript would succeed"`]);
    assert.deepEqual(await cmd(c, `HAVESPACE "one" 2049`), [
      `NO (QUOTA/MAXSIZE) "Scripts are limited to 2048 octets"`,
    ]);
    const big = "#".repeat(2049);
    assert.deepEqual(await cmd(c, `PUTSCRIPT "one" {${big.length}+}\r\n${big}`), [
      `NO (QUOTA/MAXSIZE) "Scripts are limited to 2048 octets"`,
    ]);
    assert.deepEqual(await cmd(c, `PUTSCRIPT "one" "keep;"`), [`OK "Putscript completed"`]);
    assert.deepEqual(await cmd(c, `PUTSCRIPT "two" "keep;"`), [`OK "Putscript completed"`]);
    assert.deepEqual(await cmd(c, `HAVESPACE "three" 10`), [
      `NO (QUOTA/MAXSCRIPTS) "At most 2 scripts per account"`,
    ]);
    assert.deepEqual(await cmd(c, `PUTSCRIPT "three" "keep;"`), [
      `NO (QUOTA/MAXSCRIPTS) "At most 2 scripts per account"`,
    ]);
    // Replacing a script of the same name is not one more.
    assert.deepEqual(await cmd(c, `PUTSCRIPT "two" "discard;"`), [`OK "Putscript completed"`]);
  } finally {
    c.close();
    await env.close();
  }
});
