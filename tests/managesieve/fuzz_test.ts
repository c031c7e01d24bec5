/**
 * ManageSieve wire fuzz: mutated copies of a valid session (the wire fuzzer's mutations,
 * tests/fuzz/_mutate.ts) sent to a real server, each connection half-closed; every connection must
 * be answered and closed by the server, nothing is stored that does not compile, and a normal
 * client is served at the end. Seeded: `TERN_FUZZ_SEED` and `TERN_FUZZ_COUNT` as in tests/fuzz.
 */
import assert from "node:assert/strict";
import { concat, mutate, Rng, show } from "../fuzz/_mutate.ts";
import { PASSWORDS, startServer } from "../smtp/_server.ts";
import { checkScript } from "../../core/sieve/scripts.ts";

const enc = new TextEncoder();
const SEED = Number(Deno.env.get("TERN_FUZZ_SEED") ?? 5804);
const COUNT = Number(Deno.env.get("TERN_FUZZ_COUNT") ?? 300);
/** A connection the server neither answers nor closes within this long fails the run. */
const BOUND_MS = 30_000;

const auth = btoa(`\u0000alice@example.org\u0000${PASSWORDS.alice}`);
const script = 'require ["fileinto"];\r\nif header :contains "subject" "x" { fileinto "X"; }\r\n';
const SESSION = [
  `AUTHENTICATE "PLAIN" "${auth}"`,
  `HAVESPACE "s" 100`,
  `PUTSCRIPT "s" {${script.length}+}\r\n${script}`,
  `CHECKSCRIPT "keep;"`,
  `LISTSCRIPTS`,
  `SETACTIVE "s"`,
  `GETSCRIPT "s"`,
  `RENAMESCRIPT "s" "t"`,
  `DELETESCRIPT "t"`,
  `NOOP "tag"`,
  `CAPABILITY`,
  `UNAUTHENTICATE`,
  `LOGOUT`,
].map((c) => enc.encode(c + "\r\n"));
const TOKENS = ["{4294967295+}", "{0+}", '"', "\\", "AUTHENTICATE", "PUTSCRIPT", "STARTTLS", "*", "{", "}"];

async function readToEnd(conn: Deno.Conn): Promise<number> {
  const buf = new Uint8Array(65536);
  let total = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      // A reset is a close too: the server said BYE and closed with the client's data unread.
      conn.read(buf).catch((e) => {
        if (e instanceof Deno.errors.ConnectionReset) return null;
        throw e;
      }),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), BOUND_MS)),
    ]).finally(() => clearTimeout(timer));
    if (n === "timeout") throw new Error("the server neither answered nor closed");
    if (n === null) return total;
    total += n;
  }
}

Deno.test("managesieve fuzz: mutated sessions are answered and closed, only valid scripts are stored, a normal client is served after", async () => {
  const env = await startServer({
    listeners: { managesieve: { allow_plaintext_auth: true } },
    // As tests/adversarial/_env.ts: one connection's failures must not throttle or ban the next.
    auth: { throttle_free_failures: 1000, throttle_base_delay_ms: 0, lockout_failures: 100_000 },
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0, ban_failures: 0 },
  });
  try {
    const port = env.srv.addresses.managesieve!.port;
    const rng = new Rng(SEED);
    for (let i = 0; i < COUNT; i++) {
      const cmds = SESSION.map((c) => rng.chance(0.3) ? mutate(rng, c, SESSION, TOKENS).bytes : c);
      const input = concat(cmds.slice(0, 1 + rng.int(cmds.length)));
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(input).catch(() => 0);
        await conn.closeWrite().catch(() => {});
        // Answered (or reset after a BYE) and closed: readToEnd returns only at the close.
        await readToEnd(conn);
      } catch (e) {
        throw new Error(
          `seed ${SEED} connection ${i}: ${e instanceof Error ? e.message : e}; input ${show(input)}`,
        );
      } finally {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    }
    // Whatever was stored compiles (PUTSCRIPT checks before storing).
    const store = env.srv.context.store;
    for (const s of await store.sieveScripts.list(env.alice.id)) {
      assert.equal(checkScript((await store.sieveScripts.get(env.alice.id, s.name))!.content), null, s.name);
    }
    // A normal client after the storm.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(enc.encode(`AUTHENTICATE "PLAIN" "${auth}"\r\nLISTSCRIPTS\r\nLOGOUT\r\n`));
    await conn.closeWrite();
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    conn.close();
    const text = new TextDecoder().decode(concat(chunks));
    assert.match(
      text,
      /OK "Authentication successful"\r\n(?:"[^"\r\n]*"(?: ACTIVE)?\r\n)*OK "Listscripts completed"\r\nOK "Logout completed"\r\n$/,
    );
  } finally {
    await env.close();
  }
});
