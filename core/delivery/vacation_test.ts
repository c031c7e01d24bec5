import assert from "node:assert/strict";
import { composeVacationReply, inboundFacts, skipReason } from "./vacation.ts";
import type { VacationResponse } from "../store/records/vacations.ts";
import { parseMime } from "../mime/parse.ts";

const v: VacationResponse = {
  id: "singleton",
  isEnabled: true,
  fromDate: null,
  toDate: null,
  subject: null,
  textBody: "Away until Monday.",
  htmlBody: null,
};
const own = ["alice@example.org"];
const now = new Date(Date.UTC(2026, 10, 21));
const msg = (headers: string) =>
  new TextEncoder().encode(
    `${headers}To: alice@example.org\r\nSubject: Hi\r\nMessage-ID: <m1@x>\r\n\r\nbody\r\n`,
  );

Deno.test("skipReason replies to a personal message and never to lists, bulk, auto-submitted or bounces", () => {
  assert.equal(skipReason(v, inboundFacts(msg("From: bob@x\r\n")), "bob@x", own, now), null);
  assert.equal(
    skipReason(v, inboundFacts(msg("Auto-Submitted: auto-replied\r\n")), "bob@x", own, now),
    "auto-submitted",
  );
  assert.equal(skipReason(v, inboundFacts(msg("Auto-Submitted: no\r\n")), "bob@x", own, now), null);
  assert.equal(skipReason(v, inboundFacts(msg("List-Id: <l.x>\r\n")), "bob@x", own, now), "list or bulk");
  assert.equal(skipReason(v, inboundFacts(msg("Precedence: bulk\r\n")), "bob@x", own, now), "list or bulk");
  assert.equal(skipReason(v, inboundFacts(msg("")), null, own, now), "null sender");
  assert.equal(skipReason(v, inboundFacts(msg("")), "MAILER-DAEMON@x", own, now), "daemon sender");
  assert.equal(skipReason(v, inboundFacts(msg("")), "alice@example.org", own, now), "self");
  assert.equal(skipReason({ ...v, isEnabled: false }, inboundFacts(msg("")), "bob@x", own, now), "disabled");
  assert.equal(
    skipReason({ ...v, toDate: new Date(Date.UTC(2026, 0, 1)) }, inboundFacts(msg("")), "bob@x", own, now),
    "outside dates",
  );
  const bccOnly = new TextEncoder().encode("To: list@x\r\nSubject: s\r\n\r\nb\r\n");
  assert.equal(skipReason(v, inboundFacts(bccOnly), "bob@x", own, now), "not addressed");
});

Deno.test("composeVacationReply marks the reply auto-replied and threads it", () => {
  const raw = composeVacationReply(v, inboundFacts(msg("")), "alice@example.org", "bob@x", now, "mx.test");
  const root = parseMime(raw);
  const get = (k: string) => root.headers.find((h) => h.key === k)?.value.trim();
  assert.equal(get("auto-submitted"), "auto-replied (vacation)");
  assert.equal(get("in-reply-to"), "<m1@x>");
  assert.equal(get("subject"), "Auto: Hi");
  assert.equal(get("to"), "<bob@x>");
});
