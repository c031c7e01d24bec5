/**
 * STARTTLS (opportunistic and required), certificate verification, and AUTH to a relay.
 */
import assert from "node:assert/strict";
import "reflect-metadata";
import { startSink } from "./_sink.ts";
import { harness } from "./_harness.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";

const tls = await generateSelfSigned("relay.test", new Date());

Deno.test("Queue upgrades with STARTTLS when offered and sends AUTH PLAIN over TLS to the relay", async () => {
  const seen: { method: string; username?: string; password?: string | null; secure: boolean }[] = [];
  const sink = await startSink({
    server: {
      key: tls.key,
      cert: tls.cert,
      onAuth(auth, session, cb) {
        seen.push({
          method: auth.method,
          username: auth.username,
          password: auth.password,
          secure: session.secure,
        });
        if (auth.username === "relayuser" && auth.password === "s3cret pass") {
          return cb(null, { user: "relayuser" });
        }
        cb(new Error("Invalid credentials"));
      },
    },
  });
  const h = await harness({
    relay: {
      hosts: [sink.address],
      tls: "starttls",
      require_tls: true,
      tls_verify: false,
      username: "relayuser",
      password: "s3cret pass",
    },
  });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
    assert.deepEqual(seen, [{
      method: "PLAIN",
      username: "relayuser",
      password: "s3cret pass",
      secure: true,
    }]);
    assert.equal(sink.messages[0]!.secure, true);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue uses AUTH LOGIN when the relay offers only LOGIN, and defers on bad credentials", async () => {
  const seen: string[] = [];
  const sink = await startSink({
    server: {
      key: tls.key,
      cert: tls.cert,
      authMethods: ["LOGIN"],
      onAuth(auth, _session, cb) {
        seen.push(auth.method);
        if (auth.password === "right") return cb(null, { user: auth.username });
        cb(Object.assign(new Error("Invalid credentials"), { responseCode: 535 }));
      },
    },
  });
  const good = await harness({
    relay: { hosts: [sink.address], tls: "starttls", tls_verify: false, username: "u", password: "right" },
  });
  const bad = await harness({
    relay: { hosts: [sink.address], tls: "starttls", tls_verify: false, username: "u", password: "wrong" },
  });
  try {
    const a = await good.send({ recipients: [{ address: "x@remote.test" }] });
    await good.queue.runDue();
    assert.equal((await good.queue.store.recipients(a))[0]!.status, "delivered");
    const b = await bad.send({ recipients: [{ address: "y@remote.test" }] });
    await bad.queue.runDue();
    const r = (await bad.queue.store.recipients(b))[0]!;
    // An authentication failure at our own relay is our configuration problem: retry, never bounce.
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply!, /^535/);
    assert.deepEqual(seen, ["LOGIN", "LOGIN"]);
  } finally {
    await good.close();
    await bad.close();
    await sink.close();
  }
});

Deno.test("Queue refuses an unverifiable certificate when TLS is required and verified", async () => {
  const sink = await startSink({ server: { key: tls.key, cert: tls.cert } });
  const h = await harness({
    relay: { hosts: [sink.address], tls: "starttls", require_tls: true, tls_verify: true },
  });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    const r = (await h.queue.store.recipients(id))[0]!;
    assert.equal(r.status, "deferred");
    assert.match(r.lastReply!, /TLS handshake .* failed/);
    assert.equal(sink.messages.length, 0);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue delivers over implicit TLS", async () => {
  const sink = await startSink({ server: { key: tls.key, cert: tls.cert, secure: true } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "implicit", tls_verify: false } });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
    assert.equal(sink.messages[0]!.secure, true);
  } finally {
    await h.close();
    await sink.close();
  }
});

Deno.test("Queue falls back to clear text after a failed opportunistic STARTTLS", async () => {
  const sink = await startSink({ server: { key: tls.key, cert: tls.cert } });
  const h = await harness({ relay: { hosts: [sink.address], tls: "starttls", tls_verify: true } });
  try {
    const id = await h.send({ recipients: [{ address: "x@remote.test" }] });
    await h.queue.runDue();
    assert.equal((await h.queue.store.recipients(id))[0]!.status, "delivered");
    assert.equal(sink.connections, 2);
    assert.equal(sink.messages[0]!.secure, false);
  } finally {
    await h.close();
    await sink.close();
  }
});
