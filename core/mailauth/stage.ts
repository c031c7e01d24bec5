/**
 * The message-authentication stage of the inbound pipeline (core/delivery/pipeline.ts): for mail
 * that arrived over SMTP without authentication (the MX path), it removes forged
 * Authentication-Results fields naming us (RFC 8601 §5), runs SPF, DKIM, ARC and DMARC
 * (verify.ts), adds one Authentication-Results field (and an ARC set when sealing), and applies
 * the DMARC policy: reject → 550 5.7.1 at the end of DATA (RFC 7489 §6.7, §10.3), quarantine → the
 * recipients' Junk mailbox, none → delivered. Authenticated submission, LMTP, JMAP and the queue's
 * own deliveries are not checked.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { SmtpChecksConfig } from "../config/types.ts";
import type { DeliveryTransaction, InboundStage, StageVerdict } from "../delivery/pipeline.ts";
import type { MessageSource } from "../delivery/spool.ts";
import type { Logger } from "../log/logger.ts";
import type { DkimKeyStore } from "../store/records/dkim_keys.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";
import { withoutForgedResults } from "./forged_results.ts";
import { type AuthOutcome, verifyMessage } from "./verify.ts";
import { noteAuthOutcome } from "../delivery/signals.ts";

/** What the stage needs from the server. */
export interface MailAuthServices {
  hostname: string;
  checks: SmtpChecksConfig;
  dns: CachingDns;
  log: Logger;
  clock: Clock;
  /** DKIM keys (the ARC sealing key is `checks.arc_seal_domain`'s). */
  dkimKeys: DkimKeyStore;
  /** RFC 7489 §6.6.4 pct= sampling: a number in [0, 1) (Math.random by default; tests inject one). */
  sample?: () => number;
  /** Clients trusted like authenticated ones (`smtp.relay_networks`): their mail is not checked. */
  trusted?: { contains(address: string): boolean };
  /** Told every DMARC evaluation (aggregate reports), after the verdict; never delays it. */
  onDmarc?: (
    outcome: AuthOutcome,
    ip: string,
    disposition: Disposition,
    nullSender: boolean,
  ) => Promise<void>;
}

/** The refusal of a message whose DMARC policy is reject (RFC 7489 §6.7; RFC 3463 X.7.1). */
export function dmarcRejection(domain: string) {
  return {
    reason: "rejected" as const,
    code: 550,
    enhanced: "5.7.1",
    text: `Message rejected by the DMARC policy of ${domain}`,
  };
}

/** The stage. */
export function mailAuthStage(svc: MailAuthServices): InboundStage {
  return {
    name: "mailauth",
    async check(tx: DeliveryTransaction, message: MessageSource): Promise<StageVerdict> {
      const o = tx.origin;
      if (o.kind !== "smtp" || o.lmtp || o.authenticatedAs !== null) return { accept: true };
      if (svc.trusted?.contains(o.clientIp)) return { accept: true };
      const c = svc.checks;
      const cleaned = withoutForgedResults(message, svc.hostname);
      if (!c.spf && !c.dkim && !c.dmarc && !c.arc) {
        return cleaned === message ? { accept: true } : { accept: true, message: cleaned };
      }
      const seal = c.arc && c.arc_seal_domain ? await sealKey(svc, c.arc_seal_domain) : undefined;
      const outcome = await verifyMessage(
        message,
        {
          ip: o.clientIp,
          helo: o.heloName,
          sender: tx.envelope.from,
        },
        svc.dns,
        {
          hostname: svc.hostname,
          spf: c.spf,
          dkim: c.dkim,
          dmarc: c.dmarc,
          arc: c.arc,
          maxLookups: c.dns_max_lookups,
          seal,
        },
      );
      // The spam score (core/spam) weighs these results.
      noteAuthOutcome(tx, outcome);
      const d = outcome.dmarc;
      svc.log.info("message authentication", {
        queue_id: tx.id,
        spf: outcome.spf,
        spf_domain: outcome.spfDomain,
        dkim: outcome.dkim.map((k) => `${k.domain}:${k.result}`).join(" ") || "none",
        arc: outcome.arc,
        dmarc: d?.result ?? "none",
        dmarc_domain: d?.domain ?? "",
        dmarc_policy: d?.policy ?? "none",
        dns_lookups: outcome.lookups,
      });
      const base: StageVerdict = { accept: true, fields: outcome.fields };
      if (cleaned !== message) base.message = cleaned;
      const disposition = decide(outcome, c, svc.sample);
      if (d && svc.onDmarc) {
        svc.onDmarc(outcome, o.clientIp, disposition, tx.envelope.from === null).catch((e) =>
          svc.log.warn("dmarc result not recorded", { error: e instanceof Error ? e.message : String(e) })
        );
      }
      if (outcome.overridden === "forwarded") {
        svc.log.info("dmarc failure overridden", {
          queue_id: tx.id,
          reason: "arc",
          arc_sealer: outcome.arcSealer?.domain ?? "",
        });
      }
      if (d && disposition === "reject") {
        svc.log.info("message refused", { queue_id: tx.id, reason: "dmarc", dmarc_domain: d.domain });
        return { accept: false, refusal: dmarcRejection(d.domain) };
      }
      if (d && disposition === "quarantine") {
        svc.log.info("message quarantined", { queue_id: tx.id, reason: "dmarc", dmarc_domain: d.domain });
        return { ...base, junk: true };
      }
      return base;
    },
  };
}

/** What is done with a message (RFC 7489 §7.2 DispositionType). */
export type Disposition = "none" | "quarantine" | "reject";

/**
 * The disposition of a message: the DMARC policy when DMARC failed and we enforce, unless a
 * trusted forwarder's ARC chain (RFC 8617 §7.2) recorded dmarc=pass before it forwarded (then
 * `outcome.overridden` is set), or we only monitor ("local_policy").
 */
export function decide(
  outcome: AuthOutcome,
  c: SmtpChecksConfig,
  sample: () => number = Math.random,
): Disposition {
  const d = outcome.dmarc;
  if (!d || d.result !== "fail" || d.policy === "none") return "none";
  const sealer = outcome.arcSealer;
  if (sealer?.dmarcPass && c.arc_trusted_sealers.map((s) => s.toLowerCase()).includes(sealer.domain)) {
    outcome.overridden = "forwarded";
    return "none";
  }
  if (c.dmarc_policy !== "enforce") {
    outcome.overridden = "local_policy";
    return "none";
  }
  // RFC 7489 §6.6.4: a message outside the pct= sample gets the next policy down
  // (reject → quarantine, quarantine → none), reported with override type "sampled_out".
  if (d.record.pct < 100 && sample() * 100 >= d.record.pct) {
    outcome.overridden = "sampled_out";
    return d.policy === "reject" ? "quarantine" : "none";
  }
  return d.policy;
}

async function sealKey(svc: MailAuthServices, domain: string) {
  const key = await svc.dkimKeys.get(domain);
  if (!key) {
    svc.log.warn("no DKIM key for ARC sealing", { domain });
    return undefined;
  }
  return {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKeyPem,
    algorithm: key.algorithm,
  };
}
