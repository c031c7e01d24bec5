import assert from "node:assert/strict";
import type { ConnectionHandler, ServerContext } from "../../core/context.ts";
import { systemClock } from "../../core/clock.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { ListenerConfig } from "../../core/config/types.ts";
import type { Store } from "../../core/store/store.ts";
import type { AuthService } from "../../core/auth/types.ts";
import type { Session } from "../../core/session.ts";
import { TcpListener } from "../../core/net/listener.ts";
import {
  GENERIC_REJECT_REASON,
  type RejectFn,
  type ServerHooks,
  TOO_MANY_CONNECTIONS_REASON,
} from "../../core/net/hooks.ts";
import { readUntil, send, testMaterial, testTlsSource } from "./_tls_helpers.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// The listener never touches the store or the auth service; the real ones are exercised by the
// server tests.
function context(): ServerContext {
  return {
    config: testConfig("/nonexistent"),
    store: {} as Store,
    auth: {} as AuthService,
    log: nullLogger,
    clock: systemClock,
  };
}

/** Greets with the session id, then waits for the client to leave or for shutdown. */
const greeter: ConnectionHandler = async (conn) => {
  await conn.transport.write(`+OK ${conn.session.id} secure=${conn.session.secure}\r\n`);
  const aborted = new Promise<"shutdown">((resolve) => {
    if (conn.shutdown.aborted) resolve("shutdown");
    conn.shutdown.addEventListener("abort", () => resolve("shutdown"), { once: true });
  });
  while (true) {
    const got = await Promise.race([conn.transport.read(), aborted]);
    if (got === "shutdown") {
      await conn.transport.write("-ERR shutting down\r\n");
      return;
    }
    if (got === null) return;
  }
};

const reject: RejectFn = async (t, reason) => await t.write(`-ERR ${reason}\r\n`);

interface Recorder {
  hooks: ServerHooks;
  connects: Session[];
  closes: Session[];
  /** Resolves when `n` sessions have closed. */
  closed(n: number): Promise<void>;
}

function recorder(decide: ServerHooks["onConnect"] = () => ({ allow: true }), timeoutMs?: number): Recorder {
  const connects: Session[] = [];
  const closes: Session[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    connects,
    closes,
    hooks: {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      onConnect(s) {
        connects.push(s);
        return decide!(s);
      },
      onClose(s) {
        closes.push(s);
        for (const w of waiters) if (closes.length >= w.n) w.resolve();
      },
    },
    closed(n) {
      if (closes.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

async function startListener(
  hooks: ServerHooks,
  overrides: Partial<ListenerConfig> = {},
  handler: ConnectionHandler = greeter,
) {
  const shutdown = new AbortController();
  const config: ListenerConfig = {
    ...testConfig("/nonexistent").listeners.pop3,
    tls: "none",
    max_connections: 10,
    ...overrides,
  };
  const listener = new TcpListener({
    name: "pop3",
    protocol: "pop3",
    config,
    server: context(),
    handler,
    reject,
    hooks,
    tls: config.tls === "none" ? null : await testTlsSource(),
    shutdown: shutdown.signal,
  });
  const addr = listener.start();
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: addr.port });
  const stop = async () => {
    await listener.stopAccepting();
    shutdown.abort();
    await listener.drained();
  };
  return { listener, addr, connect, stop, shutdown };
}

Deno.test("TcpListener gives each connection a session and runs onClose once when the client drops", async () => {
  const rec = recorder();
  const srv = await startListener(rec.hooks);
  try {
    assert.ok(srv.addr.port > 0);
    const c1 = await srv.connect();
    const c2 = await srv.connect();
    const g1 = await readUntil(c1, "\r\n");
    const g2 = await readUntil(c2, "\r\n");
    const id1 = g1.split(" ")[1]!;
    assert.match(id1, UUID_V4);
    assert.notEqual(id1, g2.split(" ")[1]);
    c1.close();
    c2.close();
    await rec.closed(2);
    await srv.listener.drained();
    assert.equal(rec.connects.length, 2);
    assert.equal(rec.closes.length, 2);
    assert.deepEqual(new Set(rec.closes.map((s) => s.id)).size, 2);
    assert.ok(
      rec.closes.every((s) =>
        s.state === "closed" && s.protocol === "pop3" && s.remoteAddress === "127.0.0.1"
      ),
    );
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener sends the protocol refusal when onConnect rejects", async () => {
  let handled = 0;
  const rec = recorder((s) =>
    s.remoteAddress === "127.0.0.1" ? { allow: false, reason: "Go away" } : { allow: true }
  );
  const srv = await startListener(rec.hooks, {}, () => {
    handled++;
    return Promise.resolve();
  });
  try {
    const c = await srv.connect();
    assert.equal(await readUntil(c, "never"), "-ERR Go away\r\n"); // then EOF
    c.close();
    await rec.closed(1);
    assert.equal(handled, 0);
    assert.equal(rec.closes.length, 1);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener treats a throwing onConnect hook as a generic rejection and keeps serving", async () => {
  let calls = 0;
  const rec = recorder(() => {
    if (calls++ === 0) throw new Error("policy database down");
    return { allow: true };
  });
  const srv = await startListener(rec.hooks);
  try {
    const c1 = await srv.connect();
    const refusal = await readUntil(c1, "never");
    assert.equal(refusal, `-ERR ${GENERIC_REJECT_REASON}\r\n`);
    assert.ok(!refusal.includes("database"));
    c1.close();
    const c2 = await srv.connect();
    assert.match(await readUntil(c2, "\r\n"), /^\+OK /);
    c2.close();
    await rec.closed(2);
    assert.equal(rec.closes.length, 2);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener treats a hanging onConnect hook as a rejection after the hook timeout", async () => {
  let calls = 0;
  const rec = recorder(() => calls++ === 0 ? new Promise(() => {}) : { allow: true }, 50);
  const srv = await startListener(rec.hooks);
  try {
    const c1 = await srv.connect();
    assert.equal(await readUntil(c1, "never"), `-ERR ${GENERIC_REJECT_REASON}\r\n`);
    c1.close();
    const c2 = await srv.connect();
    assert.match(await readUntil(c2, "\r\n"), /^\+OK /);
    c2.close();
    await rec.closed(2);
    assert.equal(rec.closes.length, 2);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener refuses connections beyond max_connections without asking the hooks", async () => {
  const rec = recorder();
  const srv = await startListener(rec.hooks, { max_connections: 1 });
  try {
    const c1 = await srv.connect();
    assert.match(await readUntil(c1, "\r\n"), /^\+OK /);
    const c2 = await srv.connect();
    assert.equal(await readUntil(c2, "never"), `-ERR ${TOO_MANY_CONNECTIONS_REASON}\r\n`);
    c2.close();
    assert.equal(rec.connects.length, 1);
    await send(c1, "still here\r\n");
    c1.close();
    await rec.closed(1);
    const c3 = await srv.connect();
    assert.match(await readUntil(c3, "\r\n"), /^\+OK /);
    c3.close();
    await rec.closed(2);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener hands an implicit-TLS listener's handler a secure transport", async () => {
  const { cert } = await testMaterial();
  const rec = recorder();
  const srv = await startListener(rec.hooks, { tls: "implicit" });
  try {
    const c = await Deno.connectTls({ hostname: "localhost", port: srv.addr.port, caCerts: [cert] });
    assert.match(await readUntil(c, "\r\n"), /^\+OK \S+ secure=true\r\n$/);
    c.close();
    await rec.closed(1);
    assert.equal(rec.closes[0]?.secure, true);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener drops an implicit-TLS client that does not speak TLS", async () => {
  const rec = recorder();
  const srv = await startListener(rec.hooks, { tls: "implicit" });
  try {
    const c = await srv.connect();
    await send(c, "HELLO I AM PLAINTEXT\r\n\r\n");
    const got = await readUntil(c, "never");
    assert.ok(!got.includes("+OK"));
    c.close();
    await rec.closed(1);
    assert.equal(rec.closes.length, 1);
  } finally {
    await srv.stop();
  }
});

Deno.test("TcpListener shutdown signal makes handlers say goodbye and runs onClose once", async () => {
  const rec = recorder();
  const srv = await startListener(rec.hooks);
  const c = await srv.connect();
  assert.match(await readUntil(c, "\r\n"), /^\+OK /);
  await srv.listener.stopAccepting();
  await assert.rejects(srv.connect()); // no longer accepting
  srv.shutdown.abort();
  assert.equal(await readUntil(c, "never"), "-ERR shutting down\r\n");
  await srv.listener.drained();
  c.close();
  assert.equal(rec.closes.length, 1);
  assert.equal(srv.listener.activeSessions, 0);
});
