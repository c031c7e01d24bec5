/**
 * Wire fuzzer, line protocols: valid SMTP, IMAP and POP3 sessions with mutated commands
 * (tests/fuzz/_mutate.ts) pipelined against one real server. Fails on a connection the server
 * neither answers nor closes within the bound, an error-level log line, a crash (an uncaught
 * error fails the test process; the connections in flight are printed), or a normal client no
 * longer served at the end. The short pass (5000 inputs per protocol) runs in `deno task test`;
 * tests/fuzz/README.md tells how to run the long pass and replay a failure.
 */
import type { ListenerName } from "../../core/config/types.ts";
import { imapScript, pop3Script, type Script, smtpScript } from "./_sessions.ts";
import { BOUND_MS, type Failure, plan, runPool, shownInputs, type Span, WireConn } from "./_wire.ts";
import { report, settings, startFuzzEnv, verdict, WORKER_PASSWORD } from "./_run.ts";

/** How connection `index` reaches the batch phase. */
interface Target {
  /** Inputs pipelined per connection (SMTP closes after 20 errors: its connections carry fewer). */
  perConn: number;
  listener(index: number): ListenerName;
  script(index: number): Script;
  /** Valid interactive start after connecting (greeting, login). */
  preamble(c: WireConn, index: number, worker: number): Promise<void>;
}

async function fuzz(protocol: string, target: Target): Promise<void> {
  const s = settings();
  const { env } = await startFuzzEnv(s.workers);
  const started = performance.now();
  const connections = Math.ceil(s.count / target.perConn);
  const failures: Failure[] = [];
  const spans: Span[] = [];
  const inflight = new Map<number, string[]>();
  const inputsOf = (index: number) => shownInputs(plan(target.script(index), s.seed, index, target.perConn));
  const onCrash = () => {
    console.error(`fuzz ${protocol} crashed (run seed ${s.seed}); connections in flight:`);
    for (const [i, inputs] of inflight) console.error(`#${i}\n  ${inputs.join("\n  ")}`);
  };
  globalThis.addEventListener("unhandledrejection", onCrash);
  globalThis.addEventListener("error", onCrash);
  try {
    await runPool(connections, s.workers, s.only, async (index, worker) => {
      const p = plan(target.script(index), s.seed, index, target.perConn);
      inflight.set(index, shownInputs(p));
      const c = await WireConn.open(env.port(target.listener(index)));
      try {
        await target.preamble(c, index, worker);
        c.discard(s.only !== null);
        if (!(await c.writeWithin(p.bytes))) return `the server stopped reading for ${BOUND_MS} ms`;
        const answered = await c.finish();
        // A replay shows the server's side of the conversation.
        if (s.only !== null) {
          console.log(`sent:\n${JSON.stringify(new TextDecoder().decode(p.bytes)).slice(0, 4000)}`);
          console.log(`server replies:\n${c.transcript()}`);
        }
        return answered ? null : `no answer or close within the bound after ${p.bytes.length} bytes`;
      } finally {
        c.close();
        inflight.delete(index);
      }
    }, (index, reason) => {
      const p = plan(target.script(index), s.seed, index, target.perConn);
      failures.push({ index, seed: p.seed, reason, inputs: shownInputs(p) });
    }, spans);
    const n = s.only === null ? connections : 1;
    report(protocol, n * target.perConn, n, started, s.seed);
    await verdict(protocol, s, env, failures, spans, inputsOf);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onCrash);
    globalThis.removeEventListener("error", onCrash);
    await env.close();
  }
}

async function expect(c: WireConn, done: RegExp, ok: RegExp): Promise<void> {
  const lines = await c.until(done);
  if (!ok.test(lines.at(-1)!)) throw new Error(`preamble: unexpected ${JSON.stringify(lines)}`);
}

Deno.test("fuzz: mutated SMTP sessions (MX and submission) get answers, log no error, leave the server serving", async () => {
  const workers = settings().workers;
  await fuzz("smtp", {
    perConn: 6,
    listener: (index) => index % 2 === 0 ? "smtp" : "submission",
    script: (index) =>
      index % 2 === 0
        ? smtpScript("fuzz@example.net", "alice@example.org")
        : smtpScript(`w${index % workers}@example.org`, "alice@example.org"),
    async preamble(c, index) {
      await expect(c, /^\d{3} /, /^220 /);
      if (index % 2 === 0) return;
      await c.send("EHLO fuzz.example.net\r\n");
      await expect(c, /^\d{3} /, /^250 /);
      await c.send(`AUTH PLAIN ${btoa(`\0w${index % workers}@example.org\0${WORKER_PASSWORD}`)}\r\n`);
      await expect(c, /^\d{3} /, /^235 /);
    },
  });
});

Deno.test("fuzz: mutated IMAP sessions get answers, log no error, leave the server serving", async () => {
  await fuzz("imap", {
    perConn: 20,
    listener: () => "imap",
    script: imapScript,
    async preamble(c, _index, worker) {
      await expect(c, /./, /^\* OK /);
      await c.send(`l LOGIN w${worker}@example.org ${WORKER_PASSWORD}\r\n`);
      await expect(c, /^l /, /^l OK /);
    },
  });
});

Deno.test("fuzz: mutated POP3 sessions get answers, log no error, leave the server serving", async () => {
  await fuzz("pop3", {
    perConn: 10,
    listener: () => "pop3",
    script: pop3Script,
    async preamble(c, _index, worker) {
      await expect(c, /./, /^\+OK/);
      await c.send(`USER w${worker}@example.org\r\nPASS ${WORKER_PASSWORD}\r\n`);
      await expect(c, /./, /^\+OK/);
      await expect(c, /./, /^\+OK/);
    },
  });
});
