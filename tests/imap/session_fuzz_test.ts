/**
 * The session never breaks on hostile input: random command lines built from IMAP tokens are fed
 * to an in-process session (memory transport, real store); every command gets exactly one tagged
 * reply and the session still answers NOOP afterwards.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createMemoryTransportPair } from "../../core/net/memory_transport.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { MemoryNotifier } from "../../core/store/notifier.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { type ConnectionContext, type ServerContext, systemClock } from "../../core/context.ts";
import type { Session } from "../../core/session.ts";
import type { Transport } from "../../core/net/transport.ts";
import { createImapHandler } from "../../protocols/imap/handler.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads lines from the client side of a memory transport. */
class Lines {
  #buf = "";
  constructor(readonly t: Transport) {}
  async line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf("\r\n");
      if (i >= 0) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return l;
      }
      const chunk = await this.t.read();
      if (chunk === null) throw new Error(`EOF after ${JSON.stringify(this.#buf)}`);
      this.#buf += dec.decode(chunk);
    }
  }
  async until(tag: string): Promise<string> {
    for (;;) {
      const l = await this.line();
      if (l.startsWith(tag + " ")) return l;
    }
  }
}

const TOKENS = [
  "FETCH",
  "UID",
  "STORE",
  "SEARCH",
  "SELECT",
  "EXAMINE",
  "LIST",
  "STATUS",
  "COPY",
  "MOVE",
  "APPEND",
  "EXPUNGE",
  "CREATE",
  "RENAME",
  "DELETE",
  "ENABLE",
  "NOOP",
  "ID",
  "CLOSE",
  "UNSELECT",
  "NAMESPACE",
  "INBOX",
  "Archive",
  "1",
  "*",
  "1:*",
  "$",
  "0",
  "4294967296",
  "(",
  ")",
  "((",
  "))",
  '""',
  '"x\\"y"',
  "FLAGS",
  "+FLAGS.SILENT",
  "\\Seen",
  "\\Bogus",
  "BODY[]",
  "BODY.PEEK[1.MIME]",
  "BINARY[1]<0.5>",
  "BODY[HEADER.FIELDS (FROM)]",
  "ENVELOPE",
  "BODYSTRUCTURE",
  "RETURN",
  "(MIN MAX)",
  "OR",
  "NOT",
  "SUBJECT",
  "HEADER",
  "SINCE",
  "1-Jan-2020",
  "CHANGEDSINCE",
  "UNCHANGEDSINCE",
  "(CONDSTORE)",
  "QRESYNC",
  "IMAP4rev2",
  "UTF8=ACCEPT",
  "%",
  "&Jjo-",
  "&-",
  "&",
  "NIL",
  "{3+}\r\nabc",
  "~{2+}\r\n\u0000x",
];

Deno.test("imap session survives random commands", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-imap-fuzz-" });
  const config = testConfig(dir, { local_domains: ["example.org"] });
  const store = await SqliteStore.open({ dataDir: dir, notifier: new MemoryNotifier() });
  const auth = createAuthService(store, config);
  await store.addDomain("example.org");
  await store.createAccount({ address: "u@example.org", secrets: await auth.deriveSecrets("pw") });
  const server: ServerContext = { config, store, auth, log: nullLogger, clock: systemClock };
  const [serverSide, client] = createMemoryTransportPair();
  const session: Session = {
    id: crypto.randomUUID(),
    protocol: "imap",
    listener: "imap",
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 143,
    created: new Date(),
    secure: false,
    state: "new",
  };
  const shutdown = new AbortController();
  const conn: ConnectionContext = {
    server,
    transport: serverSide,
    session,
    log: nullLogger,
    listenerName: "imap",
    listener: config.listeners.imap,
    shutdown: shutdown.signal,
    setUser: (u) => {
      session.user = u;
    },
  };
  const running = createImapHandler(server)(conn);
  const lines = new Lines(client);
  try {
    assert.match(await lines.line(), /^\* OK /);
    await client.write("l LOGIN u@example.org pw\r\n");
    assert.match(await lines.until("l"), /^l OK /);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 8 }),
        async (words) => {
          const tag = `f${++n}`;
          await client.write(enc.encode(`${tag} ${words.join(" ")}\r\n`));
          const reply = await lines.until(tag);
          assert.match(reply, new RegExp(`^${tag} (OK|NO|BAD) `));
          // Leave IDLE-like states and selected mailboxes as they are: the next command must work.
          await client.write(`p${n} NOOP\r\n`);
          assert.match(await lines.until(`p${n}`), new RegExp(`^p${n} OK `));
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    client.close();
    await running;
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
