/**
 * `tern org …`, `tern plan …` and `tern usage` (issue 16): organizations, plans and usage, over the
 * operations of core/tenancy/operations.ts (the same the admin API uses). Changes reach a running
 * server at its next decision.
 *
 * @module
 */
import type { CommandContext, CommandSpec, Directory, GroupSpec, OptionSpec } from "./spec.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { formatTable } from "./table.ts";
import { cliError, formatSize, parseSize } from "./directory_ops.ts";
import {
  addOrganization,
  addPlan,
  assignDomain,
  deleteOrganization,
  deletePlan,
  FEATURE_NAMES,
  LIMIT_NAMES,
  listOrganizations,
  listPlans,
  setOrganizationPlan,
  setPlan,
  setRole,
  showOrganization,
  showPlan,
  usageReport,
} from "../tenancy/operations.ts";
import type { Plan, PlanFeatures, PlanLimits, PlanPatch } from "../store/records/plans.ts";

/** The groups for `tern --help`. */
export const TENANCY_GROUPS: GroupSpec[] = [
  { name: "org", summary: "manage organizations (add, list, show, delete, set-plan, add-domain, role)" },
  { name: "plan", summary: "manage plans: limits and features (add, list, show, set, delete)" },
];

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const JSON_OPT: OptionSpec = { type: "boolean", help: "print JSON instead of text" };

/** CLI option name of each limit (sizes take K/M/G/T suffixes). */
const LIMIT_OPTIONS: Record<keyof PlanLimits, { option: string; size?: boolean; help: string }> = {
  accounts: { option: "accounts", help: "accounts at most" },
  addresses: { option: "addresses", help: "aliases at most" },
  domains: { option: "domains", help: "domains at most" },
  receivedPerDay: { option: "received-per-day", help: "messages received per UTC day" },
  receivedPerMonth: { option: "received-per-month", help: "messages received per calendar month" },
  sentPerDay: { option: "sent-per-day", help: "messages sent per UTC day" },
  storageBytes: { option: "storage", size: true, help: "storage, e.g. 10G" },
  apiCallsPerMonth: { option: "api-calls-per-month", help: "admin API calls per month" },
  maxMessageSize: { option: "max-message-size", size: true, help: "largest message, e.g. 25M" },
  retentionDays: { option: "retention-days", help: "expunge messages older than this" },
};
const FEATURE_OPTIONS: Record<keyof PlanFeatures, string> = {
  webhooks: "webhooks",
  api_access: "api-access",
  outbound: "outbound",
};

const PLAN_OPTIONS: Record<string, OptionSpec> = {
  name: { type: "string", arg: "TEXT", help: "display name" },
  ...Object.fromEntries(
    LIMIT_NAMES.map((k) => [
      LIMIT_OPTIONS[k].option,
      {
        type: "string",
        arg: LIMIT_OPTIONS[k].size ? "SIZE" : "N",
        help: `${LIMIT_OPTIONS[k].help} ("unlimited")`,
      },
    ]),
  ),
  ...Object.fromEntries(
    FEATURE_NAMES.map((k) => [FEATURE_OPTIONS[k], { type: "string", arg: "on|off", help: `${k} feature` }]),
  ),
  "mailbox-retention": {
    type: "string",
    arg: "BOX=DAYS,…",
    help: 'retention per mailbox role or name, e.g. trash=30 (DAYS "none" removes one)',
  },
  json: JSON_OPT,
  "data-dir": DATA_DIR,
};

/** Opens the store for `fn`; tenancy refusals become CLI errors. */
function withDir<T>(ctx: CommandContext, fn: (dir: Directory) => Promise<T>): Promise<T> {
  return ctx.withDirectory(fn).catch(cliError);
}

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

function planPatch(ctx: CommandContext): PlanPatch {
  const patch: PlanPatch = {};
  const limits: Partial<PlanLimits> = {};
  for (const k of LIMIT_NAMES) {
    const { option, size } = LIMIT_OPTIONS[k];
    const v = str(ctx, option);
    if (v === undefined) continue;
    if (v === "unlimited" || v === "none") limits[k] = null;
    else if (size) limits[k] = parseSize(v);
    else if (/^\d+$/.test(v)) limits[k] = Number(v);
    else throw new UsageError(`Invalid --${option} "${v}": expected a whole number or "unlimited"`);
  }
  if (Object.keys(limits).length) patch.limits = limits;
  const features: Partial<PlanFeatures> = {};
  for (const k of FEATURE_NAMES) {
    const v = str(ctx, FEATURE_OPTIONS[k]);
    if (v === undefined) continue;
    if (v !== "on" && v !== "off") {
      throw new UsageError(`Invalid --${FEATURE_OPTIONS[k]} "${v}": expected on or off`);
    }
    features[k] = v === "on";
  }
  if (Object.keys(features).length) patch.features = features;
  const retention = str(ctx, "mailbox-retention");
  if (retention !== undefined) {
    const boxes: Record<string, number | null> = {};
    for (const part of retention.split(",").map((p) => p.trim()).filter(Boolean)) {
      const m = /^([^=]+)=(\d+|none)$/.exec(part);
      if (!m) throw new UsageError(`Invalid --mailbox-retention "${part}": expected BOX=DAYS`);
      boxes[m[1]!.trim().toLowerCase()] = m[2] === "none" ? null : Number(m[2]);
    }
    patch.mailboxRetention = boxes;
  }
  const name = str(ctx, "name");
  if (name !== undefined) patch.name = name;
  return patch;
}

function limitText(k: keyof PlanLimits, v: number | null): string {
  if (v === null) return "unlimited";
  return LIMIT_OPTIONS[k].size ? formatSize(v) : String(v);
}

function planText(p: Plan & { organizations?: string[] }): string {
  const lines = [`Plan:      ${p.id} (${p.name})`];
  for (const k of LIMIT_NAMES) {
    lines.push(`  ${LIMIT_OPTIONS[k].option.padEnd(20)} ${limitText(k, p.limits[k])}`);
  }
  for (const k of FEATURE_NAMES) {
    lines.push(`  ${FEATURE_OPTIONS[k].padEnd(20)} ${p.features[k] ? "on" : "off"}`);
  }
  const boxes = Object.entries(p.mailboxRetention);
  if (boxes.length) lines.push(`  mailbox-retention    ${boxes.map(([b, d]) => `${b}=${d}`).join(",")}`);
  if (p.organizations) lines.push(`Organizations: ${p.organizations.join(", ") || "none"}`);
  return lines.join("\n") + "\n";
}

function json(ctx: CommandContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2) + "\n");
}

/** `tern org|plan|usage`. */
export const TENANCY_COMMANDS: CommandSpec[] = [
  {
    path: ["org", "add"],
    summary: "create an organization, optionally on a plan and owning domains",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: {
      name: { type: "string", arg: "TEXT", help: "display name" },
      plan: { type: "string", arg: "PLAN", help: "the plan it is on (default: none, no limits)" },
      domain: { type: "string", arg: "DOMAIN,…", help: "local domains it owns (moved with their accounts)" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    examples: ["tern org add acme --plan free --domain acme.example"],
    async run(ctx) {
      const domains = (str(ctx, "domain") ?? "").split(",").map((d) => d.trim()).filter(Boolean);
      const org = await withDir(ctx, ({ store }) =>
        addOrganization(store, {
          id: ctx.positionals[0]!,
          name: str(ctx, "name"),
          plan: str(ctx, "plan"),
          domains,
        }));
      if (ctx.values.json) json(ctx, org);
      else ctx.io.out(`Created organization ${org.id}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "list"],
    summary: "list organizations with their plan and holdings",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern org list", "tern org list --json"],
    async run(ctx) {
      const orgs = await withDir(ctx, ({ store }) => listOrganizations(store));
      if (ctx.values.json) json(ctx, orgs);
      else {
        ctx.io.out(formatTable(
          ["ORG", "PLAN", "DOMAINS", "ACCOUNTS", "STORAGE"],
          orgs.map((o) => [
            o.id,
            o.planId ?? "-",
            String(o.resources.domains),
            String(o.resources.accounts),
            formatSize(o.resources.storageBytes),
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "show"],
    summary: "show an organization: plan, domains, holdings, usage, roles",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern org show acme"],
    async run(ctx) {
      const o = await withDir(ctx, ({ store }) => showOrganization(store, ctx.positionals[0]!, new Date()));
      if (ctx.values.json) return json(ctx, o), ExitCode.ok;
      const r = o.resources;
      ctx.io.out(
        [
          `Organization: ${o.id} (${o.name})`,
          `Plan:         ${o.planId ?? "none"}`,
          `Domains:      ${o.domains.join(", ") || "none"}`,
          `Holdings:     ${r.accounts} accounts, ${r.addresses} aliases, ${r.domains} domains, ${
            formatSize(r.storageBytes)
          }`,
          `Today (${o.usage.day}):  received ${o.usage.today.received}, sent ${o.usage.today.sent}, API calls ${o.usage.today.apiCalls}`,
          `Month (${o.usage.month}): received ${o.usage.thisMonth.received}, sent ${o.usage.thisMonth.sent}, API calls ${o.usage.thisMonth.apiCalls}`,
          `Roles:        ${o.roles.map((x) => `${x.address}=${x.role}`).join(", ") || "all members"}`,
        ].join("\n") + "\n",
      );
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "delete"],
    summary: "delete an organization that owns no domain",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern org delete acme"],
    async run(ctx) {
      await withDir(ctx, ({ store }) => deleteOrganization(store, ctx.positionals[0]!));
      ctx.io.out(`Deleted organization ${ctx.positionals[0]}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "set-plan"],
    summary: 'put an organization on a plan ("none" for no limits); takes effect at once',
    args: "NAME PLAN",
    minArgs: 2,
    maxArgs: 2,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern org set-plan acme pro", "tern org set-plan acme none"],
    async run(ctx) {
      const [name, plan] = ctx.positionals as [string, string];
      const org = await withDir(
        ctx,
        ({ store }) => setOrganizationPlan(store, name, plan === "none" ? null : plan),
      );
      if (ctx.values.json) json(ctx, org);
      else ctx.io.out(`Organization ${org.id} is on plan ${org.planId ?? "none"}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "add-domain"],
    summary: "move a local domain, with its accounts and aliases, to an organization",
    args: "NAME DOMAIN",
    minArgs: 2,
    maxArgs: 2,
    options: { "data-dir": DATA_DIR },
    examples: ["tern org add-domain acme acme.example", "tern org add-domain default acme.example"],
    async run(ctx) {
      const [name, domain] = ctx.positionals as [string, string];
      await withDir(ctx, ({ store }) => assignDomain(store, domain, name));
      ctx.io.out(`${domain} belongs to ${name}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["org", "role"],
    summary: "set an account's role: owner, admin, member, platform-admin, no-platform-admin",
    args: "ADDRESS ROLE",
    minArgs: 2,
    maxArgs: 2,
    options: { "data-dir": DATA_DIR },
    examples: ["tern org role ada@acme.example owner"],
    async run(ctx) {
      const [address, role] = ctx.positionals as [string, string];
      const roles = ["owner", "admin", "member", "platform-admin", "no-platform-admin"] as const;
      const r = roles.find((x) => x === role);
      if (!r) throw new UsageError(`Invalid role "${role}": expected ${roles.join(", ")}`);
      await withDir(ctx, ({ store }) => setRole(store, address, r));
      ctx.io.out(`${address}: ${role}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["plan", "add"],
    summary: "create a plan (unset limits are unlimited, unset features on)",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: PLAN_OPTIONS,
    examples: [
      "tern plan add free --received-per-day 100 --storage 1G --max-message-size 10M --webhooks off",
      "tern plan add pro --retention-days 365 --mailbox-retention trash=30,junk=30",
    ],
    async run(ctx) {
      const plan = await withDir(
        ctx,
        ({ store }) => addPlan(store, { id: ctx.positionals[0]!, ...planPatch(ctx) }),
      );
      if (ctx.values.json) json(ctx, plan);
      else ctx.io.out(`Created plan ${plan.id}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["plan", "list"],
    summary: "list plans",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern plan list --json"],
    async run(ctx) {
      const plans = await withDir(ctx, ({ store }) => listPlans(store));
      if (ctx.values.json) json(ctx, plans);
      else {
        ctx.io.out(formatTable(
          ["PLAN", "RECEIVED/DAY", "SENT/DAY", "STORAGE", "MAX SIZE", "RETENTION"],
          plans.map((p) => [
            p.id,
            limitText("receivedPerDay", p.limits.receivedPerDay),
            limitText("sentPerDay", p.limits.sentPerDay),
            limitText("storageBytes", p.limits.storageBytes),
            limitText("maxMessageSize", p.limits.maxMessageSize),
            limitText("retentionDays", p.limits.retentionDays),
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["plan", "show"],
    summary: "show a plan's limits, features and organizations",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern plan show free"],
    async run(ctx) {
      const plan = await withDir(ctx, ({ store }) => showPlan(store, ctx.positionals[0]!));
      if (ctx.values.json) json(ctx, plan);
      else ctx.io.out(planText(plan));
      return ExitCode.ok;
    },
  },
  {
    path: ["plan", "set"],
    summary: "change a plan's limits or features; applies at once to its organizations",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: PLAN_OPTIONS,
    examples: ["tern plan set free --received-per-day 200", "tern plan set free --storage unlimited"],
    async run(ctx) {
      const patch = planPatch(ctx);
      if (Object.keys(patch).length === 0) {
        throw new UsageError("Nothing to change: give a limit or a feature");
      }
      const plan = await withDir(ctx, ({ store }) => setPlan(store, ctx.positionals[0]!, patch));
      if (ctx.values.json) json(ctx, plan);
      else ctx.io.out(planText(plan));
      return ExitCode.ok;
    },
  },
  {
    path: ["plan", "delete"],
    summary: "delete a plan no organization is on",
    args: "NAME",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern plan delete free"],
    async run(ctx) {
      await withDir(ctx, ({ store }) => deletePlan(store, ctx.positionals[0]!));
      ctx.io.out(`Deleted plan ${ctx.positionals[0]}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["usage"],
    summary: "usage of one organization or all for a month (UTC): received, sent, API calls, storage",
    args: "[ORG]",
    minArgs: 0,
    maxArgs: 1,
    options: {
      month: { type: "string", arg: "YYYY-MM", help: "the month (default: the current one)" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    examples: ["tern usage", "tern usage acme --month 2026-11 --json"],
    async run(ctx) {
      const rows = await withDir(
        ctx,
        ({ store }) => usageReport(store, { org: ctx.positionals[0], month: str(ctx, "month") }, new Date()),
      );
      if (ctx.values.json) json(ctx, rows);
      else {
        const of = (n: number, max: number | null | undefined) => max == null ? String(n) : `${n}/${max}`;
        ctx.io.out(formatTable(
          ["ORG", "MONTH", "RECEIVED", "SENT", "API CALLS", "STORAGE"],
          rows.map((r) => [
            r.orgId,
            r.month,
            of(r.counts.received, r.limits?.receivedPerMonth),
            String(r.counts.sent),
            of(r.counts.apiCalls, r.limits?.apiCallsPerMonth),
            r.limits?.storageBytes == null
              ? formatSize(r.storageBytes)
              : `${formatSize(r.storageBytes)}/${formatSize(r.limits.storageBytes)}`,
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
];
