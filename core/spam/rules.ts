/**
 * The rules of the spam score, pure: each fires on a fact about the message (the authentication
 * results of core/mailauth, the connection checks of core/policy, simple content rules) and adds
 * its configured points. The junk filter's contribution is added by the stage (core/spam/stage.ts).
 *
 * @module
 */
import type { AuthOutcome } from "../mailauth/verify.ts";
import type { MimePart } from "../mime/types.ts";
import { getHeader } from "../mime/header.ts";
import { decodeHeaderText } from "../mime/encoded_words.ts";
import type { Weights } from "./settings.ts";

/** A rule that fired, with its points. */
export interface RuleHit {
  /** SpamAssassin-style name, e.g. `SPF_FAIL`. */
  name: string;
  points: number;
}

/** Facts about the client, when the connection checks ran (null: not checked). */
export interface ConnectionFacts {
  rdns: "pass" | "fail" | "temperror" | null;
  helo: "ok" | "suspicious" | "bad" | null;
}

/** The rules that fire for a message. */
export function ruleHits(
  w: Weights,
  root: MimePart,
  auth: AuthOutcome | undefined,
  conn: ConnectionFacts,
): RuleHit[] {
  const hits: RuleHit[] = [];
  const hit = (name: string, points: number) => {
    if (points !== 0) hits.push({ name, points });
  };
  if (auth) {
    if (auth.spf === "fail") hit("SPF_FAIL", w.spf_fail);
    if (auth.spf === "softfail") hit("SPF_SOFTFAIL", w.spf_softfail);
    // A failing signature counts only when no other signature passed (RFC 6376 §6.1: each on its own).
    if (auth.dkim.some((k) => k.result === "fail") && !auth.dkim.some((k) => k.result === "pass")) {
      hit("DKIM_FAIL", w.dkim_fail);
    }
    if (auth.dmarc?.result === "fail") hit("DMARC_FAIL", w.dmarc_fail);
    if (auth.dmarc?.result === "pass") hit("DMARC_PASS", w.dmarc_pass);
  }
  if (conn.rdns === "fail") hit("RDNS_FAIL", w.rdns_fail);
  if (conn.helo === "bad") hit("HELO_BAD", w.helo_bad);
  // RFC 5322 §3.6: Date is required, Message-ID should be there.
  if (getHeader(root, "message-id") === null) hit("NO_MESSAGE_ID", w.no_message_id);
  if (getHeader(root, "date") === null) hit("NO_DATE", w.no_date);
  const subject = getHeader(root, "subject");
  if (subject !== null && shouting(decodeHeaderText(subject))) hit("SUBJECT_CAPS", w.subject_caps);
  if (htmlOnly(root)) hit("HTML_ONLY", w.html_only);
  return hits;
}

/** At least 10 letters, more than 70% of them capitals. */
export function shouting(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length < 10) return false;
  const caps = letters.filter((c) => c !== c.toLowerCase()).length;
  return caps / letters.length > 0.7;
}

/** The message's text is only HTML: a text/html body, or a multipart with HTML and no text/plain. */
function htmlOnly(root: MimePart): boolean {
  let html = false;
  let plain = false;
  const walk = (p: MimePart, depth: number) => {
    if (depth > 8) return;
    const t = `${p.type}/${p.subtype}`;
    if (t === "text/html") html = true;
    if (t === "text/plain") plain = true;
    for (const c of p.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return html && !plain;
}
