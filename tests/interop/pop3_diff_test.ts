/**
 * POP3 against Dovecot (RFC 1939, RFC 2449): every corpus message APPENDed to INBOX on a throwaway
 * Dovecot (with `dovecot-pop3d`) and on Tern, then the same POP3 session on both: STAT, LIST and
 * LIST n (the sizes RFC 1939 §5 defines as exact octet counts), UIDL (its own ids on each server:
 * compared as one unique id per message), RETR and TOP n 0 / TOP n 5 of every message (the bytes
 * after the status line, dot-stuffing and line ends included), then argument errors, DELE, a
 * deleted message, RSET and an unknown command. Status lines are compared by `+OK`/`-ERR` (their
 * text is the server's own), except STAT and LIST n, whose counts are compared.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LineClient } from "../support/line_client.ts";
import {
  DEFAULT_USERS,
  dovecotMissing,
  freePort,
  type ImapPeer,
  loginService,
  startDovecot,
  startTern,
} from "./_dovecot.ts";
import { CORPUS_DIR, corpusFiles } from "./_corpus.ts";

const POP3_BIN = "/usr/lib/dovecot/pop3";

function pop3Missing(): string | null {
  if (dovecotMissing) return dovecotMissing;
  try {
    if (Deno.statSync(POP3_BIN).isFile) return null;
  } catch {
    // not installed
  }
  return "dovecot-pop3d not installed (apt-get install dovecot-pop3d); POP3 differential test skipped";
}
const missing = pop3Missing();
if (missing) console.log(`pop3_diff_test skipped: ${missing}`);

const latin1 = new TextDecoder("latin1");

/** A line of the server's answer, with its line end; throws at EOF. */
async function line(c: LineClient): Promise<string> {
  const l = await c.rawLine();
  if (l === null) throw new Error("EOF from the POP3 server");
  return l;
}

/** Sends a command; returns its status line and, for a multi-line `+OK`, the lines up to "." as sent. */
async function pop3(c: LineClient, text: string, multi = false): Promise<{ status: string; body: string }> {
  await c.line(text);
  const status = (await line(c)).trimEnd();
  let body = "";
  if (multi && status.startsWith("+OK")) {
    for (let l = await line(c); l !== ".\r\n"; l = await line(c)) body += l;
  }
  return { status, body };
}

/** What is compared of an answer: the status word, with the counts of STAT and LIST n. */
function statusOf(cmd: string, status: string): string {
  if (/^(STAT|LIST \S+)$/i.test(cmd) && status.startsWith("+OK")) {
    return status.split(" ").slice(0, 3).join(" ");
  }
  return status.startsWith("+OK") ? "+OK" : status.startsWith("-ERR") ? "-ERR" : status;
}

/** UIDL's listing as message numbers, checking each id is there once (RFC 1939 §7). */
function uidlNumbers(body: string): string {
  const lines = body.split("\r\n").filter(Boolean);
  const ids = new Set(lines.map((l) => l.split(" ")[1]));
  assert.equal(ids.size, lines.length, "UIDL ids must be unique");
  for (const id of ids) assert.match(id!, /^[\x21-\x7e]{1,70}$/, "RFC 1939 §7: 1 to 70 printable characters");
  return lines.map((l) => l.split(" ")[0]).join(",");
}

/**
 * Messages whose lines end in a bare CR (old Mac mail): Tern sends each such line end as CRLF (RFC
 * 1939 §3: lines end in CRLF) and counts the sizes so; Dovecot sends the bytes as stored, so its
 * whole message is one line: no header/body split for TOP, and sizes one octet less per line.
 * Their RETR is compared with Dovecot's bare CRs read as CRLF; their sizes and TOP are not compared
 * (docs/rfc.md).
 */
const bareCr = (raw: Uint8Array) => /\r(?!\n)/.test(latin1.decode(raw));

/**
 * The POP3 session both servers go through; each entry is one command's compared answer.
 * `crMessages`: numbers of the messages `bareCr` holds (the deliberate difference above).
 * `sizes`: filled with each message's RETR octets after dot-unstuffing, and the LIST n size.
 */
async function session(
  port: number,
  messages: number,
  crMessages: Set<number>,
  sizes: Map<number, { listed: number; sent: number }>,
): Promise<string[]> {
  const c = await LineClient.connect(port);
  await line(c); // the greeting
  const out: string[] = [];
  const one = async (cmd: string, multi = false) => {
    const r = await pop3(c, cmd, multi);
    const n = Number(/^(?:LIST|RETR|TOP) (\d+)/i.exec(cmd)?.[1] ?? 0);
    if (/^LIST \d+$/.test(cmd) && r.status.startsWith("+OK")) {
      sizes.set(n, { listed: Number(r.status.split(" ")[2]), sent: sizes.get(n)?.sent ?? -1 });
    }
    if (/^RETR \d+$/.test(cmd) && r.status.startsWith("+OK")) {
      // RFC 1939 §3: a line starting with "." is sent with one more.
      const sent = r.body.replace(/(^|\r\n)\./g, "$1").length; // latin1: a character per octet
      sizes.set(n, { listed: sizes.get(n)?.listed ?? -1, sent });
    }
    let body = /^UIDL$/i.test(cmd) ? uidlNumbers(r.body) : r.body;
    let status = statusOf(cmd, r.status);
    if (crMessages.size > 0 && /^(STAT|LIST)$/.test(cmd)) {
      // Sizes of the bare-CR messages, and so the total, are not compared.
      status = status.split(" ").slice(0, 2).join(" ");
      body = body.split("\r\n").filter((l) => !crMessages.has(Number(l.split(" ")[0]))).join("\r\n");
    }
    if (crMessages.has(n)) {
      if (/^(LIST|TOP) /.test(cmd)) return;
      // A last bare CR ended the last line already: Dovecot's CRLF after it is not another line.
      body = body.replace(/\r\r\n$/, "\r\n").replace(/\r(?!\n)/g, "\r\n");
    }
    out.push(`${cmd} => ${status}${body ? `\n${body}` : ""}`);
  };
  try {
    const u = DEFAULT_USERS[0]!;
    await one(`USER ${u.address}`);
    await one(`PASS ${u.password}`);
    await one("STAT");
    await one("LIST", true);
    await one("UIDL", true);
    for (let n = 1; n <= messages; n++) {
      await one(`LIST ${n}`);
      await one(`RETR ${n}`, true);
      await one(`TOP ${n} 0`, true);
      await one(`TOP ${n} 5`, true);
    }
    for (
      const cmd of ["RETR 0", `RETR ${messages + 1}`, "TOP 1", "TOP 1 x", "LIST 0", "LIST abc", "UIDL 0"]
    ) {
      await one(cmd, true);
    }
    await one("DELE 1");
    await one("RETR 1", true);
    await one("LIST 1");
    await one("DELE 1");
    await one("STAT");
    await one("LIST", true);
    await one("RSET");
    await one("STAT");
    await one("NOOP");
    await one("FOO");
    await one("QUIT");
  } finally {
    c.close();
  }
  return out;
}

/** The corpus messages, without those holding a NUL (a plain literal may not, RFC 9051 §4.3). */
async function corpus(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const f of await corpusFiles()) {
    const raw = await Deno.readFile(new URL(f, CORPUS_DIR));
    if (!raw.includes(0)) out.push(raw);
  }
  return out;
}

/** Appends the messages to INBOX over IMAP. */
async function fill(peer: ImapPeer, messages: Uint8Array[]): Promise<void> {
  const w = await peer.login();
  try {
    for (const raw of messages) await w.ok(["APPEND INBOX () ", raw]);
  } finally {
    w.close();
  }
}

Deno.test({
  name:
    "POP3: STAT, LIST, UIDL, RETR and TOP of every corpus message, and the error cases, answer as Dovecot",
  ignore: missing !== null,
  async fn() {
    const files = await corpus();
    assert.ok(files.length > 0, "the corpus (../shared/corpus/) is missing");
    const pop3Port = freePort();
    const dovecot = await startDovecot(
      DEFAULT_USERS,
      `protocols = imap pop3\n${loginService("pop3", pop3Port)}\n`,
    );
    const tern = await startTern();
    try {
      await fill(dovecot, files);
      await fill(tern, files);
      const crMessages = new Set(files.flatMap((raw, i) => bareCr(raw) ? [i + 1] : []));
      const want = await session(pop3Port, files.length, crMessages, new Map());
      const ternSizes = new Map<number, { listed: number; sent: number }>();
      const got = await session(tern.server.port("pop3"), files.length, crMessages, ternSizes);
      // RFC 1939 §5: LIST gives the size in octets, the same RETR then sends (as Tern counts it),
      // except the CRLF a message without a final line end gets before the "." (Dovecot alike).
      // A message that ends in a line feed is stored as it is, so its sizes must agree exactly.
      for (const [n, { listed, sent }] of ternSizes) {
        const closed = files[n - 1]!.at(-1) === 0x0a;
        assert.ok(
          sent === listed || (!closed && sent === listed + 2),
          `message ${n}: LIST ${listed}, RETR ${sent} octets`,
        );
      }
      assert.equal(ternSizes.size, files.length);
      const differ: string[] = [];
      for (let i = 0; i < want.length; i++) {
        if (got[i] !== want[i]) {
          differ.push(
            `dovecot: ${JSON.stringify(want[i]).slice(0, 400)}\n  tern:    ${
              JSON.stringify(got[i]).slice(0, 400)
            }`,
          );
        }
      }
      console.log(
        `pop3_diff_test: ${files.length} messages (${crMessages.size} with bare CR line ends), ` +
          `${want.length} answers compared, ${differ.length} differ`,
      );
      assert.deepEqual(differ, [], `${differ.length} answers differ:\n${differ.slice(0, 10).join("\n")}`);
    } finally {
      await tern.stop();
      await dovecot.stop();
    }
  },
});
