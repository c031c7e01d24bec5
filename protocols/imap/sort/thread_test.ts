/**
 * Unit tests of the THREAD algorithms (RFC 5256 §3) and the thread-list formatter (§4).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { extractBaseSubject } from "./base_subject.ts";
import {
  formatThreads,
  orderedSubject,
  referencesThreads,
  refsThreads,
  type ThreadInput,
  type ThreadNode,
} from "./thread.ts";

function m(
  id: string | null,
  subject: string,
  date: number,
  references: string[] = [],
  inReplyTo: string[] = [],
) {
  return { messageId: id, subject, date, references, inReplyTo } satisfies ThreadInput;
}
const fmt = (t: ThreadNode[]) => formatThreads(t, (i) => i + 1);

Deno.test("thread-list formatting: a single child inline, several children parenthesised, dummies empty", () => {
  const leaf = (i: number): ThreadNode => ({ index: i, children: [] });
  assert.equal(fmt([]), "");
  assert.equal(fmt([leaf(0), leaf(1)]), "(1)(2)");
  assert.equal(fmt([{ index: 0, children: [{ index: 1, children: [leaf(2)] }] }]), "(1 2 3)");
  assert.equal(fmt([{ index: 0, children: [leaf(1), leaf(2)] }]), "(1 (2)(3))");
  assert.equal(fmt([{ index: null, children: [leaf(1), { index: 2, children: [leaf(3)] }] }]), "((2)(3 4))");
});

Deno.test("REFERENCES: a message's own reference replaces a link made from another's chain (RFC 5256 §3 step 1.B)", () => {
  const items = [
    m("a", "x", 1),
    m("b", "y", 2),
    // d's chain says a → c → d0 → d; c itself then says its parent is b (the missing d0 is pruned).
    m("d", "z", 4, ["a", "c", "d0"]),
    m("c", "w", 3, ["b"]),
  ];
  assert.equal(fmt(referencesThreads(items)), "(1)(2 4 3)");
});

Deno.test("REFERENCES: loops are not created; duplicate and missing Message-IDs get their own", () => {
  // n is m's parent (from m's References); n's own reference to m would close a loop.
  assert.equal(fmt(referencesThreads([m("m", "p", 1, ["n"]), m("n", "q", 2, ["m"])])), "(2 1)");
  assert.equal(
    fmt(referencesThreads([m("a", "one", 1), m("a", "two", 2), m(null, "three", 3, ["a"])])),
    "(1 3)(2)",
  );
  assert.equal(fmt(referencesThreads([m("s", "self", 1, ["s"])])), "(1)");
});

Deno.test("REFERENCES: subject merging follows RFC 5256 §3 step 5", () => {
  // A reply joins the original as its child.
  assert.equal(fmt(referencesThreads([m("a", "hi", 1), m("b", "Re: hi", 2)])), "(1 2)");
  // Two originals (or two replies) get a dummy parent.
  assert.equal(fmt(referencesThreads([m("a", "hi", 1), m("b", "hi", 2)])), "((1)(2))");
  assert.equal(fmt(referencesThreads([m("a", "Re: hi", 1), m("b", "re: HI", 2)])), "((1)(2))");
  // The original is preferred in the table even when the reply is older.
  assert.equal(fmt(referencesThreads([m("b", "Re: hi", 1), m("a", "hi", 2)])), "(2 1)");
  // Empty subjects are never merged.
  assert.equal(fmt(referencesThreads([m("a", "", 1), m("b", "", 2)])), "(1)(2)");
  // A dummy thread (two replies to a missing message) takes in a same-subject message.
  assert.equal(
    fmt(
      referencesThreads([
        m("e", "Re: lost", 1, ["gone"]),
        m("f", "Re: lost", 3, ["gone"]),
        m("g", "lost", 2),
      ]),
    ),
    "((1)(3)(2))",
  );
});

Deno.test("REFS does not merge by subject and orders threads by their latest message", () => {
  const items = [m("a", "hi", 1), m("b", "Re: hi", 2), m("c", "other", 3), m("d", "Re: other", 5, ["c"])];
  assert.equal(fmt(referencesThreads(items)), "(1 2)(3 4)");
  assert.equal(fmt(refsThreads([m("a", "x", 1), m("c", "y", 3), m("b", "Re: x", 4, ["a"])])), "(2)(1 3)");
  assert.equal(fmt(refsThreads(items)), "(1)(2)(3 4)");
});

Deno.test("ORDEREDSUBJECT groups by base subject and orders by sent date, ties by sequence", () => {
  const items = [m("a", "b", 5), m("b", "Re: a", 3), m("c", "a", 4), m("d", "[x] Fwd: B", 5), m("e", "a", 3)];
  assert.equal(fmt(orderedSubject(items)), "(2 (5)(3))(1 4)");
});

Deno.test("every message appears exactly once in the threads, whatever the references", () => {
  const ids = fc.constantFrom("a", "b", "c", "d", "e", "f");
  const input = fc.record({
    messageId: fc.option(ids),
    subject: fc.constantFrom("x", "Re: x", "y", "Fwd: y", ""),
    date: fc.integer({ min: 0, max: 5 }),
    references: fc.array(ids, { maxLength: 4 }),
    inReplyTo: fc.array(ids, { maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.array(input, { maxLength: 12 }), (items) => {
      for (const alg of [referencesThreads, refsThreads, orderedSubject]) {
        const seen: number[] = [];
        const walk = (n: ThreadNode) => {
          if (n.index !== null) seen.push(n.index);
          else assert.ok(n.children.length >= 2, "a dummy has at least two children");
          n.children.forEach(walk);
        };
        alg(items).forEach(walk);
        assert.deepEqual(seen.sort((a, b) => a - b), items.map((_, i) => i));
      }
    }),
  );
});

Deno.test("a subject is a reply or forward when a leader, trailer or [fwd: ] wrapper was removed", () => {
  assert.equal(extractBaseSubject("Re: x").isReply, true);
  assert.equal(extractBaseSubject("x (fwd)").isReply, true);
  assert.equal(extractBaseSubject("[fwd: x]").isReply, true);
  assert.equal(extractBaseSubject("[list] x").isReply, false);
  assert.equal(extractBaseSubject("  x  ").isReply, false);
});
