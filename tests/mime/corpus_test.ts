/**
 * Feeds every message of the shared real-world corpus (../shared/corpus/, outside the repo)
 * through parseMime, summarize and extractText: nothing throws, every offset is in range and
 * ordered, headerEnd == bodyStart, children lie inside their parent. Skipped when the corpus is
 * absent.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseMime } from "../../core/mime/parse.ts";
import { findSection, walkParts } from "../../core/mime/section.ts";
import { extractText, summarize } from "../../core/mime/summary.ts";
import { decodedBody, partText } from "../../core/mime/body.ts";
import { offsetProblems } from "../../core/mime/_test_util.ts";
import type { MimePart } from "../../core/mime/types.ts";

const corpus = new URL("../../../shared/corpus/", import.meta.url);

function corpusFiles(): string[] {
  try {
    return [...Deno.readDirSync(corpus)].filter((e) => e.isFile && e.name.endsWith(".eml")).map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

const files = corpusFiles();

Deno.test({
  name: "parseMime corpus: never throws, offsets in range and nested",
  ignore: files.length === 0,
  fn() {
    const problems: string[] = [];
    for (const name of files) {
      const raw = Deno.readFileSync(new URL(name, corpus));
      const root = parseMime(raw);
      for (const p of offsetProblems(root, raw.length)) problems.push(`${name}: ${p}`);
      assert.equal(root.headerStart, 0);
      assert.equal(root.bodyEnd, raw.length, name);
      walkParts(root, (part) => {
        if (part.type === "multipart" && part.children.length === 0) {
          problems.push(`${name}: empty multipart`);
        }
        decodedBody(raw, part);
        if (part.type === "text") partText(raw, part);
      });
      // Every numbered part resolves back to itself: children by their number, the body of a
      // non-multipart message (root or embedded) by <number>.1.
      const check = (message: MimePart): void => {
        if (message.type !== "multipart") {
          const body = message.section === "" ? "1" : `${message.section}.1`;
          if (findSection(root, body) !== message) problems.push(`${name}: section ${body}`);
        }
        const visit = (part: MimePart): void => {
          if (findSection(root, part.section) !== part) problems.push(`${name}: section ${part.section}`);
          part.children.forEach(visit);
          if (part.message !== null) check(part.message);
        };
        message.children.forEach(visit);
        if (message.message !== null) check(message.message);
      };
      check(root);
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "summarize corpus: never throws and gives sane summaries",
  ignore: files.length === 0,
  fn() {
    let withFrom = 0;
    for (const name of files) {
      const raw = Deno.readFileSync(new URL(name, corpus));
      const s = summarize(raw);
      assert.ok(Array.from(s.preview).length <= 256, name);
      assert.ok(!/\s\s/.test(s.preview), `${name}: preview whitespace collapsed`);
      assert.ok(s.sentAt === null || !Number.isNaN(s.sentAt.getTime()), name);
      if (s.from.length > 0) withFrom++;
      assert.ok(extractText(raw).length <= 1024 * 1024, name);
    }
    // Most real messages have a From: a parser that lost them all would pass the checks above.
    assert.ok(withFrom > files.length / 2, `only ${withFrom} of ${files.length} with From`);
  },
});

Deno.test({
  name: "parseMime corpus: mutated real messages never break the invariants",
  ignore: files.length === 0,
  fn() {
    // Small messages keep the run quick; the mutations hit headers, boundaries and line endings.
    const small = files.map((name) => Deno.readFileSync(new URL(name, corpus))).filter((m) =>
      m.length < 8192
    );
    const bytesOfInterest = [0x0d, 0x0a, 0x2d, 0x3a, 0x3b, 0x3d, 0x22, 0x20, 0x00, 0xff, 0x3f, 0x42];
    fc.assert(
      fc.property(
        fc.nat(small.length - 1),
        fc.array(
          fc.tuple(fc.nat(1 << 16), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...bytesOfInterest)),
          { minLength: 1, maxLength: 12 },
        ),
        (which, edits) => {
          const arr = Array.from(small[which]!);
          for (const [pos, op, byte] of edits) {
            const at = pos % (arr.length + 1);
            if (op === 0) arr.splice(at, 0, byte);
            else if (op === 1) arr.splice(at, 1);
            else if (op === 2) arr[at] = byte;
            else arr.splice(at, 0, 0x0a, 0x2d, 0x2d); // a fake delimiter start
          }
          const raw = Uint8Array.from(arr);
          const root = parseMime(raw);
          assert.deepEqual(offsetProblems(root, raw.length), []);
          summarize(raw);
        },
      ),
      { numRuns: 150 },
    );
  },
});
