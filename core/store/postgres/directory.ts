/**
 * The directory part of `PostgresStore`: domains, accounts, secrets, aliases and recipient
 * resolution. The address rules and the resolution order are core/store/addresses.ts, shared
 * with the SQLite backend and the CLI.
 *
 * @module
 */
import type { Account, AccountId, AccountSecrets, Alias, Domain, MailboxRole } from "../types.ts";
import { StoreError } from "../types.ts";
import {
  parseAddress as parseAddressRule,
  type ParsedAddress,
  parseDomain,
  resolutionOrder,
} from "../addresses.ts";
import { formatId, parseId } from "../ids.ts";
import type { Queryable, Tx } from "./connection.ts";

/** A row of `accounts` as the store reads it. */
export interface AccountRow {
  id: number;
  address: string;
  display_name: string;
  quota_bytes: number;
  used_bytes: number;
  disabled: boolean;
  created: number;
  modseq: number;
  changes_floor: number;
}

/** The default mailboxes of a new account. */
export const DEFAULT_MAILBOXES: { name: string; role: MailboxRole; sortOrder: number }[] = [
  { name: "Inbox", role: "inbox", sortOrder: 1 },
  { name: "Drafts", role: "drafts", sortOrder: 2 },
  { name: "Sent", role: "sent", sortOrder: 3 },
  { name: "Junk", role: "junk", sortOrder: 4 },
  { name: "Trash", role: "trash", sortOrder: 5 },
  { name: "Archive", role: "archive", sortOrder: 6 },
];

/** The account of a row. */
export function toAccount(r: AccountRow): Account {
  return {
    id: formatId("account", r.id),
    address: r.address,
    displayName: r.display_name,
    quotaBytes: r.quota_bytes,
    usedBytes: r.used_bytes,
    disabled: r.disabled,
    created: new Date(r.created),
  };
}

/** core/store/addresses.ts `parseDomain`, failing with StoreError("invalid"). */
export function normalizeDomain(name: string): string {
  const domain = parseDomain(name);
  if (domain === null) throw new StoreError("invalid", `Invalid domain: "${name}"`);
  return domain;
}

/** core/store/addresses.ts `parseAddress`, failing with StoreError("invalid"). */
export function parseAddress(address: string, allowCatchAll: boolean): ParsedAddress {
  const addr = parseAddressRule(address, { allowCatchAll });
  if (addr === null) throw new StoreError("invalid", `Invalid address: "${address}"`);
  return addr;
}

/** A quota in bytes, checked. */
export function validQuota(q: number): number {
  if (!Number.isSafeInteger(q) || q < 0) throw new StoreError("invalid", `Invalid quota: ${q}`);
  return q;
}

/** The account row of a public id, or null. */
export async function accountRowOrNull(db: Queryable, id: AccountId): Promise<AccountRow | null> {
  const row = parseId("account", id);
  if (row === null) return null;
  const [r] = await db<AccountRow[]>`SELECT * FROM accounts WHERE id = ${row}`;
  return r ?? null;
}

/** The account row of a public id; StoreError("notFound") when there is none. */
export async function accountRow(db: Queryable, id: AccountId): Promise<AccountRow> {
  const r = await accountRowOrNull(db, id);
  if (!r) throw new StoreError("notFound", `No such account: "${id}"`);
  return r;
}

/** Adds a domain inside a transaction. */
export async function addDomain(tx: Tx, name: string, now: number): Promise<Domain> {
  const domain = normalizeDomain(name);
  const rows = await tx`INSERT INTO domains (name, created) VALUES (${domain}, ${now})
    ON CONFLICT (name) DO NOTHING RETURNING name`;
  if (rows.length === 0) throw new StoreError("alreadyExists", `Domain exists: "${domain}"`);
  return { name: domain, created: new Date(now) };
}

/** Deletes a domain and its aliases; "hasChildren" while it has accounts. */
export async function deleteDomain(tx: Tx, name: string): Promise<void> {
  const domain = normalizeDomain(name);
  const [d] = await tx`SELECT 1 FROM domains WHERE name = ${domain} FOR UPDATE`;
  if (!d) throw new StoreError("notFound", `No such domain: "${domain}"`);
  const [a] = await tx`SELECT 1 FROM accounts WHERE domain = ${domain} LIMIT 1`;
  if (a) throw new StoreError("hasChildren", `Domain has accounts: "${domain}"`);
  await tx`DELETE FROM aliases WHERE domain = ${domain}`;
  await tx`DELETE FROM domains WHERE name = ${domain}`;
}

/** Inserts an account row with its secrets (the caller adds the default mailboxes). */
export async function insertAccount(
  tx: Tx,
  input: { address: string; displayName?: string; quotaBytes?: number; secrets: AccountSecrets },
  now: number,
): Promise<AccountRow> {
  const addr = parseAddress(input.address, false);
  const quota = validQuota(input.quotaBytes ?? 0);
  // Locks the domain row: a concurrent deleteDomain waits, and sees the account.
  const [d] = await tx`SELECT 1 FROM domains WHERE name = ${addr.domain} FOR SHARE`;
  if (!d) throw new StoreError("notFound", `Domain is not local: "${addr.domain}"`);
  const [alias] = await tx`SELECT 1 FROM aliases WHERE address_key = ${addr.key}`;
  if (alias) throw new StoreError("alreadyExists", `An alias has this address: "${addr.address}"`);
  const [row] = await tx<AccountRow[]>`
    INSERT INTO accounts (address, address_key, domain, display_name, quota_bytes, created)
    VALUES (${addr.address}, ${addr.key}, ${addr.domain}, ${input.displayName ?? ""}, ${quota}, ${now})
    ON CONFLICT (address_key) DO NOTHING RETURNING *`;
  if (!row) throw new StoreError("alreadyExists", `Account exists: "${addr.address}"`);
  await writeSecrets(tx, row.id, input.secrets);
  return row;
}

/** Replaces an account's secrets. */
export async function writeSecrets(tx: Tx, accountRow: number, s: AccountSecrets): Promise<void> {
  if (typeof s.passwordHash !== "string") throw new StoreError("invalid", "passwordHash is required");
  await tx`INSERT INTO account_secrets (account_id, password_hash, scram_sha256, cram_md5)
    VALUES (${accountRow}, ${s.passwordHash}, ${s.scramSha256 ?? null}, ${s.cramMd5 ?? null})
    ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash,
      scram_sha256 = excluded.scram_sha256, cram_md5 = excluded.cram_md5`;
}

/** An account's secrets, or null. */
export async function readSecrets(db: Queryable, id: AccountId): Promise<AccountSecrets | null> {
  const row = parseId("account", id);
  if (row === null) return null;
  const [s] = await db<{ password_hash: string; scram_sha256: string | null; cram_md5: string | null }[]>`
    SELECT password_hash, scram_sha256, cram_md5 FROM account_secrets WHERE account_id = ${row}`;
  if (!s) return null;
  const out: AccountSecrets = { passwordHash: s.password_hash };
  if (s.scram_sha256 !== null) out.scramSha256 = s.scram_sha256;
  if (s.cram_md5 !== null) out.cramMd5 = s.cram_md5;
  return out;
}

/** Removes an account from every alias that targets it; aliases left empty go. */
export async function dropAliasTarget(tx: Tx, address: string): Promise<void> {
  const own = address.toLowerCase();
  const aliases = await tx<{ address_key: string; targets: string[] }[]>`
    SELECT address_key, targets FROM aliases FOR UPDATE`;
  for (const alias of aliases) {
    const left = alias.targets.filter((t) => t.toLowerCase() !== own);
    if (left.length === alias.targets.length) continue;
    if (left.length === 0) await tx`DELETE FROM aliases WHERE address_key = ${alias.address_key}`;
    else {
      await tx`UPDATE aliases SET targets = ${tx.json(left)} WHERE address_key = ${alias.address_key}`;
    }
  }
}

/** Adds an alias (`*@domain` is the catch-all) delivering to existing accounts. */
export async function addAlias(tx: Tx, address: string, targets: string[], now: number): Promise<Alias> {
  const addr = parseAddress(address, true);
  const [d] = await tx`SELECT 1 FROM domains WHERE name = ${addr.domain} FOR SHARE`;
  if (!d) throw new StoreError("notFound", `Domain is not local: "${addr.domain}"`);
  if (targets.length === 0) throw new StoreError("invalid", "An alias needs at least one target");
  const [acc] = await tx`SELECT 1 FROM accounts WHERE address_key = ${addr.key}`;
  if (acc) throw new StoreError("alreadyExists", `An account has this address: "${addr.address}"`);
  const resolved: string[] = [];
  for (const t of targets) {
    const key = parseAddress(t, false).key;
    const [a] = await tx<{ address: string }[]>`
      SELECT address FROM accounts WHERE address_key = ${key} FOR SHARE`;
    if (!a) throw new StoreError("notFound", `No account for alias target: "${t}"`);
    if (!resolved.includes(a.address)) resolved.push(a.address);
  }
  const rows = await tx`INSERT INTO aliases (address_key, address, domain, targets, created)
    VALUES (${addr.key}, ${addr.address}, ${addr.domain}, ${tx.json(resolved)}, ${now})
    ON CONFLICT (address_key) DO NOTHING RETURNING address_key`;
  if (rows.length === 0) throw new StoreError("alreadyExists", `Alias exists: "${addr.address}"`);
  return { address: addr.address, targets: resolved, created: new Date(now) };
}

/** Every alias, by address. */
export async function listAliases(db: Queryable): Promise<Alias[]> {
  const rows = await db<{ address: string; targets: string[]; created: number }[]>`
    SELECT address, targets, created FROM aliases ORDER BY address_key COLLATE "C"`;
  return rows.map((r) => ({ address: r.address, targets: r.targets, created: new Date(r.created) }));
}

/** The account's address and the (non catch-all) aliases that target it. */
export async function sendableAddresses(db: Queryable, id: AccountId): Promise<string[]> {
  const row = await accountRow(db, id);
  const out = [row.address];
  const own = row.address.toLowerCase();
  const aliases = await db<{ address: string; targets: string[] }[]>`
    SELECT address, targets FROM aliases ORDER BY address_key COLLATE "C"`;
  for (const a of aliases) {
    if (a.address.startsWith("*@")) continue;
    if (a.targets.some((t) => t.toLowerCase() === own)) out.push(a.address);
  }
  return out;
}

/** Exact account, `user+tag` -> `user`, alias, catch-all; disabled accounts left out. */
export async function resolveRecipient(db: Queryable, address: string): Promise<Account[] | null> {
  let addr: ParsedAddress;
  try {
    addr = parseAddress(address, false);
  } catch {
    return null;
  }
  const [d] = await db`SELECT 1 FROM domains WHERE name = ${addr.domain}`;
  if (!d) return null;
  const enabled = (rows: AccountRow[]) => {
    const live = rows.filter((r) => !r.disabled).map(toAccount);
    return live.length ? live : null;
  };
  const accountByKey = async (key: string) =>
    (await db<AccountRow[]>`SELECT * FROM accounts WHERE address_key = ${key}`)[0];
  // The order is the backend-neutral rule of core/store/addresses.ts.
  for (const step of resolutionOrder(addr)) {
    if (step.kind === "account") {
      const row = await accountByKey(step.key);
      if (row) return enabled([row]);
      continue;
    }
    const [alias] = await db<{ targets: string[] }[]>`
      SELECT targets FROM aliases WHERE address_key = ${step.key}`;
    if (!alias) continue;
    const rows: AccountRow[] = [];
    for (const t of alias.targets) {
      const r = await accountByKey(t.toLowerCase());
      if (r && !rows.some((x) => x.id === r.id)) rows.push(r);
    }
    return enabled(rows);
  }
  return null;
}
