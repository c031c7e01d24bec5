/**
 * Wire fuzzer, JMAP over HTTP/1.1: valid requests (session, API calls, upload, download), mutated
 * (tests/fuzz/_http.ts), each sent on its own connection to one real server. Fails on a 5xx
 * response, a connection neither answered nor closed within the bound, an error-level log line, a
 * crash, or a normal client no longer served at the end.
 */
import { Rng, show } from "./_mutate.ts";
import { completeResponse, httpInput, type JmapIds, statusOf } from "./_http.ts";
import { BOUND_MS, connectionSeed, type Failure, runPool, type Span, WireConn } from "./_wire.ts";
import { report, settings, startFuzzEnv, verdict } from "./_run.ts";

Deno.test("fuzz: mutated JMAP requests get a non-5xx answer or a clean close, log no error, leave the server serving", async () => {
  const s = settings();
  const { env } = await startFuzzEnv(s.workers);
  try {
    const session =
      await (await fetch(`${env.http}/jmap/session`, { headers: { authorization: env.basic("alice") } }))
        .json() as { primaryAccounts: Record<string, string> };
    const bobSession =
      await (await fetch(`${env.http}/jmap/session`, { headers: { authorization: env.basic("bob") } }))
        .json() as { primaryAccounts: Record<string, string> };
    const accountId = session.primaryAccounts["urn:ietf:params:jmap:mail"]!;
    const upload = await (await fetch(`${env.http}/jmap/upload/${accountId}/`, {
      method: "POST",
      headers: { authorization: env.basic("alice"), "content-type": "message/rfc822" },
      body: "From: a@example.org\r\nSubject: seed\r\n\r\nseed\r\n",
    })).json() as { blobId: string };
    const ids: JmapIds = {
      accountId,
      otherAccountId: bobSession.primaryAccounts["urn:ietf:params:jmap:mail"]!,
      blobId: upload.blobId,
      authorization: env.basic("alice"),
    };
    const input = (index: number) => httpInput(new Rng(connectionSeed(s.seed, index)), ids);
    const shown = (index: number) => {
      const i = input(index);
      return [`[${i.how.join(",")}] ${show(i.bytes)}`];
    };
    const started = performance.now();
    const failures: Failure[] = [];
    const spans: Span[] = [];
    await runPool(
      s.count,
      s.workers,
      s.only,
      async (index) => {
        const { bytes } = input(index);
        const c = await WireConn.open(env.port("http"));
        try {
          c.discard(true);
          if (!(await c.writeWithin(bytes))) return `the server stopped reading for ${BOUND_MS} ms`;
          // No half-close: Deno's HTTP server drops a request whose client half-closed.
          if (!(await c.waitFor(completeResponse))) return "no answer or close within the bound";
          const status = statusOf(c.bytes());
          if (s.only !== null) {
            console.log(`sent ${show(bytes)}\nreceived ${JSON.stringify(c.transcript().slice(0, 2000))}`);
          }
          return status !== null && status >= 500
            ? `status ${status}: ${c.transcript().slice(0, 300)}`
            : null;
        } finally {
          c.close();
        }
      },
      (index, reason) =>
        failures.push({ index, seed: connectionSeed(s.seed, index), reason, inputs: shown(index) }),
      spans,
    );
    report("jmap", s.only === null ? s.count : 1, s.only === null ? s.count : 1, started, s.seed);
    await verdict("jmap", s, env, failures, spans, shown);
  } finally {
    await env.close();
  }
});
