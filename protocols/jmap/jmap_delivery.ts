/**
 * The delivery transaction of a message a JMAP client sends (EmailSubmission/set, MDN/send): the
 * same pipeline as SMTP, with the JMAP session as its origin.
 *
 * @module
 */
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import type { DeliveryTransaction, TransactionPolicy } from "../../core/delivery/pipeline.ts";
import type { MethodContext } from "./method_context.ts";

/**
 * Opens a transaction for `size` bytes from `from` (null: the null reverse-path). `addresses` are
 * every envelope address, for the SMTPUTF8 decision.
 */
export function beginJmapDelivery(
  ctx: MethodContext,
  from: string | null,
  addresses: string[],
  size: number,
  policy: TransactionPolicy,
): DeliveryTransaction {
  return deliveryPipeline(ctx.services.server).begin({
    from,
    // RFC 6531: non-ASCII addresses need SMTPUTF8 on the way out.
    smtputf8: addresses.some((a) => [...a].some((ch) => ch.charCodeAt(0) > 0x7f)),
    body: "8BITMIME",
    size,
  }, {
    kind: "jmap",
    clientIp: ctx.remoteAddress || "127.0.0.1",
    tls: null,
    authenticatedAs: ctx.account.address,
    sessionId: ctx.sessionId,
  }, policy);
}
