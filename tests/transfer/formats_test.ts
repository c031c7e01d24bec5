/**
 * The mbox and Maildir formats: fast-check round trips through Tern's writer and reader (any bytes,
 * `From ` and `>From ` lines, any flags), and files written by Python's `mailbox` module (an
 * implementation others wrote) read with their flags and dates.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatMboxMessage, readMbox, separatorDate } from "../../core/transfer/mbox.ts";
import { flagsFromName, MaildirSource, MaildirWriter } from "../../core/transfer/maildir.ts";
import type { TransferItem } from "../../core/transfer/types.ts";
import { python } from "../support/line_client.ts";

function streamOf(bytes: Uint8Array, chunk = 7): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at += chunk));
    },
  });
}

async function collect(it: AsyncIterable<TransferItem>): Promise<TransferItem[]> {
  const out: TransferItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

// A message: a header block and body lines of any bytes but CR/LF; body lines may look like separators.
const line = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => b.map((x) => (x === 10 || x === 13 ? 32 : x))),
  fc.constantFrom("From someone", ">From quoted", ">>From deeper", "", "From", ">From").map((s) =>
    enc.encode(s)
  ),
);
const message = fc.record({
  subject: fc.stringMatching(/^[A-Za-z0-9 ]{0,20}$/),
  body: fc.array(line, { maxLength: 12 }),
  flags: fc.subarray(["\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "$Forwarded", "custom1"]),
  date: fc.integer({ min: 0, max: 4102444800 }).map((s) => new Date(s * 1000)),
});

function rawOf(m: { subject: string; body: Uint8Array[] }): Uint8Array {
  const head = enc.encode(`From: a@example.org\r\nSubject: ${m.subject}\r\n\r\n`);
  return concat([head, ...m.body.flatMap((l) => [l, enc.encode("\r\n")])]);
}

Deno.test("mbox: any messages written by formatMboxMessage read back byte for byte with flags and date", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(message, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 50 }),
      async (msgs, chunk) => {
        const file = concat(
          msgs.map((m) =>
            formatMboxMessage(rawOf(m), { sender: "a@example.org", date: m.date, flags: m.flags })
          ),
        );
        const back = await collect(
          readMbox(streamOf(file, chunk), { folder: ["INBOX"], maxMessage: 1 << 20 }),
        );
        assert.equal(back.length, msgs.length);
        for (let i = 0; i < msgs.length; i++) {
          const want = rawOf(msgs[i]!);
          // A body that ends in empty lines loses them to the separator (RFC 4155 keeps one blank line
          // between messages): compare up to trailing line endings.
          const trim = (b: Uint8Array) => dec.decode(b).replace(/(\r\n)+$/, "");
          assert.equal(trim(back[i]!.raw), trim(want));
          assert.deepEqual(
            [...back[i]!.flags].sort(),
            [...msgs[i]!.flags].sort(),
          );
          assert.equal(back[i]!.internalDate?.getTime(), msgs[i]!.date.getTime());
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("mbox: a message over the size limit is skipped whole, the next one still read", async () => {
  const big = formatMboxMessage(enc.encode("Subject: big\r\n\r\n" + "x".repeat(5000) + "\r\n"), {
    sender: "a@b",
    date: new Date(0),
    flags: [],
  });
  const small = formatMboxMessage(enc.encode("Subject: small\r\n\r\nhi\r\n"), {
    sender: "a@b",
    date: new Date(0),
    flags: [],
  });
  const skipped: string[] = [];
  const back = await collect(
    readMbox(streamOf(concat([big, small]), 100), {
      folder: ["X"],
      maxMessage: 1000,
      onSkip: (s) => skipped.push(s.reason),
    }),
  );
  assert.equal(back.length, 1);
  assert.match(dec.decode(back[0]!.raw), /^Subject: small\r\n/);
  assert.deepEqual(skipped, ["message larger than 1000 bytes"]);
});

Deno.test("mbox: the separator line's asctime date is the internal date (UTC)", () => {
  assert.equal(
    separatorDate("From ada@example.org Sat Jan  3 01:05:34 1996")?.toISOString(),
    "1996-01-03T01:05:34.000Z",
  );
  assert.equal(
    separatorDate("From MAILER-DAEMON Thu Dec 31 23:59:59 2026")?.toISOString(),
    "2026-12-31T23:59:59.000Z",
  );
  assert.equal(separatorDate("From nobody garbage"), undefined);
});

Deno.test("mbox written by Python's mailbox module: flags from Status/X-Status, dates from the separator", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-pymbox-" });
  try {
    await python(
      `
import mailbox, sys
mb = mailbox.mbox(sys.argv[1])
for i, flags in enumerate(["RO", "ROF", "OA", "", "ROD"]):
    m = mailbox.mboxMessage(b"From: a@example.org\\nSubject: m%d\\n\\nFrom the start\\nbody %d\\n" % (i, i))
    m.set_from("sender@example.org", (2020, 1, 2 + i, 3, 4, 5, 0, 0, 0))
    if flags: m.set_flags(flags)
    mb.add(m)
mb.flush(); mb.close()
`,
      [`${dir}/box`],
    );
    const file = await Deno.open(`${dir}/box`);
    const back = await collect(readMbox(file.readable, { folder: ["INBOX"], maxMessage: 1 << 20 }));
    assert.equal(back.length, 5);
    assert.deepEqual(back.map((m) => [...m.flags].sort()), [
      ["\\Seen"],
      ["\\Flagged", "\\Seen"],
      ["\\Answered"],
      [],
      ["\\Deleted", "\\Seen"],
    ]);
    assert.deepEqual(
      back.map((m) => m.internalDate?.toISOString()),
      [2, 3, 4, 5, 6].map((d) => `2020-01-0${d}T03:04:05.000Z`),
    );
    // Python quoted the body's "From " line (mboxo); the reader unquotes it; state headers are gone.
    assert.match(dec.decode(back[0]!.raw), /\r\n\r\nFrom the start\r\nbody 0\r\n$/);
    assert.doesNotMatch(dec.decode(back[1]!.raw), /^(Status|X-Status):/im);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Maildir: flags from file names (with dovecot-keywords), writer and reader round trip", async () => {
  assert.deepEqual(flagsFromName("123.M1P2.host:2,FRS", []), ["\\Flagged", "\\Answered", "\\Seen"]);
  assert.deepEqual(flagsFromName("123.M1P2.host:2,Sab", ["$Junk", "work"]), ["\\Seen", "$Junk", "work"]);
  assert.deepEqual(flagsFromName("123.M1P2.host", []), []);
  const dir = await Deno.makeTempDir({ prefix: "tern-maildir-" });
  try {
    const items: TransferItem[] = [
      {
        folder: ["INBOX"],
        raw: enc.encode("Subject: a\r\n\r\na\r\n"),
        flags: ["\\Seen", "work"],
        internalDate: new Date(1e12),
      },
      {
        folder: ["Projects", "2026"],
        raw: enc.encode("Subject: b\r\n\r\nb\r\n"),
        flags: ["\\Flagged", "\\Draft"],
        internalDate: new Date(2e12),
      },
    ];
    const w = new MaildirWriter(`${dir}/md`);
    for (const i of items) await w.write(i);
    await w.finish();
    // Python's mailbox module reads the tree Tern wrote: folder names and flags.
    const seen = await python(
      `
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=False)
print(sorted(md.list_folders()))
for key, m in md.items(): print("INBOX", m.get_flags())
for key, m in md.get_folder("Projects.2026").items(): print("Projects.2026", m.get_flags())
`,
      [`${dir}/md`],
    );
    assert.equal(seen, "['Projects.2026']\nINBOX Sa\nProjects.2026 DF\n");
    const back = await collect(new MaildirSource(`${dir}/md`, { maxMessage: 1 << 20 }).items());
    assert.deepEqual(
      back.map((
        b,
      ) => [b.folder.join("/"), [...b.flags].sort(), b.internalDate?.getTime(), dec.decode(b.raw)]),
      [
        ["INBOX", ["\\Seen", "work"], 1e12, "Subject: a\r\n\r\na\r\n"],
        ["Projects/2026", ["\\Draft", "\\Flagged"], 2e12, "Subject: b\r\n\r\nb\r\n"],
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
