import assert from "node:assert/strict";
import { join } from "node:path";
import { LISTENER_NAMES } from "../../core/config/defaults.ts";
import type { ListenerName } from "../../core/config/types.ts";
import { createServer, type ServerHooks, type Session, testConfig } from "../../mod.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";
import { readUntil, send } from "./_tls_helpers.ts";
import { logLines, selfSignedCert, startTestServer } from "./_server_helpers.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const GREETING: Record<Exclude<ListenerName, "http">, RegExp> = {
  smtp: /^220 /,
  submission: /^220 /,
  submissions: /^220 /,
  lmtp: /^220 /,
  imap: /^\* OK /,
  imaps: /^\* OK /,
  pop3: /^\+OK/,
  pop3s: /^\+OK/,
  // RFC 5804 §1.7: the greeting is the capability list, first "IMPLEMENTATION".
  managesieve: /^"IMPLEMENTATION" "Tern"/,
};

const IMPLICIT = new Set<ListenerName>(["submissions", "imaps", "pop3s"]);

async function connect(port: number, name: ListenerName, cert: string): Promise<Deno.Conn> {
  return IMPLICIT.has(name)
    ? await Deno.connectTls({ hostname: "localhost", port, caCerts: [cert] })
    : await Deno.connect({ hostname: "127.0.0.1", port });
}

/** Records hook calls; `closed(n)` resolves once n sessions have closed. */
function recorder(decide?: ServerHooks["onConnect"], timeoutMs?: number) {
  const connects: Session[] = [];
  const closes: Session[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hooks: ServerHooks = {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    onConnect(s) {
      connects.push(s);
      return decide ? decide(s) : { allow: true };
    },
    onClose(s) {
      closes.push(s);
      for (const w of waiters) if (closes.length >= w.n) w.resolve();
    },
  };
  return {
    hooks,
    connects,
    closes,
    closed: (n: number) =>
      closes.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

Deno.test("createServer accepts on every default listener with port 0", async () => {
  const rec = recorder();
  // LMTP is disabled by default: enabled here so every listener is covered.
  const t = await startTestServer({ listeners: { lmtp: { enabled: true } } }, rec.hooks);
  try {
    const cert = await selfSignedCert(t.dir);
    for (const name of LISTENER_NAMES) {
      const addr = t.srv.addresses[name];
      assert.ok(addr.port > 0, `${name} bound`);
      if (name === "http") {
        const res = await fetch(`http://127.0.0.1:${addr.port}/health`);
        await res.body?.cancel();
        assert.match(res.headers.get("x-session-id") ?? "", UUID_V4);
        continue;
      }
      const conn = await connect(addr.port, name, cert);
      assert.match(await readUntil(conn, "\r\n"), GREETING[name], name);
      conn.close();
    }
    await rec.closed(LISTENER_NAMES.length);
    const protocols = rec.closes.map((s) => `${s.listener}:${s.protocol}:${s.secure}`).sort();
    assert.deepEqual(protocols, [
      "http:http:false",
      "imap:imap:false",
      "imaps:imap:true",
      "lmtp:lmtp:false",
      "managesieve:managesieve:false",
      "pop3:pop3:false",
      "pop3s:pop3:true",
      "smtp:smtp:false",
      "submission:submission:false",
      "submissions:submissions:true",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("createServer generates the self-signed certificate once and reuses it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-runtime-" });
  try {
    const a = await startTestServer({}, undefined, dir);
    const first = await selfSignedCert(dir);
    await a.close();
    const b = await startTestServer({}, undefined, dir);
    try {
      assert.equal(await selfSignedCert(dir), first);
      const conn = await connect(b.srv.addresses.imaps.port, "imaps", first);
      assert.match(await readUntil(conn, "\r\n"), /^\* OK /);
      conn.close();
    } finally {
      await b.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stop gives connected clients the protocol goodbye after the grace period", async () => {
  const rec = recorder();
  const t = await startTestServer({ shutdown_grace: 0.05 }, rec.hooks);
  try {
    const clients: [ListenerName, Deno.Conn][] = [];
    const cert = await selfSignedCert(t.dir);
    for (const name of ["smtp", "imap", "pop3", "imaps"] as const) {
      const conn = await connect(t.srv.addresses[name].port, name, cert);
      await readUntil(conn, "\r\n");
      clients.push([name, conn]);
    }
    // stop() resolves only once every session has had its goodbye and closed.
    await t.srv.stop();
    assert.equal(rec.closes.length, 4);
    assert.equal(new Set(rec.closes.map((s) => s.id)).size, 4);
    assert.equal(t.srv.activeSessions(), 0);
    const goodbye: Partial<Record<ListenerName, RegExp>> = {
      smtp: /^421 /m,
      imap: /^\* BYE /m,
      imaps: /^\* BYE /m,
      pop3: /^-ERR /m,
    };
    for (const [name, conn] of clients) {
      const rest = await readUntil(conn, "never"); // everything up to EOF, sent before stop() resolved
      assert.match(rest, goodbye[name]!, name);
      conn.close();
    }
    await t.srv.finished;
  } finally {
    await t.close();
  }
});

Deno.test("stop lets sessions end by themselves during the grace period, without a goodbye", async () => {
  const rec = recorder();
  // Long enough that the clients below always finish inside it; stop() does not wait it out.
  const t = await startTestServer({ shutdown_grace: 60 }, rec.hooks);
  try {
    const clients: [ListenerName, Deno.Conn][] = [];
    const cert = await selfSignedCert(t.dir);
    for (const name of ["smtp", "imap", "pop3", "imaps"] as const) {
      const conn = await connect(t.srv.addresses[name].port, name, cert);
      await readUntil(conn, "\r\n");
      clients.push([name, conn]);
    }
    const stopping = t.srv.stop();
    // Wait until the server has stopped accepting (a new connection is refused): from here on
    // it is in the grace period, or (were the grace ignored) already saying goodbye.
    const port = t.srv.addresses.smtp.port;
    for (;;) {
      const probe = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
      if (probe === null) break;
      probe.close();
    }
    const quit: Partial<Record<ListenerName, [string, RegExp]>> = {
      smtp: ["QUIT", /^221 /],
      imap: ["q LOGOUT", /^\* BYE [^\r\n]*\r\nq OK /],
      imaps: ["q LOGOUT", /^\* BYE [^\r\n]*\r\nq OK /],
      pop3: ["QUIT", /^\+OK /],
    };
    for (const [name, conn] of clients) {
      await send(conn, quit[name]![0] + "\r\n");
      const rest = await readUntil(conn, "never");
      assert.match(rest, quit[name]![1], `${name}: ${JSON.stringify(rest)}`);
      assert.doesNotMatch(rest, /shutting down|^421 /im, name);
      conn.close();
    }
    // All sessions ended by themselves: stop() completes without waiting out the 60 s.
    await stopping;
    assert.equal(t.srv.activeSessions(), 0);
  } finally {
    await t.close();
  }
});

Deno.test("onClose runs exactly once per session when clients drop and at shutdown", async () => {
  const rec = recorder();
  const t = await startTestServer({ shutdown_grace: 0 }, rec.hooks);
  try {
    const dropped = await connect(t.srv.addresses.pop3.port, "pop3", "");
    await readUntil(dropped, "\r\n");
    dropped.close();
    await rec.closed(1);
    const kept = await connect(t.srv.addresses.smtp.port, "smtp", "");
    await readUntil(kept, "\r\n");
    await t.srv.stop();
    await readUntil(kept, "never");
    kept.close();
    assert.equal(rec.connects.length, 2);
    assert.equal(rec.closes.length, 2);
    assert.deepEqual(rec.closes.map((s) => s.id).sort(), rec.connects.map((s) => s.id).sort());
  } finally {
    await t.close();
  }
});

Deno.test("a throwing or hanging onConnect hook rejects that connection and the server goes on", async () => {
  let n = 0;
  const rec = recorder(() => {
    n++;
    if (n === 1) throw new Error("secret internal detail");
    if (n === 2) return new Promise(() => {}); // never answers
    return { allow: true };
  }, 100);
  const t = await startTestServer({}, rec.hooks);
  try {
    const port = t.srv.addresses.smtp.port;
    for (let i = 0; i < 2; i++) {
      const c = await connect(port, "smtp", "");
      const text = await readUntil(c, "never");
      assert.match(text, /^554 5\.7\.1 Service temporarily unavailable\r\n$/);
      c.close();
    }
    const ok = await connect(port, "smtp", "");
    assert.match(await readUntil(ok, "\r\n"), /^220 /);
    ok.close();
    await rec.closed(3);
    const lines = await logLines(t.logPath);
    assert.ok(lines.some((l) => l.message === "onConnect hook failed" && l.level === "error"));
  } finally {
    await t.close();
  }
});

Deno.test("onConnect rejections use each protocol's refusal", async () => {
  const rec = recorder(() => ({ allow: false, reason: "Blocked\r\nby policy" }));
  const t = await startTestServer({}, rec.hooks);
  try {
    const expect: [ListenerName, string][] = [
      ["smtp", "554 5.7.1 Blocked by policy\r\n"],
      ["imap", "* BYE Blocked by policy\r\n"],
      ["pop3", "-ERR Blocked by policy\r\n"],
    ];
    for (const [name, line] of expect) {
      const c = await connect(t.srv.addresses[name].port, name, "");
      assert.equal(await readUntil(c, "never"), line, name);
      c.close();
    }
    const res = await fetch(`http://127.0.0.1:${t.srv.addresses.http.port}/health`);
    assert.equal(res.status, 403);
    assert.equal((await res.json()).detail, "Blocked by policy");
    await rec.closed(4);
  } finally {
    await t.close();
  }
});

Deno.test("JSON log lines carry session_id, client_ip and protocol and never the password", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-runtime-" });
  const t = await startTestServer({}, undefined, dir);
  const password = "Sup3r-Secret-pw";
  let sessionId = "";
  try {
    const c = await connect(t.srv.addresses.pop3.port, "pop3", "");
    await readUntil(c, "\r\n");
    await send(c, "USER nobody@localhost\r\n");
    await readUntil(c, "\r\n");
    await send(c, `PASS ${password}\r\n`);
    await readUntil(c, "\r\n");
    await send(c, "QUIT\r\n");
    await readUntil(c, "never");
    c.close();
  } finally {
    await t.close();
  }
  try {
    const text = await Deno.readTextFile(t.logPath);
    assert.ok(!text.includes(password));
    const lines = await logLines(t.logPath);
    const opened = lines.find((l) => l.message === "connection opened" && l.protocol === "pop3");
    assert.ok(opened, "connection opened is logged");
    sessionId = String(opened.session_id);
    assert.match(sessionId, UUID_V4);
    assert.equal(opened.client_ip, "127.0.0.1");
    const closed = lines.find((l) => l.message === "connection closed" && l.session_id === sessionId);
    assert.ok(closed);
    assert.equal(closed.protocol, "pop3");
    for (const l of lines) {
      assert.ok(
        typeof l.timestamp === "string" && typeof l.level === "string" && typeof l.message === "string",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload switches to new certificates without dropping established connections", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-runtime-" });
  try {
    const a = await generateSelfSigned("localhost", new Date());
    const b = await generateSelfSigned("localhost", new Date());
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await Deno.writeTextFile(cert, a.cert);
    await Deno.writeTextFile(key, a.key);
    const t = await startTestServer({ tls: { cert, key }, shutdown_grace: 0 }, undefined, dir);
    try {
      const port = t.srv.addresses.imaps.port;
      const old = await Deno.connectTls({ hostname: "localhost", port, caCerts: [a.cert] });
      assert.match(await readUntil(old, "\r\n"), /^\* OK /);
      await Deno.writeTextFile(cert, b.cert);
      await Deno.writeTextFile(key, b.key);
      await t.srv.reload();
      const fresh = await Deno.connectTls({ hostname: "localhost", port, caCerts: [b.cert] });
      assert.match(await readUntil(fresh, "\r\n"), /^\* OK /);
      fresh.close();
      // The old certificate is no longer served.
      const stale = await Deno.connectTls({ hostname: "localhost", port, caCerts: [a.cert] });
      await assert.rejects(stale.handshake(), /UnknownIssuer|invalid peer certificate/i);
      stale.close();
      // The connection made before the reload is still alive: it gets the shutdown goodbye.
      await t.srv.stop();
      assert.match(await readUntil(old, "never"), /^\* BYE /m);
      old.close();
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reload with a new configuration applies policy settings to new connections only", async () => {
  const t = await startTestServer({ shutdown_grace: 0 });
  try {
    const port = t.srv.addresses.smtp.port;
    const old = await connect(port, "smtp", "");
    assert.match(await readUntil(old, "\r\n"), /^220 /);
    const next = structuredClone(t.config);
    next.policy.block_networks = ["127.0.0.0/8"];
    await t.srv.reload(next);
    const refused = await connect(port, "smtp", "");
    assert.match(await readUntil(refused, "never"), /^554 5\.7\.1 /);
    refused.close();
    // The connection made before the reload still works.
    await send(old, "NOOP\r\n");
    assert.match(await readUntil(old, "\r\n"), /^250 /);
    old.close();
  } finally {
    await t.close();
  }
});

Deno.test("start fails on a port in use and releases what it had bound", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir({ prefix: "tern-runtime-" });
  try {
    const config = testConfig(dir, { log: { output: join(dir, "tern.log") } });
    config.listeners.pop3.port = busy.addr.port; // bound after smtp and imap
    const srv = await createServer(config);
    await assert.rejects(srv.start(), Deno.errors.AddrInUse);
    await srv.finished; // the partial start was undone; the sanitizers check nothing leaked
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});
