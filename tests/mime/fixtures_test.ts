/**
 * Hand-written edge-case messages (tests/fixtures/mime/NAME.eml) checked against their expected
 * section trees (NAME.json). Only the keys present in the expectation are compared; `body` is the
 * part's body bytes (UTF-8), `headers` the field names, `defects` substrings that must appear.
 */
import assert from "node:assert/strict";
import { parseMime } from "../../core/mime/parse.ts";
import type { MimePart } from "../../core/mime/types.ts";
import { offsetProblems } from "../../core/mime/_test_util.ts";

interface Expected {
  section: string;
  type: string;
  body?: string;
  lines?: number;
  encoding?: string;
  params?: Record<string, string>;
  disposition?: { value: string; params: Record<string, string> } | null;
  headers?: string[];
  defects?: string[];
  children?: Expected[];
  message?: Expected | null;
}

const dir = new URL("../fixtures/mime/", import.meta.url);
const utf8 = new TextDecoder();

function check(raw: Uint8Array, part: MimePart, exp: Expected, path: string): void {
  const at = `${path} (${exp.section})`;
  assert.equal(part.section, exp.section, `${at}: section`);
  assert.equal(`${part.type}/${part.subtype}`, exp.type, `${at}: type`);
  if (exp.body !== undefined) {
    assert.equal(utf8.decode(raw.subarray(part.bodyStart, part.bodyEnd)), exp.body, `${at}: body`);
  }
  if (exp.lines !== undefined) assert.equal(part.lines, exp.lines, `${at}: lines`);
  if (exp.encoding !== undefined) assert.equal(part.encoding, exp.encoding, `${at}: encoding`);
  if (exp.params !== undefined) assert.deepEqual(part.params, exp.params, `${at}: params`);
  if (exp.disposition !== undefined) {
    assert.deepEqual(part.disposition, exp.disposition, `${at}: disposition`);
  }
  if (exp.headers !== undefined) {
    assert.deepEqual(part.headers.map((h) => h.name), exp.headers, `${at}: headers`);
  }
  if (exp.defects !== undefined) {
    if (exp.defects.length === 0) assert.deepEqual(part.defects, [], `${at}: no defects`);
    for (const d of exp.defects) {
      assert.ok(part.defects.some((x) => x.includes(d)), `${at}: defect "${d}" in ${part.defects}`);
    }
  }
  if (exp.children !== undefined) {
    assert.equal(part.children.length, exp.children.length, `${at}: number of children`);
    exp.children.forEach((c, i) => check(raw, part.children[i]!, c, `${path}/${i + 1}`));
  }
  if (exp.message !== undefined) {
    if (exp.message === null) assert.equal(part.message, null, `${at}: message`);
    else {
      assert.ok(part.message !== null, `${at}: embedded message expected`);
      check(raw, part.message, exp.message, `${path}/message`);
    }
  }
}

const names = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".eml")).map((e) => e.name).sort();

Deno.test("fixtures: every .eml has an expectation", () => {
  assert.ok(names.length >= 10);
  for (const name of names) Deno.statSync(new URL(name.replace(/\.eml$/, ".json"), dir));
});

for (const name of names) {
  Deno.test(`parseMime fixture ${name}`, () => {
    const raw = Deno.readFileSync(new URL(name, dir));
    const expected = JSON.parse(
      Deno.readTextFileSync(new URL(name.replace(/\.eml$/, ".json"), dir)),
    ) as Expected;
    const root = parseMime(raw);
    assert.deepEqual(offsetProblems(root, raw.length), []);
    check(raw, root, expected, name);
  });
}
