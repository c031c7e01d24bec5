import assert from "node:assert/strict";
import { parseMime } from "../mime/parse.ts";
import { ruleHits, shouting } from "./rules.ts";
import { DEFAULT_WEIGHTS } from "./settings.ts";
import { parseVerdict } from "./rspamd.ts";
import { spamtestValues } from "../delivery/signals.ts";
import { filedAsSpam, spamFields } from "./stage.ts";
import { wantedMark } from "./trainer.ts";
import { stripSpamFields } from "./strip.ts";
import type { AuthOutcome } from "../mailauth/verify.ts";

const enc = new TextEncoder();
const GOOD =
  "From: a@example.net\r\nDate: Sun, 6 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.net>\r\n" +
  "Subject: hello\r\n\r\nhi\r\n";

Deno.test("ruleHits: content rules fire on a missing Message-ID and Date, a shouted subject and HTML only", () => {
  const none = { rdns: null, helo: null };
  assert.deepEqual(ruleHits(DEFAULT_WEIGHTS, parseMime(enc.encode(GOOD)), undefined, none), []);
  const bad = enc.encode("Subject: FREE MONEY FOR YOU NOW\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n");
  assert.deepEqual(ruleHits(DEFAULT_WEIGHTS, parseMime(bad), undefined, none).map((h) => h.name), [
    "NO_MESSAGE_ID",
    "NO_DATE",
    "SUBJECT_CAPS",
    "HTML_ONLY",
  ]);
});

Deno.test("ruleHits: authentication and connection results add their weights; a zero weight is off", () => {
  const auth = {
    spf: "fail",
    dkim: [{ domain: "x", selector: "s", result: "fail" }],
    dmarc: { result: "fail" },
  } as unknown as AuthOutcome;
  const root = parseMime(enc.encode(GOOD));
  const hits = ruleHits(DEFAULT_WEIGHTS, root, auth, { rdns: "fail", helo: "bad" });
  assert.deepEqual(hits, [
    { name: "SPF_FAIL", points: 3 },
    { name: "DKIM_FAIL", points: 1 },
    { name: "DMARC_FAIL", points: 3 },
    { name: "RDNS_FAIL", points: 1 },
    { name: "HELO_BAD", points: 1 },
  ]);
  assert.deepEqual(
    ruleHits({ ...DEFAULT_WEIGHTS, spf_fail: 0 }, root, auth, { rdns: null, helo: null }).map((h) => h.name),
    [
      "DKIM_FAIL",
      "DMARC_FAIL",
    ],
  );
  // Another signature that passed: no DKIM_FAIL.
  const two = {
    ...auth,
    dkim: [...auth.dkim, { domain: "y", selector: "s", result: "pass" }],
  } as AuthOutcome;
  assert.ok(
    !ruleHits(DEFAULT_WEIGHTS, root, two, { rdns: null, helo: null }).some((h) => h.name === "DKIM_FAIL"),
  );
  assert.equal(shouting("OK"), false);
});

Deno.test("spamFields: X-Spam-Score and a folded X-Spam-Status, CRLF-terminated; filedAsSpam reads the topmost", () => {
  const tests = Array.from({ length: 12 }, (_, i) => `RULE_NUMBER_${i}`);
  const f = spamFields({ score: 7.25, threshold: 5, spam: true, tests });
  assert.match(f, /^X-Spam-Score: 7\.3\r\nX-Spam-Status: Yes, score=7\.3 required=5\.0 tests=RULE_NUMBER_0,/);
  assert.ok(f.endsWith("\r\n"));
  for (const line of f.split("\r\n")) assert.ok(line.length <= 78, line);
  assert.ok(/\r\n[ \t]/.test(f), "folded");
  assert.equal(filedAsSpam(enc.encode(f + "X-Spam-Status: No\r\n\r\nbody")), true);
  assert.equal(filedAsSpam(enc.encode("X-Spam-Status: No, score=1\r\nX-Spam-Status: Yes\r\n\r\n")), false);
  assert.equal(filedAsSpam(enc.encode("Subject: x\r\n\r\nX-Spam-Status: Yes\r\n")), false);
  assert.match(
    spamFields({ score: -2, threshold: 5, spam: false, tests: [] }),
    /No, score=-2\.0 required=5\.0 tests=none\r\n$/,
  );
});

Deno.test("wantedMark: $NotJunk is ham, Junk or $Junk spam (our own filing only marked), leaving Junk is ham", () => {
  const no = () => false;
  const yes = () => true;
  assert.equal(wantedMark(["$notjunk"], true, "spam", no), "ham");
  assert.equal(wantedMark([], true, undefined, no), "spam");
  assert.equal(wantedMark(["$junk"], false, undefined, yes), "spam");
  assert.equal(wantedMark([], true, undefined, yes), "filed");
  assert.equal(wantedMark([], true, "filed", no), "filed");
  assert.equal(wantedMark([], false, "filed", no), "ham");
  assert.equal(wantedMark([], false, "spam", no), "ham");
  assert.equal(wantedMark([], false, "ham", no), "ham");
  assert.equal(wantedMark(["$seen"], false, undefined, no), undefined);
});

Deno.test("spamtestValues: RFC 3685 1..10 and RFC 5235 percent, the threshold at the middle", () => {
  assert.deepEqual(spamtestValues({ score: -3, threshold: 5, spam: false, tests: [] }), {
    score: 1,
    percent: 0,
  });
  assert.deepEqual(spamtestValues({ score: 5, threshold: 5, spam: true, tests: [] }), {
    score: 6,
    percent: 50,
  });
  assert.deepEqual(spamtestValues({ score: 20, threshold: 5, spam: true, tests: [] }), {
    score: 10,
    percent: 100,
  });
});

Deno.test("parseVerdict: rspamd's checkv2 JSON; an answer without a score is an error", () => {
  assert.deepEqual(
    parseVerdict({
      score: 6.5,
      required_score: 15,
      action: "add header",
      symbols: { BAYES_SPAM: {}, R_SPF_FAIL: {} },
    }),
    { score: 6.5, requiredScore: 15, action: "add header", symbols: ["BAYES_SPAM", "R_SPF_FAIL"] },
  );
  assert.throws(() => parseVerdict({ action: "reject" }), /no score/);
  assert.throws(() => parseVerdict(null));
});

Deno.test("stripSpamFields: incoming X-Spam-* fields (folded ones whole) go, every other field stays byte for byte", () => {
  const header = "Received: from a\r\n by b\r\nX-Spam-Status: No, score=-100\r\n\ttests=FORGED\r\n" +
    "Subject: x\r\nx-spam-flag: NO\r\nX-Spammy: kept\r\n\r\n";
  assert.equal(
    new TextDecoder().decode(stripSpamFields(enc.encode(header))!),
    "Received: from a\r\n by b\r\nSubject: x\r\nX-Spammy: kept\r\n\r\n",
  );
  assert.equal(stripSpamFields(enc.encode("Subject: x\r\n\r\n")), null);
});
