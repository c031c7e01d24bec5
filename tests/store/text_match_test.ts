/**
 * `textFilterMatches` (core/store/text_match.ts), the text and header conditions judged on a
 * message's bytes, answers as each store's indexed query does: the same messages (crafted ones and
 * a sample of the real-world corpus) in a SQLite and in a PostgreSQL store, random needles cut from their own text
 * (case changed, trimmed or not) and random other strings, over every text field and header
 * conditions, alone and under AND/OR/NOT.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";
import type { Store } from "../../core/store/store.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";
import { textFilterMatches } from "../../core/store/text_match.ts";
import { indexMessage, searchRow } from "../../core/store/message_index.ts";
import type { MessageFilter } from "../../core/store/types.ts";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";

const enc = new TextEncoder();

const CRAFTED = [
  "From: Ann Example <ann@example.org>\r\nTo: bob@example.org\r\nCc: Carl <carl@example.net>\r\n" +
  "Subject: Quarterly Zebra report\r\nX-Tag: Alpha Beta\r\n\r\nStriped okapi and a ZEBRA crossing\r\n",
  "From: =?UTF-8?Q?Jos=C3=A9?= <jose@example.org>\r\nTo: u@example.org\r\n" +
  "Subject: =?UTF-8?B?Q2Fmw6kgw6l0w6k=?=\r\nContent-Type: text/plain; charset=utf-8\r\n" +
  "Content-Transfer-Encoding: 8bit\r\n\r\nÉcole d'été, ÇA VA?\r\n",
  "From: x@example.org\r\nSubject: multipart\r\nMIME-Version: 1.0\r\n" +
  'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n' +
  "plain words here\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html <b>words</b></p>\r\n--b--\r\n",
  // A NUL in the body and in a header: the text after it is found too (message_index.ts).
  "From: nul@example.org\r\nSubject: nul\r\nX-Bin: a\0b past-nul-header\r\n\r\nbefore\0after-nul-word\r\n",
];

/** Up to `max` corpus messages, spread over the sorted list. */
async function corpusSample(max: number): Promise<Uint8Array[]> {
  const names = await corpusFiles();
  const step = Math.max(1, Math.floor(names.length / max));
  const out: Uint8Array[] = [];
  for (let i = 0; i < names.length && out.length < max; i += step) {
    out.push(await Deno.readFile(new URL(names[i]!, CORPUS_DIR)));
  }
  return out;
}

/** Candidate needles of one message: slices of its derived text and header lines. */
function slices(raw: Uint8Array): string[] {
  const index = indexMessage(raw);
  const row = searchRow(raw, index.summary);
  const texts = [
    row.subject,
    row.from,
    row.to,
    row.cc,
    row.body.slice(0, 2000),
    index.headers.slice(0, 2000),
  ];
  const out: string[] = [];
  for (const t of texts) {
    const chars = [...t];
    for (let k = 0; k < 6 && chars.length > 0; k++) {
      const start = (k * 7919) % chars.length;
      const len = 1 + ((k * 31) % 12);
      out.push(chars.slice(start, start + len).join(""));
    }
  }
  return out.filter((s) => s.length > 0);
}

/** Compares the matcher with one store's query; `store` is fresh and empty. */
async function compareWithStore(store: Store): Promise<void> {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!.id;
  const raws = [...CRAFTED.map((m) => enc.encode(m)), ...await corpusSample(40)];
  const byId = new Map<string, Uint8Array>();
  for (const raw of raws) {
    const { blobId } = await store.blobs.put(raw);
    const [m] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox], blobId }]);
    byId.set(m!.id, raw);
  }
  const nulMessage = [...byId.keys()][3]!;
  assert.deepEqual(await store.queryMessages(acc.id, { filter: { body: "after-nul-word" } }), [nulMessage]);
  assert.deepEqual(await store.queryMessages(acc.id, { filter: { header: ["X-Bin", "past-nul"] } }), [
    nulMessage,
  ]);
  const needles = [...new Set(raws.flatMap(slices))];
  const needle = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...needles) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "é",
        "CAFÉ",
        "été",
        "ZEBRA",
        "words",
        " okapi ",
        "=?",
        "%",
        "_",
        "\0",
        "before\0after",
      ),
    },
  ).chain((n) => fc.constantFrom(n, n.toUpperCase(), n.toLowerCase(), ` ${n} `));
  const headerName = fc.constantFrom("subject", "From", "x-tag", "X-TAG", "to", "content-type", "received");
  const condition: fc.Arbitrary<MessageFilter> = fc.oneof(
    fc.record({
      field: fc.constantFrom("text", "from", "to", "cc", "bcc", "subject", "body", "anyHeader"),
      needle,
    }).map(({ field, needle }) => ({ [field]: needle })),
    fc.tuple(headerName, fc.option(needle, { nil: undefined })).map(([name, value]) => ({
      header: value === undefined ? [name] as [string] : [name, value] as [string, string],
    })),
  );
  const filter: fc.Arbitrary<MessageFilter> = fc.oneof(
    { weight: 3, arbitrary: condition },
    {
      weight: 1,
      arbitrary: fc.record({
        operator: fc.constantFrom("AND" as const, "OR" as const, "NOT" as const),
        conditions: fc.array(condition, { minLength: 1, maxLength: 3 }),
      }),
    },
  );
  let matched = 0;
  await fc.assert(
    fc.asyncProperty(filter, async (f) => {
      const found = new Set(await store.queryMessages(acc.id, { filter: f }));
      for (const [id, raw] of byId) {
        assert.equal(textFilterMatches(raw, f), found.has(id), `message ${id}, filter ${JSON.stringify(f)}`);
      }
      matched += found.size;
    }),
    { numRuns: 200, seed: 20261207 },
  );
  // Not a vacuous comparison: the needles cut from the messages find them.
  assert.ok(matched > 300, `only ${matched} matches in all`);
}

Deno.test("textFilterMatches answers as the SQLite store's indexed query over crafted and corpus messages", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-text-match-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    await compareWithStore(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("textFilterMatches answers as the PostgreSQL store's indexed query over crafted and corpus messages", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const blobDir = await Deno.makeTempDir({ prefix: "tern-text-match-pg-" });
  const store = await PostgresStore.open({ url, blobDir, poolSize: 2 });
  try {
    await compareWithStore(store);
  } finally {
    await store.close();
    await cluster.dropDatabase(url);
    await Deno.remove(blobDir, { recursive: true });
  }
});
