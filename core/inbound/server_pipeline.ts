/**
 * The server's inbound delivery pipeline (core/delivery/pipeline.ts) with its default stages and
 * hooks, built once per server so every protocol (SMTP, LMTP, JMAP EmailSubmission) shares one
 * recipient cache and one hook list. Later hooks (Sieve, webhooks) and stages (SPF, DKIM, DMARC)
 * are added here, not in the protocols.
 *
 * @module
 */
import { type DeliveryOutbox, DeliveryPipeline, type PostDeliveryHook } from "../delivery/pipeline.ts";
import { sendVacationReplies, type VacationServer } from "../delivery/vacation.ts";
import { sieveFilter } from "../delivery/sieve_stage.ts";
import { tenancyOf } from "../tenancy/policy.ts";
import { planSizeStage } from "../delivery/plan_size_stage.ts";
import { inboundHooks, inboundStages, type MailAuthServer } from "../mailauth/server.ts";
import type { ServerMetrics } from "../metrics/registry.ts";
import { type SpamServer, spamStages } from "../spam/server.ts";

/**
 * The RFC 3834 vacation auto-reply as a post-delivery hook: each recipient account with a
 * VacationResponse on answers the sender (core/delivery/vacation.ts decides when); the reply goes
 * back in through `pipeline`.
 */
export function vacationHook(server: VacationServer, pipeline: () => DeliveryPipeline): PostDeliveryHook {
  return {
    name: "vacation",
    async run(d) {
      await sendVacationReplies(server, {
        accountIds: d.accountIds,
        envelopeFrom: d.envelope.from,
        raw: d.raw,
      }, pipeline());
    },
  };
}

const pipelines = new WeakMap<VacationServer, DeliveryPipeline>();

/** The server's pipeline (a `ServerContext` fits): created on first use, then the same one. */
export function deliveryPipeline(
  server: VacationServer & MailAuthServer & SpamServer & {
    readonly metrics?: ServerMetrics;
    /** The webhook service (core/webhooks), by what the pipeline uses of it (no import: no module cycle). */
    readonly webhooks?: { readonly hook: PostDeliveryHook; readonly outbox: DeliveryOutbox };
    /** The notifier (core/notify), likewise. */
    readonly notify?: { readonly hook: PostDeliveryHook };
  },
): DeliveryPipeline {
  let p = pipelines.get(server);
  if (!p) {
    const created: DeliveryPipeline = new DeliveryPipeline({
      store: server.store,
      clock: server.clock,
      log: server.log,
      hostname: server.config.hostname,
      // RFC 5321 §4.5.1: the primary domain's postmaster (as `RCPT TO:<Postmaster>` without a domain).
      postmaster: `postmaster@${server.config.local_domains?.[0] ?? server.config.hostname}`,
      outbound: server.outbound,
      // Sieve: each local account's active script files its copy before storage (core/delivery/sieve_stage.ts).
      filter: sieveFilter(server, () => created),
      // SPF, DKIM, ARC, DMARC of mail from outside (core/mailauth).
      // Then the spam score and junk filter (core/spam), which use the authentication results.
      stages: [planSizeStage(tenancyOf(server)), ...inboundStages(server), ...spamStages(server)],
      // Plan limits and usage counting of organizations (core/tenancy).
      tenancy: tenancyOf(server),
      // The metrics hook first: it counts before the protocol's acknowledgement reaches the client.
      hooks: [
        ...(server.metrics ? [server.metrics.deliveryHook()] : []),
        vacationHook(server, () => created),
        // Received DMARC aggregate reports are kept (core/mailauth/dmarc_incoming.ts).
        ...inboundHooks(server),
        // Sends the webhook outbox rows just committed; then quota notifications.
        ...(server.webhooks ? [server.webhooks.hook] : []),
        ...(server.notify ? [server.notify.hook] : []),
      ],
      // Webhook outbox rows commit with the message (core/webhooks).
      outbox: server.webhooks?.outbox,
    });
    p = created;
    pipelines.set(server, p);
  }
  return p;
}
