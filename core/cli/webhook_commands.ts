/**
 * `tern webhook add|list|test|delete|log|replay`: webhooks of addresses, domains, organizations
 * and the installation (admin notifications), managed in the data directory's database while the
 * server runs (its worker picks up changes and replays within `[webhooks] poll_interval`).
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTable } from "./table.ts";
import {
  addWebhook,
  deleteWebhook,
  formatScope,
  listWebhooks,
  WebhookError,
  webhookView,
} from "../webhooks/operations.ts";
import { sendTest } from "../webhooks/service.ts";
import { outboundHttpClient } from "../net/outbound_http_config.ts";
import { webhookSettings } from "../webhooks/settings.ts";
import { WEBHOOK_EVENTS } from "../store/records/webhooks.ts";

/** The `webhook` group for `tern --help`. */
export const WEBHOOK_GROUP: GroupSpec = {
  name: "webhook",
  summary: "push received mail and events to HTTP endpoints (webhooks)",
};

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const JSON_OPT = { type: "boolean" as const, help: "print JSON instead of a table" };

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WebhookError) {
      throw new CliError(e.message, e.invalid ? ExitCode.usage : ExitCode.failure);
    }
    throw e;
  }
}

/** `tern webhook …`. */
export const WEBHOOK_COMMANDS: CommandSpec[] = [
  {
    path: ["webhook", "add"],
    summary: "add a webhook for an address, domain, organization or the installation",
    args: "SCOPE URL",
    minArgs: 2,
    maxArgs: 2,
    options: {
      events: {
        type: "string",
        arg: "LIST",
        help: `comma-separated events (default message.received): ${WEBHOOK_EVENTS.join(", ")}`,
      },
      secret: { type: "string", arg: "SECRET", help: "signing secret (whsec_…; default: a new random one)" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    description: "SCOPE is address:USER@DOMAIN, domain:DOMAIN, org:ID or system (admin notifications). " +
      "Requests are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature); " +
      "the secret is printed once.",
    examples: [
      "tern webhook add address:ada@example.org https://hooks.example.com/mail",
      "tern webhook add domain:example.org https://hooks.example.com/in --events message.received,message.bounced",
      "tern webhook add system https://ops.example.com/tern --events notification",
    ],
    async run(ctx: CommandContext) {
      const [scope, url] = ctx.positionals as [string, string];
      const events = typeof ctx.values.events === "string"
        ? ctx.values.events.split(",").map((e) => e.trim()).filter((e) => e !== "")
        : undefined;
      const secret = typeof ctx.values.secret === "string" ? ctx.values.secret : undefined;
      const hook = await guarded(() =>
        ctx.withDirectory(({ store }) => addWebhook(store, { scope, url, events, secret }, new Date()))
      );
      if (ctx.values.json) {
        ctx.io.out(JSON.stringify({ ...webhookView(hook), secret: hook.secret }, null, 2) + "\n");
      } else {
        ctx.io.out(`Added webhook ${hook.id} for ${formatScope(hook)} (${hook.events.join(", ")})\n`);
        ctx.io.out(`Secret (shown once): ${hook.secret}\n`);
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["webhook", "list"],
    summary: "list webhooks",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {
      scope: { type: "string", arg: "SCOPE", help: "only webhooks of this scope" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    examples: ["tern webhook list", "tern webhook list --scope domain:example.org --json"],
    async run(ctx: CommandContext) {
      const scope = typeof ctx.values.scope === "string" ? ctx.values.scope : undefined;
      const hooks = await guarded(() => ctx.withDirectory(({ store }) => listWebhooks(store, scope)));
      const views = hooks.map(webhookView);
      if (ctx.values.json) ctx.io.out(JSON.stringify(views, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["ID", "SCOPE", "URL", "EVENTS", "STATE"],
          views.map((w) => [
            w.id,
            w.scope,
            w.url,
            w.events.join(","),
            !w.enabled ? "disabled" : w.pausedUntil ? `paused until ${w.pausedUntil}` : "active",
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["webhook", "test"],
    summary: "send a signed webhook.test event to a webhook now and show the answer",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    description: "Goes through the same SSRF guard as deliveries ([outbound_http] allow_private).",
    examples: ["tern webhook test wh_0123456789abcdef0123"],
    async run(ctx: CommandContext) {
      const id = ctx.positionals[0]!;
      const config = await ctx.config();
      const hook = await ctx.withDirectory(({ store }) => store.webhooks.get(id));
      if (!hook) throw new CliError(`No webhook "${id}"`);
      const client = outboundHttpClient(config);
      const result = await sendTest((req) => client.request(req), hook, new Date());
      if (!result.ok) {
        throw new CliError(
          `Test of ${id} failed after ${result.latencyMs} ms: ${result.error ?? "no answer"}`,
        );
      }
      ctx.io.out(`Test of ${id}: HTTP ${result.statusCode} in ${result.latencyMs} ms\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["webhook", "delete"],
    summary: "delete a webhook with its pending deliveries and log",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern webhook delete wh_0123456789abcdef0123"],
    async run(ctx: CommandContext) {
      const id = ctx.positionals[0]!;
      await guarded(() => ctx.withDirectory(({ store }) => deleteWebhook(store, id)));
      ctx.io.out(`Deleted webhook ${id}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["webhook", "log"],
    summary: "show a webhook's recent deliveries (status, HTTP code, latency, attempts)",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: {
      status: { type: "string", arg: "STATUS", help: "only pending, delivered or failed deliveries" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    examples: ["tern webhook log wh_0123456789abcdef0123 --status failed"],
    async run(ctx: CommandContext) {
      const id = ctx.positionals[0]!;
      const status = ctx.values.status;
      if (status !== undefined && status !== "pending" && status !== "delivered" && status !== "failed") {
        throw new CliError("--status must be pending, delivered or failed", ExitCode.usage);
      }
      const rows = await ctx.withDirectory(async ({ store }) => {
        if (!(await store.webhooks.get(id))) throw new CliError(`No webhook "${id}"`);
        return await store.webhooks.deliveries(id, { status, limit: 100 });
      });
      if (ctx.values.json) ctx.io.out(JSON.stringify(rows, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["DELIVERY", "EVENT", "STATUS", "ATTEMPTS", "CODE", "LATENCY", "CREATED", "ERROR"],
          rows.map((d) => [
            d.id,
            d.event,
            d.status,
            String(d.attempts),
            d.lastStatusCode === null ? "-" : String(d.lastStatusCode),
            d.lastLatencyMs === null ? "-" : `${d.lastLatencyMs} ms`,
            d.createdAt.toISOString(),
            d.lastError ?? "",
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["webhook", "replay"],
    summary: "send a delivery again (same webhook-id), e.g. after the receiver was fixed",
    args: "DELIVERY",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern webhook replay msg_0123456789abcdef0123456789abcdef"],
    async run(ctx: CommandContext) {
      const id = ctx.positionals[0]!;
      const settings = webhookSettings(await ctx.config());
      const now = new Date();
      const d = await ctx.withDirectory(({ store }) =>
        store.webhooks.replay(id, now, new Date(now.getTime() + settings.lifetimeMs))
      );
      if (!d) throw new CliError(`No delivery "${id}"`);
      ctx.io.out(
        `Delivery ${id} is pending again; the server sends it within ${settings.pollIntervalMs / 1000} s\n`,
      );
      return ExitCode.ok;
    },
  },
];
