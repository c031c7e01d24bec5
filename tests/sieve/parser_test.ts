/**
 * Sieve parser and validator tests: the RFC 5228 grammar (strings, multi-line text, comments,
 * numbers), one negative test per class of syntax or validation error with its line and column,
 * and a fast-check fuzz run where no exception but `SieveSyntaxError` may escape.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSieve, SieveSyntaxError } from "../../core/sieve/parser.ts";
import { compileSieve, SIEVE_EXTENSIONS } from "../../core/sieve/validate.ts";
import { runSieve } from "../../core/sieve/interpreter.ts";

Deno.test("sieve parser: strings, escapes, multi-line text with dot-stuffing, comments, quantified numbers", () => {
  const tree = parseSieve(
    `# hash comment
/* bracket
   comment */ vacation :days 2K text: # comment after text:
line one
..dotted
.
;
fileinto "a\\"b\\\\c\\d";`,
  );
  assert.equal(tree.length, 2);
  assert.equal(tree[0]!.name, "vacation");
  assert.deepEqual(tree[0]!.args[1], { kind: "number", value: 2048, pos: { line: 3, column: 30 } });
  assert.deepEqual(tree[0]!.args[2]!.kind === "strings" && tree[0]!.args[2]!.values, [
    "line one\r\n.dotted\r\n",
  ]);
  // RFC 5228 §2.4.2: \\" and \\\\ are escapes; any other backslash is dropped.
  assert.deepEqual(tree[1]!.args[0]!.kind === "strings" && tree[1]!.args[0]!.values, ['a"b\\cd']);
  assert.equal(tree[1]!.pos.line, 8);
});

Deno.test("sieve parser: identifiers and tags are case-insensitive, string lists, test lists", () => {
  const tree = parseSieve(`IF AnyOf (Header :IS ["a", "b"] "c", TRUE) { KEEP; }`);
  assert.equal(tree[0]!.name, "if");
  assert.equal(tree[0]!.tests[0]!.name, "anyof");
  assert.equal(tree[0]!.tests[0]!.tests.length, 2);
  assert.deepEqual(tree[0]!.tests[0]!.tests[0]!.args[0], {
    kind: "tag",
    name: "is",
    pos: { line: 1, column: 18 },
  });
});

/** Each class of error, a script showing it, and the line and column it must be reported at. */
const ERRORS: [string, string, RegExp, number, number][] = [
  ["unterminated string", `keep;\nfileinto "abc`, /unterminated string/, 2, 10],
  ["unterminated bracket comment", `keep; /* never closed`, /unterminated comment/, 1, 7],
  [
    "unterminated multi-line string",
    `require "reject";\nreject text:\nno end`,
    /unterminated multi-line/,
    2,
    8,
  ],
  [
    "text: followed by other text",
    `require "reject"; reject text: x\n.\n;`,
    /end of line after 'text:'/,
    1,
    26,
  ],
  ["bad character", `keep; @`, /unexpected character "@"/, 1, 7],
  ["tag without a name", `if header : "a" "b" {}`, /tag name/, 1, 11],
  ["number too large", `if size :over 99999999999999999G { keep; }`, /number too large/, 1, 15],
  ["missing semicolon", `if true {\n  keep\n}`, /expected ';' or '\{'/, 3, 1],
  ["unbalanced braces", `if true { keep;`, /expected '\}'/, 1, 16],
  ["stray closing brace", `keep; }`, /unexpected '\}'/, 1, 7],
  ["empty string list", `if header [] "a" { keep; }`, /expected a string/, 1, 12],
  ["unterminated string list", `if header ["a" "b" { keep; }`, /expected ',' or '\]'/, 1, 16],
  ["empty test list", `if anyof () { keep; }`, /expected a test/, 1, 11],
  ["unterminated test list", `if anyof (true; false) { keep; }`, /expected ',' or '\)'/, 1, 15],
  ["unknown command", `frobnicate;`, /unknown command "frobnicate"/, 1, 1],
  ["unknown test", `if frob { keep; }`, /unknown test "frob"/, 1, 4],
  ["extension not required", `fileinto "x";`, /needs require "fileinto"/, 1, 1],
  ["unsupported extension", `require "notify";`, /unsupported extension "notify"/, 1, 1],
  ["require after a command", `keep;\nrequire "fileinto";`, /require must come before/, 2, 1],
  ["elsif without if", `elsif true { keep; }`, /elsif without a preceding if/, 1, 1],
  ["else without if", `keep; else { keep; }`, /else without a preceding if/, 1, 7],
  ["if without a block", `if true;`, /if needs a block/, 1, 1],
  ["command with a block it may not have", `keep { }`, /keep takes no block/, 1, 1],
  ["if without a test", `if { keep; }`, /needs one test/, 1, 1],
  ["missing positional argument", `redirect;`, /takes 1 positional argument/, 1, 1],
  ["too many positional arguments", `redirect "a@b.c" "d@e.f";`, /takes 1 positional argument/, 1, 1],
  ["wrong argument type", `redirect 5;`, /must be a string/, 1, 10],
  ["string list where one string is required", `redirect ["a@b.c", "d@e.f"];`, /single string/, 1, 10],
  ["unknown tag", `if header :frob "a" "b" { keep; }`, /unknown tag :frob/, 1, 11],
  ["tag given twice", `if header :is :is "a" "b" { keep; }`, /given twice/, 1, 15],
  ["conflicting tags", `if header :is :contains "a" "b" { keep; }`, /exclude each other/, 1, 15],
  ["tag after positional", `if header "a" :is "b" { keep; }`, /after positional/, 1, 15],
  ["tag missing its argument", `if header :comparator "a" { keep; }`, /takes 2 positional/, 1, 4],
  ["unknown comparator", `if header :comparator "i;frob" "a" "b" { keep; }`, /unknown comparator/, 1, 4],
  [
    "comparator not required",
    `if header :comparator "i;ascii-numeric" "a" "1" { keep; }`,
    /comparator-i;ascii-numeric/,
    1,
    4,
  ],
  [
    "bad relational operator",
    `require "relational"; if header :value "xx" "a" "b" { keep; }`,
    /relational operator/,
    1,
    26,
  ],
  ["bad date part", `require "date"; if currentdate "fortnight" "1" { keep; }`, /unknown date part/, 1, 20],
  ["size without :over/:under", `if size 10 { keep; }`, /:over or :under/, 1, 4],
  [":last without :index", `require "index"; if header :last "a" "b" { keep; }`, /:last needs :index/, 1, 21],
  ["bad variable name", `require "variables"; set "1abc" "x";`, /bad variable name/, 1, 22],
  [
    "bad regular expression",
    `require "regex"; if header :regex "a" "(" { keep; }`,
    /bad regular expression/,
    1,
    21,
  ],
  [
    "nested quantifiers",
    `require "regex"; if header :regex "a" "(a+)+$" { keep; }`,
    /nested quantifiers/,
    1,
    21,
  ],
  ["a backreference", `require "regex"; if header :regex "a" "(a)\\\\1" { keep; }`, /backreferences/, 1, 21],
  [
    "bad Unicode escape",
    `require "encoded-character"; keep; redirect "\${unicode:D800}@x";`,
    /invalid Unicode/,
    1,
    45,
  ],
  ["nesting too deep", "if true { ".repeat(40) + "}".repeat(40), /nested too deeply/, 1, 324],
];

for (const [what, script, re, line, column] of ERRORS) {
  Deno.test(`sieve syntax error: ${what} is reported with its line and column`, () => {
    try {
      compileSieve(script);
    } catch (e) {
      assert.ok(e instanceof SieveSyntaxError, `not a SieveSyntaxError: ${e}`);
      assert.match(e.message, re);
      assert.deepEqual(e.pos, { line, column }, e.message);
      return;
    }
    assert.fail("compiled without error");
  });
}

Deno.test("sieve parser: a script over the size limit is refused before parsing", () => {
  assert.throws(() => compileSieve("keep;".repeat(100), { limits: { maxSize: 100 } }), /script too large/);
});

Deno.test("sieve: every advertised extension can be required", () => {
  compileSieve(`require ${JSON.stringify(SIEVE_EXTENSIONS)};`);
});

const enc = new TextEncoder();
const MESSAGE = enc.encode("From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nbody\r\n");

/** Pieces of Sieve that make fuzzed inputs look like scripts more often than random text does. */
const PIECES = [
  "require",
  "if",
  "elsif",
  "else",
  "header",
  "address",
  "envelope",
  "fileinto",
  "redirect",
  "keep",
  "discard",
  "stop",
  "set",
  "string",
  "vacation",
  "anyof",
  "allof",
  "not",
  "true",
  "size",
  ":is",
  ":contains",
  ":matches",
  ":regex",
  ":value",
  ":count",
  ":over",
  ":comparator",
  ":index",
  ":last",
  '"fileinto"',
  '"variables"',
  '"regex"',
  '"relational"',
  '"Subject"',
  '"*a*"',
  '"${1}"',
  '"\\\\"',
  "text:\n.\n",
  "[",
  "]",
  "(",
  ")",
  "{",
  "}",
  ",",
  ";",
  " ",
  "\n",
  "/*",
  "*/",
  "#",
  "1K",
  "99999999999999999999",
];

Deno.test("sieve fuzz: no input makes compile or run throw anything but SieveSyntaxError", async () => {
  const script = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join(" ")),
    fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 60 }).map((a) =>
      a.join("")
    ),
  );
  await fc.assert(
    fc.asyncProperty(script, async (src) => {
      let compiled;
      try {
        compiled = compileSieve(src);
      } catch (e) {
        if (e instanceof SieveSyntaxError) return;
        throw e;
      }
      const r = await runSieve(compiled, {
        raw: MESSAGE,
        envelope: { from: "a@b.example", to: "c@d.example" },
        now: new Date(0),
      });
      assert.ok(Array.isArray(r.actions) && r.actions.length > 0 || r.error === null);
    }),
    { numRuns: 3000, seed: 20261206 },
  );
});
