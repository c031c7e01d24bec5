/**
 * A real server on an injected clock with one account whose INBOX holds messages APPENDed with
 * given INTERNALDATEs, selected: the set-up of the date-keyed extension tests (WITHIN, SAVEDATE).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Clock } from "../../core/clock.ts";
import { RawImap } from "./_imap_client.ts";

const enc = new TextEncoder();

/** One message to APPEND: its INTERNALDATE (as written in APPEND) and subject. */
export interface DatedMessage {
  date: string;
  subject: string;
}

/**
 * Starts the server on `clock`, logs in as u@example.org, APPENDs `messages` in order (LITERAL+),
 * selects INBOX and runs `fn`; everything is torn down afterwards.
 */
export async function withClockedMailbox(
  clock: Clock,
  messages: DatedMessage[],
  fn: (c: RawImap) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-clocked-" });
  const srv = await createServer(testConfig(dir, { local_domains: ["example.org"] }), undefined, { clock });
  await srv.start();
  try {
    await srv.context.store.createAccount({
      address: "u@example.org",
      secrets: await srv.context.auth.deriveSecrets("s3cret pass"),
    });
    const c = await RawImap.connect(srv.addresses.imap!.port);
    try {
      await c.login();
      for (const { date, subject } of messages) {
        const m = `Subject: ${subject}\r\n\r\nbody\r\n`;
        const r = await c.cmd(`APPEND INBOX "${date}" {${enc.encode(m).length}+}\r\n${m}`);
        assert.match(r.at(-1)!, /^TAG OK/);
      }
      assert.match((await c.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
      await fn(c);
    } finally {
      c.close();
    }
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
