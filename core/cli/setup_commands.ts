/**
 * `tern setup DOMAIN` (the quickstart: a production tern.toml, the domain, its DKIM keys, a
 * postmaster account and every DNS record to publish) and `tern dns check DOMAIN` (which of those
 * records are published and correct, asked through the resolver interface).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { CommandContext, CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";
import { CliError, ExitCode, UsageError } from "./errors.ts";
import { formatTable } from "./table.ts";
import { addUser, normalizeDomain } from "./directory_ops.ts";
import { parseConfig } from "../config/load.ts";
import { ensureDkimKeys } from "../dkim/domain_keys.ts";
import { queueSettings } from "../queue/settings.ts";
import { resolverFor } from "../queue/start.ts";
import {
  checklist,
  type DnsRecord,
  domainRecords,
  listenerPorts,
  mtaStsPolicy,
  policyId,
  zoneFile,
} from "../setup/dns_records.ts";
import { productionConfig } from "../setup/production_config.ts";
import { allRequiredOk, checkRecords } from "../setup/dns_check.ts";

/** The `dns` group for `tern --help`. */
export const DNS_GROUP: GroupSpec = { name: "dns", summary: "check a domain's published DNS records" };

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory (default for setup: /var/lib/tern)",
};
const IPV4: OptionSpec = {
  type: "string",
  arg: "ADDRS",
  help: "the server's public IPv4 address(es), comma-separated",
};
const IPV6: OptionSpec = {
  type: "string",
  arg: "ADDRS",
  help: "the server's public IPv6 address(es), comma-separated",
};

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

function list(v: string | undefined): string[] {
  return v ? v.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

/** A password for the postmaster account: 144 random bits, URL-safe base64 (24 characters). */
export function generatePassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
}

async function ask(ctx: CommandContext, question: string, fallback: string): Promise<string> {
  if (ctx.values.yes === true) return fallback;
  const answer = (await ctx.io.readLine(`${question} [${fallback}] `))?.trim();
  return answer ? answer : fallback;
}

function recordsText(records: DnsRecord[]): string {
  return `Zone file form (TTL 3600):\n\n${zoneFile(records)}\nChecklist:\n\n${checklist(records)}`;
}

/** `tern setup` and `tern dns check`. */
export const SETUP_COMMANDS: CommandSpec[] = [
  {
    path: ["setup"],
    summary: "set up a mail domain: tern.toml, DKIM keys, postmaster account, DNS records to publish",
    args: "DOMAIN",
    minArgs: 1,
    maxArgs: 1,
    options: {
      hostname: { type: "string", arg: "HOST", help: "this server's host name (default: mail.DOMAIN)" },
      output: { type: "string", arg: "FILE", help: "configuration file to write (default: tern.toml)" },
      "data-dir": DATA_DIR,
      address: { type: "string", arg: "ADDR", help: 'bind address of the listeners (default: "0.0.0.0")' },
      ipv4: IPV4,
      ipv6: IPV6,
      yes: { type: "boolean", short: "y", help: "accept every default without asking" },
      force: { type: "boolean", help: "overwrite an existing configuration file" },
    },
    description: "Writes a configuration for the standard ports (25, 587, 465, 143, 993, 110, 995, 443), " +
      "creates the domain, an RSA and an Ed25519 DKIM key and postmaster@DOMAIN with a generated " +
      "password (printed once), then prints every DNS record to publish: MX, SPF, DKIM, DMARC, MTA-STS, " +
      "TLS-RPT, autoconfig/autodiscover and SRV. Running it again keeps existing keys and accounts.",
    examples: [
      "tern setup example.com",
      "tern setup example.com --yes --hostname mx.example.com --ipv4 203.0.113.7 --output /etc/tern/tern.toml",
    ],
    async run(ctx) {
      const domain = normalizeDomain(ctx.positionals[0] ?? "");
      if (ctx.values.yes !== true && !ctx.io.stdinIsTerminal()) {
        throw new UsageError("Standard input is not a terminal: pass --yes to accept the defaults");
      }
      const hostname = normalizeDomain(
        await ask(ctx, "Host name of this server?", str(ctx, "hostname") ?? `mail.${domain}`),
      );
      // Relative to the configuration file: the systemd unit in docs/ runs from the directory that holds
      // both, which is what the compiled binary's --allow-write=./data permits.
      const dataDir = await ask(
        ctx,
        "Data directory (relative to the configuration file)?",
        str(ctx, "data-dir") ?? "data",
      );
      const output = str(ctx, "output") ?? "tern.toml";
      const text = productionConfig({ domain, hostname, dataDir, address: str(ctx, "address") ?? "0.0.0.0" });
      const config = parseConfig(text, output);
      let exists = false;
      try {
        await Deno.lstat(output);
        exists = true;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      if (exists && ctx.values.force !== true) {
        throw new CliError(`${output} exists: pass --force to overwrite it (or --output another file)`);
      }
      await Deno.writeTextFile(output, text, { mode: 0o640 });
      ctx.io.out(`Wrote ${output}\n`);

      ctx.values["data-dir"] = config.data_dir;
      const now = new Date();
      const postmaster = `postmaster@${domain}`;
      const result = await ctx.withDirectory(async ({ store, hasher }) => {
        if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
        const dkim = await ensureDkimKeys(store, domain, queueSettings(config).dkim_selector, now);
        let password: string | null = null;
        if (!(await store.getAccountByAddress(postmaster))) {
          password = generatePassword();
          await addUser(store, hasher, { address: postmaster, password, displayName: "Postmaster" }, [
            domain,
          ]);
        }
        return { dkim, password };
      });
      ctx.io.out(
        `Domain ${domain} is local; DKIM keys: ${
          result.dkim.keys.map((k) => `${k.algorithm} (selector ${k.selector})`).join(", ")
        }${result.dkim.created.length === 0 ? " (kept)" : ""}\n`,
      );
      ctx.io.out(
        result.password
          ? `Created ${postmaster} with password: ${result.password}\n(shown once; change it with "tern user passwd ${postmaster}")\n\n`
          : `${postmaster} exists; its password is unchanged\n\n`,
      );
      const records = domainRecords({
        domain,
        hostname,
        ipv4: list(str(ctx, "ipv4")),
        ipv6: list(str(ctx, "ipv6")),
        dkim: result.dkim.keys,
        reportAddress: postmaster,
        mtaStsId: policyId(now),
        ports: listenerPorts(config),
      });
      ctx.io.out(`Publish these DNS records:\n\n${recordsText(records)}\n`);
      if (!str(ctx, "ipv4") && !str(ctx, "ipv6")) {
        ctx.io.out(
          `Also publish A/AAAA records for ${hostname} (pass --ipv4/--ipv6 to have them printed).\n`,
        );
      }
      ctx.io.out(
        `\nMTA-STS policy served at https://mta-sts.${domain}/.well-known/mta-sts.txt:\n\n` +
          mtaStsPolicy({ mode: config.mta_sts.mode, mx: [hostname], maxAge: config.mta_sts.max_age }) +
          `\nThen: set the PTR record of the server's address to ${hostname}, start the server with\n` +
          `"tern serve --config ${output}", and run "tern dns check ${domain} --config ${output}".\n`,
      );
      return ExitCode.ok;
    },
  },
  {
    path: ["dns", "check"],
    summary: "report which of a domain's DNS records are published and correct",
    args: "DOMAIN",
    minArgs: 1,
    maxArgs: 1,
    options: {
      ipv4: IPV4,
      ipv6: IPV6,
      json: { type: "boolean", help: "print JSON instead of a table" },
      "data-dir": DATA_DIR,
    },
    description: 'Looks up every record "tern setup" prints (with the resolver of the configuration: the ' +
      "system's, or [[queue.static_dns]]) and compares it with the domain's keys and listeners. Exits 1 " +
      "when a required record is missing or wrong.",
    examples: ["tern dns check example.com", "tern dns check example.com --ipv4 203.0.113.7 --json"],
    async run(ctx) {
      const domain = normalizeDomain(ctx.positionals[0] ?? "");
      const config = await ctx.config();
      const keys = await ctx.withDirectory(({ store }) => store.dkimKeys.list(domain));
      const ipv4 = list(str(ctx, "ipv4"));
      const ipv6 = list(str(ctx, "ipv6"));
      const records = domainRecords({
        domain,
        hostname: config.hostname,
        ipv4,
        ipv6,
        dkim: keys,
        reportAddress: `postmaster@${domain}`,
        mtaStsId: "",
        ports: listenerPorts(config),
      });
      if (ipv4.length === 0 && ipv6.length === 0) {
        // Without the expected addresses, ask only that the host name resolves.
        records.splice(1, 0, {
          name: config.hostname,
          type: "A",
          value: "",
          purpose: "address",
          required: true,
          note: "the mail host has an address",
        });
      }
      const checks = await checkRecords(resolverFor(config), records, config.hostname);
      if (ctx.values.json) {
        ctx.io.out(
          JSON.stringify(checks.map((c) => ({ ...c.record, status: c.status, detail: c.detail })), null, 2) +
            "\n",
        );
      } else {
        ctx.io.out(formatTable(
          ["STATUS", "NEED", "TYPE", "NAME", "DETAIL"],
          checks.map((c) => [
            c.status,
            c.record.required ? "required" : "optional",
            c.record.type,
            c.record.name,
            c.detail,
          ]),
        ));
      }
      return allRequiredOk(checks) ? ExitCode.ok : ExitCode.failure;
    },
  },
];
