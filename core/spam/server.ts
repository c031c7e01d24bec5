/**
 * The spam filter as the server uses it: the pipeline stage (core/spam/stage.ts) and the trainer
 * (core/spam/trainer.ts), both from `[spam]`.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { InboundStage } from "../delivery/pipeline.ts";
import { checksOf, inboundDns, type MailAuthServer } from "../mailauth/server.ts";
import { CidrList } from "../policy/cidr.ts";
import { type SpamSettings, spamSettings } from "./settings.ts";
import { spamStage } from "./stage.ts";
import { type JunkTrainer, startJunkTraining } from "./trainer.ts";

/** What the spam filter needs of the server (a `ServerContext` fits). */
export type SpamServer = MailAuthServer & { readonly config: Partial<Pick<Config, "spam">> };

/** The server's `[spam]` settings. */
export function spamSettingsOf(server: SpamServer): SpamSettings {
  return spamSettings(server.config.spam);
}

/** The spam stage, when `[spam] enabled` (none otherwise). */
export function spamStages(server: SpamServer): InboundStage[] {
  const settings = spamSettingsOf(server);
  if (!settings.enabled) return [];
  return [spamStage({
    settings,
    store: server.store,
    log: server.log.with({ component: "spam" }),
    checks: checksOf(server),
    dns: inboundDns(server),
    ourNames: [server.config.hostname, ...(server.config.local_domains ?? [])],
    trusted: new CidrList(server.config.smtp?.relay_networks ?? []),
  })];
}

/** Starts the junk filter's training from user actions, when `[spam]` enables it. */
export function startSpamTraining(server: SpamServer): JunkTrainer | null {
  return startJunkTraining(server, spamSettingsOf(server));
}
