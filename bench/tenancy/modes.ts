/**
 * The three servers the tenancy benches compare (issue 16), applied to a created server before it
 * starts: `on` is the default (usage counted, no plan), `off` takes plan checks and usage counting
 * out of the delivery pipeline, `plan` puts example.org's organization on a plan whose every limit
 * is checked but never reached. Used by bench/smtp (`--tenancy`) and bench/tenancy/statements.ts.
 *
 * @module
 */
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import type { InboundStage } from "../../core/delivery/pipeline.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";
import type { TernServer } from "../../protocols/server.ts";

/** The tenancy modes, in the order the benches run them. */
export const TENANCY_MODES = ["off", "on", "plan"] as const;

/** Sets `srv` up for one tenancy mode (`on` changes nothing). */
export async function applyTenancyMode(srv: TernServer, mode: string): Promise<void> {
  if (mode === "off") {
    const p = deliveryPipeline(srv.context);
    p.services.tenancy = undefined;
    const writable = p as unknown as { stages: readonly InboundStage[] };
    writable.stages = p.stages.filter((s) => s.name !== "plan-size");
  } else if (mode === "plan") {
    const big = 1e12;
    await addPlan(srv.context.store, {
      id: "bench",
      limits: { receivedPerDay: big, receivedPerMonth: big, storageBytes: big, maxMessageSize: big },
    });
    await addOrganization(srv.context.store, { id: "bench", plan: "bench", domains: ["example.org"] });
  }
}
