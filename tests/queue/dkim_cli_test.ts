/**
 * `tern domain dkim` creates a key and prints the TXT record; outbound mail from the domain is
 * signed and the signature verifies with mailauth against that record. `tern queue …` operations.
 */
import assert from "node:assert/strict";
import { dkimVerify } from "mailauth";
import { MemoryIo } from "../../core/cli/io.ts";
import { runQueueCommand } from "../../core/cli/queue_commands.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { DkimSigner } from "../../core/dkim/signer.ts";
import { createQueue } from "../../core/queue/start.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { FakeClock, sampleMessage } from "./_harness.ts";
import { startSink } from "./_sink.ts";

async function signAndVerify(algorithms: ("rsa-sha256" | "ed25519-sha256")[]) {
  const dir = await Deno.makeTempDir({ prefix: "tern-dkim-" });
  const sink = await startSink();
  try {
    const published = new Map<string, string>();
    for (const algorithm of algorithms) {
      const io = new MemoryIo();
      const code = await runQueueCommand(
        ["domain", "dkim", "local.test", "--algorithm", algorithm, "--data-dir", dir],
        { io, loadConfig: () => Promise.resolve(defaultConfig()) },
      );
      assert.equal(code, 0, io.stderr);
      const m =
        /^([a-z0-9-]+\._domainkey\.local\.test) {2}TXT {2}"(v=DKIM1; k=(rsa|ed25519); p=[A-Za-z0-9+/=]+)"$/m
          .exec(io.stdout);
      assert.ok(m, io.stdout);
      published.set(m[1]!, m[2]!);
    }
    // Each algorithm gets its own selector, so both records can be published at once.
    assert.equal(published.size, algorithms.length);

    const store = await SqliteStore.open({ dataDir: dir });
    const config = defaultConfig();
    config.data_dir = dir;
    config.hostname = "mx.local.test";
    config.queue = { ...config.queue!, relay: { hosts: [sink.address], tls: "none" } };
    const clock = new FakeClock(Date.now());
    const queue = createQueue({ config, store, log: nullLogger, clock }, {
      dns: new StaticDnsResolver(),
      dkim: new DkimSigner(store.dkimKeys),
    })!;
    try {
      const blob = await store.blobs.put(new TextEncoder().encode(sampleMessage()));
      await queue.enqueue({
        from: "ada@local.test",
        recipients: [{ address: "bob@remote.test" }],
        smtputf8: false,
        body: "7BIT",
        sessionId: "t",
      }, blob);
      await queue.runDue();
    } finally {
      await queue.stop();
      await store.close();
    }
    assert.equal(sink.messages.length, 1);
    const signed = sink.messages[0]!.data;
    assert.match(
      new TextDecoder().decode(signed),
      /^DKIM-Signature: v=1; a=[a-z0-9-]+; c=relaxed\/relaxed; /,
    );
    const result = await dkimVerify(Buffer.from(signed), {
      resolver: (name: string, type: string) => {
        const txt = published.get(name);
        if (type === "TXT" && txt) return Promise.resolve([[txt]]);
        return Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
      },
    });
    assert.equal(result.results.length, algorithms.length);
    for (const r of result.results) {
      assert.equal(r.status.result, "pass", JSON.stringify(r));
      assert.equal(r.signingDomain, "local.test");
    }
    assert.deepEqual(result.results.map((r) => r.algo).sort(), [...algorithms].sort());
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tern domain dkim prints an RSA TXT record that verifies the queue's signatures", async () => {
  await signAndVerify(["rsa-sha256"]);
});

Deno.test("tern domain dkim prints an Ed25519 TXT record that verifies the queue's signatures", async () => {
  await signAndVerify(["ed25519-sha256"]);
});

Deno.test("a domain with an RSA and an Ed25519 key signs with both, and both signatures verify", async () => {
  await signAndVerify(["rsa-sha256", "ed25519-sha256"]);
});

Deno.test("runQueueCommand lists, shows, counts, retries, flushes and deletes queued messages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-qcli-" });
  try {
    const store = await SqliteStore.open({ dataDir: dir });
    const config = defaultConfig();
    config.data_dir = dir;
    const clock = new FakeClock();
    const queue = createQueue({ config, store, log: nullLogger, clock }, { dns: new StaticDnsResolver() })!;
    const blob = await store.blobs.put(new TextEncoder().encode(sampleMessage()));
    const { id } = await queue.enqueue({
      from: "ada@local.test",
      recipients: [{ address: "bob@remote.test" }, { address: "carol@remote.test" }],
      smtputf8: false,
      body: "7BIT",
      sessionId: "t",
    }, blob);
    await store.close();
    const opts = { loadConfig: () => Promise.resolve(structuredClone(config)) };
    const run = async (...args: string[]) => {
      const io = new MemoryIo();
      const code = await runQueueCommand([...args, "--data-dir", dir], { io, ...opts });
      return { code, out: io.stdout, err: io.stderr };
    };
    let r = await run("queue", "list");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^${id}\\s+ada@local\\.test\\s+\\d+\\s+2\\s+2\\s`, "m"));
    r = await run("queue", "show", id);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^bob@remote\.test\s+queued\s+0\s/m);
    assert.match(r.out, /^carol@remote\.test\s+queued\s+0\s/m);
    r = await run("queue", "show", id, "--json");
    assert.equal(JSON.parse(r.out).recipients.length, 2);
    r = await run("queue", "stats");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Messages:\s+1$/m);
    assert.match(r.out, /^Recipients:\s+2 queued, 0 deferred, 0 delivered, 0 failed$/m);
    r = await run("queue", "stats", "--json");
    assert.equal(JSON.parse(r.out).messages, 1);
    assert.equal(JSON.parse(r.out).bytes, blob.size);
    r = await run("queue", "retry", id);
    assert.equal(r.code, 0);
    r = await run("queue", "flush");
    assert.match(r.out, /^2 recipient\(s\) will be retried now$/m);
    r = await run("queue", "retry", "nope");
    assert.equal(r.code, 1);
    assert.match(r.err, /No such queued message: "nope"/);
    r = await run("queue", "delete", id);
    assert.equal(r.code, 0);
    r = await run("queue", "list", "--json");
    assert.deepEqual(JSON.parse(r.out), []);
    r = await run("queue", "show");
    assert.equal(r.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
