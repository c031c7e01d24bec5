import assert from "node:assert/strict";
import { parseMime } from "../../../core/mime/parse.ts";
import { formatBodyStructure } from "./bodystructure.ts";

const enc = new TextEncoder();

Deno.test("formatBodyStructure describes a message/rfc822 part with its envelope and body", () => {
  const raw = enc.encode([
    "Subject: fwd",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "see attached",
    "--b",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner",
    "From: x@example.org",
    "",
    "inner body",
    "--b--",
    "",
  ].join("\r\n"));
  const s = formatBodyStructure(raw, parseMime(raw), true, false);
  assert.match(s, /^\(\("text" "plain" \("charset" "us-ascii"\) NIL NIL "7BIT" 12 \d+ NIL NIL NIL NIL\)/);
  assert.match(
    s,
    /\("message" "rfc822" NIL NIL NIL "7BIT" \d+ \(NIL "inner" \(\(NIL NIL "x" "example.org"\)\) .*\) \("text" "plain" \("charset" "us-ascii"\) NIL NIL "7BIT" 10 \d+ NIL NIL NIL NIL\) \d+ NIL NIL NIL NIL\)/,
  );
  assert.match(s, / "mixed" \("boundary" "b"\) NIL NIL NIL\)$/);
  // BODY (non-extensible) leaves the extension data out.
  assert.match(formatBodyStructure(raw, parseMime(raw), false, false), / "mixed"\)$/);
});
