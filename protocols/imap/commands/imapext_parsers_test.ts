/**
 * The pure parts of CONTEXT (RFC 5267), METADATA (RFC 5464) and NOTIFY (RFC 5465): any token
 * tree is either parsed or refused with an ImapError (never another exception), and the entry
 * selection follows GETMETADATA's DEPTH rules.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Token } from "../parser/tokens.ts";
import { ImapError } from "../errors.ts";
import { parseNotify } from "./notify.ts";
import { entryName, selectEntries } from "./metadata.ts";
import { partialData } from "./context.ts";
import { parsePartialRange, parseSearch } from "../search/program.ts";

const enc = new TextEncoder();

const WORDS = [
  "SET",
  "NONE",
  "STATUS",
  "selected",
  "SELECTED-DELAYED",
  "inboxes",
  "personal",
  "subscribed",
  "subtree",
  "mailboxes",
  "INBOX",
  "Work",
  "MessageNew",
  "MessageExpunge",
  "FlagChange",
  "AnnotationChange",
  "MailboxName",
  "SubscriptionChange",
  "MailboxMetadataChange",
  "ServerMetadataChange",
  // MessageNew fetch attributes (RFC 5465 §5.2).
  "UID",
  "FLAGS",
  "ENVELOPE",
  "RFC822",
  "BODY",
  "Foo",
  "RETURN",
  "PARTIAL",
  "UPDATE",
  "CONTEXT",
  "ALL",
  "1:2",
  "0:1",
  "4294967296:1",
  "-1:5",
  "/private/a",
  "/shared",
  "/x",
  "*",
];

const token: fc.Arbitrary<Token> = fc.letrec<{ t: Token }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(...WORDS).map((value): Token => ({ type: "atom", value })),
    fc.constantFrom("BODY", "BODY.PEEK").map((value): Token => ({ type: "atom", value, section: "HEADER" })),
    fc.string({ maxLength: 8 }).map((value): Token => ({
      type: "string",
      value,
      bytes: enc.encode(value),
      literal: false,
      binary: false,
    })),
    fc.array(tie("t"), { maxLength: 4 }).map((items): Token => ({ type: "list", items })),
  ),
})).t;

function parsedOrImapError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ImapError, String(e));
  }
}

Deno.test("NOTIFY, SEARCH RETURN and entry-name parsing either succeed or refuse with an ImapError", () => {
  fc.assert(
    fc.property(fc.array(token, { maxLength: 6 }), (args) => {
      parsedOrImapError(() => parseNotify(args, (s) => s));
      // MessageNew (fetch-att) in a SELECTED group (RFC 5465 §5.2): any attribute list.
      const atom = (value: string): Token => ({ type: "atom", value });
      parsedOrImapError(() =>
        parseNotify([atom("SET"), {
          type: "list",
          items: [atom("SELECTED"), {
            type: "list",
            items: [atom("MessageNew"), { type: "list", items: args }, atom("MessageExpunge")],
          }],
        }], (s) => s)
      );
      parsedOrImapError(() => parseSearch([{ type: "atom", value: "RETURN" }, ...args]));
      for (const t of args) if (t.type !== "list") parsedOrImapError(() => entryName(t.value, false));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("PARTIAL ranges read either way round; the part is NIL past the end", () => {
  assert.deepEqual(parsePartialRange("4:2"), [2, 4]);
  assert.throws(() => parsePartialRange("0:2"), ImapError);
  assert.equal(partialData([2, 4], [5, 1, 9, 3], true), " PARTIAL (2:4 1,9,3)");
  assert.equal(partialData([2, 4], [1, 3, 5, 9], false), " PARTIAL (2:4 3,5,9)");
  assert.equal(partialData([5, 9], [1, 2], false), " PARTIAL (5:9 NIL)");
});

Deno.test("GETMETADATA DEPTH: 0 answers NIL for a missing entry, 1 the children, infinity every descendant", () => {
  const v = (t: string) => enc.encode(t);
  const stored = [
    { name: "/shared/a", value: v("1") },
    { name: "/shared/a/b", value: v("2") },
    { name: "/shared/a/b/c", value: v("3") },
    { name: "/shared/ab", value: v("4") },
  ];
  const names = (depth: 0 | 1 | "infinity", req: string[]) =>
    selectEntries(stored, req, depth).map((e) =>
      `${e.name}=${e.value ? new TextDecoder().decode(e.value) : "NIL"}`
    );
  assert.deepEqual(names(0, ["/shared/a", "/shared/x"]), ["/shared/a=1", "/shared/x=NIL"]);
  assert.deepEqual(names(1, ["/shared/a"]), ["/shared/a=1", "/shared/a/b=2"]);
  assert.deepEqual(names("infinity", ["/shared/a", "/shared/a/b"]), [
    "/shared/a=1",
    "/shared/a/b=2",
    "/shared/a/b/c=3",
  ]);
  assert.deepEqual(names(1, ["/shared/x"]), []);
});
