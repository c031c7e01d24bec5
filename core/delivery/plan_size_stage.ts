/**
 * The plan's maximum message size and storage as a pre-commit stage of the delivery pipeline
 * (issue 16): the finished message against the plans of its authenticated sender and of its local
 * recipients' organizations (RFC 1870 §6 after the data: 552 5.3.4; an organization whose storage
 * the message would overflow: 552 5.2.2; nothing stored). The announced SIZE is checked earlier,
 * at MAIL (sender) and RCPT (recipients); this catches messages sent without it.
 *
 * @module
 */
import { type InboundStage, planRefusal, senderOf } from "./pipeline.ts";
import type { TenancyPolicy } from "../tenancy/policy.ts";

/** The stage, over the server's tenancy policy. */
export function planSizeStage(policy: TenancyPolicy): InboundStage {
  return {
    name: "plan-size",
    async check(tx, message) {
      const sender = senderOf(tx.origin);
      const local = tx.recipients.flatMap((r) => r.route === "local" ? r.accounts.map((a) => a.id) : []);
      const limit = await policy.checkDelivery(sender ? { address: sender } : null, local, message.size);
      return limit ? { accept: false, refusal: planRefusal(limit) } : { accept: true };
    },
  };
}
