import assert from "node:assert/strict";
import { formatReply } from "./reply.ts";
import { Replies } from "./codes.ts";

Deno.test("formatReply writes single-line replies with the enhanced code when in effect", () => {
  assert.equal(formatReply(Replies.ok(), true), "250 2.0.0 Ok\r\n");
  assert.equal(formatReply(Replies.ok(), false), "250 Ok\r\n");
});

Deno.test("formatReply writes multi-line replies with code- on all but the last line", () => {
  const r = { code: 250, lines: ["host Hello", "PIPELINING", "SIZE 10"] };
  assert.equal(formatReply(r, true), "250-host Hello\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  assert.equal(
    formatReply(Replies.help(), true),
    "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\r\n214 2.0.0 See RFC 5321\r\n",
  );
});

Deno.test("formatReply keeps the space of an empty 334 and neutralises CR/LF in text", () => {
  assert.equal(formatReply({ code: 334, lines: [""] }, true), "334 \r\n");
  assert.equal(formatReply({ code: 250, lines: ["a\r\n250 b"] }, false), "250 a  250 b\r\n");
});
