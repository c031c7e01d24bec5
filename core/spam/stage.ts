/**
 * The spam stage of the inbound pipeline (core/delivery/pipeline.ts), after message
 * authentication: for mail that came over SMTP from outside (the MX path: not authenticated, not
 * LMTP, not a relay network) it adds up the rules' points (core/spam/rules.ts) — or rspamd's score
 * when `[spam] rspamd_url` is set — and each recipient account's junk filter (core/spam/bayes.ts
 * over `Store.junkTokens`), adds `X-Spam-Score` and `X-Spam-Status` above the message, files it
 * to Junk at or above the threshold, and leaves each account's verdict for Sieve's spamtest
 * (core/delivery/signals.ts). Only the first `MAX_SCAN` bytes are read.
 *
 * Each recipient account's copy is filed by its own verdict (its own junk filter); the accounts
 * share one header, which shows the highest score (Sieve's spamtest sees each account's own).
 *
 * @module
 */
import type { SmtpChecksConfig } from "../config/types.ts";
import type { DeliveryTransaction, InboundStage, StageVerdict } from "../delivery/pipeline.ts";
import type { MessageSource } from "../delivery/spool.ts";
import type { Logger } from "../log/logger.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";
import { parseMime } from "../mime/parse.ts";
import { foldHeader } from "../mime/header_format.ts";
import { checkHelo } from "../policy/helo_check.ts";
import { reverseDns } from "../policy/rdns.ts";
import type { Store } from "../store/store.ts";
import type { AccountId } from "../store/types.ts";
import { classify } from "./bayes.ts";
import { type ConnectionFacts, type RuleHit, ruleHits } from "./rules.ts";
import { rspamdCheck } from "./rspamd.ts";
import type { SpamSettings } from "./settings.ts";
import { authOutcomeOf, noteSpamVerdicts, type SpamVerdict } from "../delivery/signals.ts";
import type { AuthOutcome } from "../mailauth/verify.ts";
import { tokenize } from "./tokenize.ts";
import { withoutSpamFields } from "./strip.ts";

/** Bytes of a message scanned at most (tokens, rules, rspamd). */
export const MAX_SCAN = 1024 * 1024;

/** What the stage needs. */
export interface SpamServices {
  settings: SpamSettings;
  store: Store;
  log: Logger;
  /** `[smtp.checks]`: rDNS and HELO facts are scored only when those checks are on (their lookups are cached). */
  checks: SmtpChecksConfig;
  dns: CachingDns;
  /** Our host name and local domains (a HELO naming them is forged). */
  ourNames: string[];
  /** Clients trusted like authenticated ones (`smtp.relay_networks`): their mail is not scored. */
  trusted?: { contains(address: string): boolean };
}

/** The stage. */
export function spamStage(svc: SpamServices): InboundStage {
  return {
    name: "spam",
    async check(tx: DeliveryTransaction, message: MessageSource): Promise<StageVerdict> {
      const o = tx.origin;
      if (o.kind !== "smtp" || o.lmtp || o.authenticatedAs !== null) return { accept: true };
      if (svc.trusted?.contains(o.clientIp)) return { accept: true };
      // A verdict is ours to write: incoming X-Spam-* fields go.
      const cleaned = withoutSpamFields(message);
      const raw = await scanBytes(cleaned);
      const accounts = [
        ...new Set(tx.recipients.flatMap((r) => r.route === "local" ? r.accounts.map((a) => a.id) : [])),
      ];
      const base = await baseScore(svc, tx, raw, o.clientIp, o.heloName);
      const tokens = svc.store.junkTokens && accounts.length > 0 ? tokenize(raw) : [];
      const byAccount = new Map<AccountId, SpamVerdict>();
      const threshold = svc.settings.threshold;
      for (const accountId of accounts) {
        const bayes = await bayesHit(svc, accountId, tokens);
        const tests = bayes ? [...base.hits, bayes] : base.hits;
        const score = round1(base.score + (bayes?.points ?? 0));
        byAccount.set(accountId, {
          score,
          threshold,
          spam: score >= threshold,
          tests: tests.map((t) => t.name),
        });
      }
      noteSpamVerdicts(tx, byAccount);
      const shown = [...byAccount.values()].reduce<SpamVerdict | null>(
        (a, v) => (a === null || v.score > a.score ? v : a),
        null,
      ) ?? {
        score: round1(base.score),
        threshold,
        spam: base.score >= threshold,
        tests: base.hits.map((h) => h.name),
      };
      svc.log.info("spam score", {
        queue_id: tx.id,
        score: shown.score,
        threshold,
        spam: shown.spam,
        tests: shown.tests.join(","),
        source: base.source,
      });
      const junkAccounts = new Set([...byAccount].filter(([, v]) => v.spam).map(([a]) => a));
      return {
        accept: true,
        fields: spamFields(shown),
        ...(cleaned !== message ? { message: cleaned } : {}),
        ...(junkAccounts.size > 0 ? { junkAccounts } : {}),
      };
    },
  };
}

/** The `X-Spam-Score` and `X-Spam-Status` fields of a verdict (CRLF-terminated, folded). */
export function spamFields(v: SpamVerdict): string {
  const status = `${v.spam ? "Yes" : "No"}, score=${v.score.toFixed(1)} required=${
    v.threshold.toFixed(1)
  } tests=${v.tests.length > 0 ? v.tests.join(", ") : "none"}`;
  return `X-Spam-Score: ${v.score.toFixed(1)}\r\n${
    foldHeader("X-Spam-Status", status).replaceAll(/\r?\n/g, "\r\n")
  }\r\n`;
}

/**
 * Whether the topmost `X-Spam-Status` of a header section says Yes (the verdict we added at
 * delivery; fields further down came from elsewhere).
 */
export function filedAsSpam(raw: Uint8Array): boolean {
  const end = Math.min(raw.length, 64 * 1024);
  const head = new TextDecoder("latin1").decode(raw.subarray(0, end));
  const stop = head.search(/\r?\n\r?\n/);
  const header = stop < 0 ? head : head.slice(0, stop);
  const m = /^X-Spam-Status:[ \t]*(\w+)/im.exec(header);
  return m !== null && m[1]!.toLowerCase() === "yes";
}

async function baseScore(
  svc: SpamServices,
  tx: DeliveryTransaction,
  raw: Uint8Array,
  ip: string,
  helo: string,
): Promise<{ score: number; hits: RuleHit[]; source: "rules" | "rspamd" }> {
  const url = svc.settings.rspamdUrl;
  if (url) {
    try {
      const r = await rspamdCheck(url, raw, {
        ip,
        helo,
        from: tx.envelope.from,
        rcpt: tx.recipients.map((r) => r.address),
        queueId: tx.id,
      }, svc.settings.rspamdTimeout);
      // rspamd's score is on its own scale: rescaled so its reject score meets our threshold.
      const scale = r.requiredScore > 0 ? svc.settings.threshold / r.requiredScore : 1;
      const hits = [{ name: `RSPAMD(${r.action.replaceAll(" ", "_")})`, points: r.score * scale }];
      return { score: r.score * scale, hits, source: "rspamd" };
    } catch (e) {
      svc.log.warn("rspamd check failed; scoring by rules", {
        queue_id: tx.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  const conn: ConnectionFacts = { rdns: null, helo: null };
  if (svc.checks.rdns !== "off") conn.rdns = (await reverseDns(svc.dns, ip)).result;
  if (svc.checks.helo !== "off") conn.helo = checkHelo(helo, ip, svc.ourNames).status;
  const hits = ruleHits(svc.settings.weights, parseMime(raw), authOutcomeOf<AuthOutcome>(tx), conn);
  return { score: hits.reduce((n, h) => n + h.points, 0), hits, source: "rules" };
}

/** The junk filter's points for one account (−bayes..+bayes), or null with no evidence. */
async function bayesHit(svc: SpamServices, accountId: AccountId, tokens: string[]): Promise<RuleHit | null> {
  const jt = svc.store.junkTokens;
  const weight = svc.settings.weights.bayes;
  if (!jt || tokens.length === 0 || weight === 0) return null;
  const totals = await jt.totals(accountId);
  if (totals.spam + totals.ham === 0) return null;
  const r = classify(tokens, await jt.counts(accountId, tokens), totals);
  if (r.clues === 0) return null;
  // SpamAssassin-like names: BAYES_00 (sure ham) .. BAYES_99 (sure spam).
  const bucket = Math.min(99, Math.floor(r.probability * 100));
  return { name: `BAYES_${String(bucket).padStart(2, "0")}`, points: weight * (2 * r.probability - 1) };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The first `MAX_SCAN` bytes of a message. */
async function scanBytes(message: MessageSource): Promise<Uint8Array> {
  const b = message.bytes();
  if (b) return b.length > MAX_SCAN ? b.subarray(0, MAX_SCAN) : b;
  const out = new Uint8Array(Math.min(message.size, MAX_SCAN));
  let off = 0;
  const reader = (await message.stream()).getReader();
  try {
    while (off < out.length) {
      const { done, value } = await reader.read();
      if (done) break;
      const n = Math.min(value.length, out.length - off);
      out.set(value.subarray(0, n), off);
      off += n;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return out.subarray(0, off);
}
