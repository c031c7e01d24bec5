/**
 * The base subject of RFC 5256 §2.1, used by SORT SUBJECT and THREAD=ORDEREDSUBJECT. Pure.
 *
 * The store keeps a looser lowercased key for JMAP threading (core/store/sqlite/message_index.ts);
 * IMAP sorting follows the RFC's grammar exactly so answers match other servers.
 *
 * @module
 */

/** RFC 5256 §5: subj-blob = "[" *BLOBCHAR "]" *WSP (BLOBCHAR: any character but "[" and "]"). */
const BLOB = /^\[[^[\]]*\] */;
/** RFC 5256 §5: subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". */
const LEADER = /^(?:(?:\[[^[\]]*\] *)*(?:re|fwd?) *(?:\[[^[\]]*\] *)?:| )/i;
/** RFC 5256 §5: subj-trailer = "(fwd)" / WSP. */
const TRAILER = /(?:\(fwd\)| )$/i;

/**
 * The base subject of a decoded Subject: field value (RFC 5256 §2.1 steps 1–6). Case is kept; the
 * caller applies the collation. An absent subject is the empty string.
 *
 * @example
 * ```ts
 * import { baseSubject } from "./base_subject.ts";
 * console.assert(baseSubject("Re: [list] Fwd: Hello (fwd)") === "Hello");
 * ```
 */
export function baseSubject(subject: string): string {
  return extractBaseSubject(subject).base;
}

/**
 * The base subject and whether the subject is a reply or forward (RFC 5256 §2.1 note: a leader
 * "Re:"/"Fwd:", a "(fwd)" trailer or a "[fwd: …]" wrapper was removed), which THREAD=REFERENCES
 * uses when merging threads by subject (§3 step 6).
 */
export function extractBaseSubject(subject: string): { base: string; isReply: boolean } {
  let isReply = false;
  // Step 1: tabs and continuations become a space, runs of spaces one space (the value is
  // already unfolded and its encoded words decoded).
  let s = subject.replace(/[\t\r\n ]+/g, " ");
  for (;;) {
    // Step 2: remove trailing "(fwd)" and whitespace, repeatedly.
    for (let m = TRAILER.exec(s); m; m = TRAILER.exec(s)) {
      if (m[0] !== " ") isReply = true;
      s = s.slice(0, s.length - m[0].length);
    }
    // Steps 3–5: remove leaders, then a leading blob if something remains, until neither applies.
    for (;;) {
      let changed = false;
      for (let m = LEADER.exec(s); m; m = LEADER.exec(s)) {
        if (m[0] !== " ") isReply = true;
        s = s.slice(m[0].length);
        changed = true;
      }
      const blob = BLOB.exec(s);
      if (blob && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
      if (!changed) break;
    }
    // Step 6: "[fwd:" … "]" wraps the subject: unwrap and start again at step 2.
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === "[fwd:" && s.endsWith("]")) {
      s = s.slice(5, -1);
      isReply = true;
      continue;
    }
    return { base: s, isReply };
  }
}
