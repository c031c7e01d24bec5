/**
 * Domain, account and alias operations shared by the CLI and (later) the admin API: validation of
 * names, lookups by address, and errors in the user's terms. Each takes the store (and a password
 * hasher where needed) and never prints.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, AccountSecrets, Alias, Domain } from "../store/types.ts";
import { parseAddress, parseDomain } from "../store/addresses.ts";
import { CliError, ConflictError, NotFoundError, UsageError } from "./errors.ts";
import { checkDirectoryLimit } from "../tenancy/operations.ts";
import { TenancyError } from "../tenancy/errors.ts";
import { DEFAULT_ORGANIZATION } from "../store/records/organizations.ts";

/** The part of the AuthService the directory operations need. */
export interface PasswordHasher {
  deriveSecrets(password: string): Promise<AccountSecrets>;
}

/**
 * A domain name normalised by the store's rule (core/store/addresses.ts); throws UsageError when it
 * is not one.
 */
export function normalizeDomain(name: string): string {
  const domain = parseDomain(name);
  if (domain === null) {
    throw new UsageError(`Invalid domain "${name}": expected a domain name like example.com`);
  }
  return domain;
}

/**
 * An address `local@domain` normalised by the store's rule (core/store/addresses.ts); throws
 * UsageError otherwise. `allowCatchAll` admits `*@domain` (an alias for every unknown local part).
 */
export function normalizeAddress(address: string, allowCatchAll = false): string {
  const addr = parseAddress(address, { allowCatchAll });
  if (addr === null) throw new UsageError(`Invalid address "${address}": expected user@example.com`);
  return addr.address;
}

/** Parses a size like `500M`, `2G`, `1024` (bytes) or `0` (unlimited). */
export function parseSize(text: string): number {
  const m = text.trim().match(/^(\d+)\s*([KMGT]?)i?B?$/i);
  if (!m) throw new UsageError(`Invalid size "${text}": expected bytes or a number with K, M, G or T`);
  const exp = { "": 0, K: 1, M: 2, G: 3, T: 4 }[(m[2] ?? "").toUpperCase() as "" | "K" | "M" | "G" | "T"];
  const value = Number(m[1]) * 1024 ** exp;
  if (!Number.isSafeInteger(value)) throw new UsageError(`Invalid size "${text}": too large`);
  return value;
}

/** Formats bytes for people: `1.5 MiB`. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

async function requireAccount(store: Store, address: string): Promise<Account> {
  const account = await store.getAccountByAddress(normalizeAddress(address));
  if (!account) throw new NotFoundError(`No account "${address}"`);
  return account;
}

/** Adds a local domain. */
export async function addDomain(store: Store, name: string): Promise<Domain> {
  const domain = normalizeDomain(name);
  if (await store.isLocalDomain(domain)) throw new ConflictError(`Domain "${domain}" already exists`);
  // Issue 16: a new domain is the default organization's, under its plan's domain limit.
  await checkDirectoryLimit(store, DEFAULT_ORGANIZATION, "domains").catch(cliError);
  return await store.addDomain(domain);
}

/** All local domains. */
export function listDomains(store: Store): Promise<Domain[]> {
  return store.listDomains();
}

/** Deletes a local domain; fails while accounts of the domain exist. */
export async function deleteDomain(store: Store, name: string): Promise<void> {
  const domain = normalizeDomain(name);
  if (!await store.isLocalDomain(domain)) throw new NotFoundError(`No domain "${domain}"`);
  await store.deleteDomain(domain);
}

/**
 * Fails unless `domain` is local. A domain listed in the configuration's `local_domains` counts as
 * local and is created on demand, as the server does at startup.
 */
async function requireLocalDomain(
  store: Store,
  domain: string,
  configured: readonly string[],
): Promise<void> {
  if (await store.isLocalDomain(domain)) return;
  if (configured.includes(domain)) {
    await store.addDomain(domain);
    return;
  }
  throw new CliError(
    `Domain "${domain}" is not a local domain: add it first with "tern domain add ${domain}"`,
  );
}

/**
 * Creates an account (and its default mailboxes) with a password. The domain must be local (or in
 * `configuredDomains`, the configuration's `local_domains`).
 */
export async function addUser(
  store: Store,
  hasher: PasswordHasher,
  input: { address: string; password: string; displayName?: string; quotaBytes?: number },
  configuredDomains: readonly string[] = [],
): Promise<Account> {
  const address = normalizeAddress(input.address);
  const domain = address.slice(address.lastIndexOf("@") + 1);
  await requireLocalDomain(store, domain, configuredDomains);
  if (await store.getAccountByAddress(address)) {
    throw new ConflictError(`Account "${address}" already exists`);
  }
  // Issue 16: the plan of the domain's organization caps its accounts.
  await checkDirectoryLimit(store, await store.organizations.orgOfDomain(domain), "accounts").catch(cliError);
  const secrets = await hasher.deriveSecrets(input.password);
  return await store.createAccount({
    address,
    displayName: input.displayName,
    quotaBytes: input.quotaBytes,
    secrets,
  });
}

/** All accounts. */
export function listUsers(store: Store): Promise<Account[]> {
  return store.listAccounts();
}

/** Replaces an account's password (all derived secrets). */
export async function setPassword(
  store: Store,
  hasher: PasswordHasher,
  address: string,
  password: string,
): Promise<Account> {
  const account = await requireAccount(store, address);
  await store.setSecrets(account.id, await hasher.deriveSecrets(password));
  return account;
}

/** Changes an account's display name, quota or disabled flag. */
export async function updateUser(
  store: Store,
  address: string,
  patch: { displayName?: string; quotaBytes?: number; disabled?: boolean },
): Promise<Account> {
  const account = await requireAccount(store, address);
  return await store.updateAccount(account.id, patch);
}

/** An account with the addresses it may send as and its mailboxes' counts. */
export interface UserDetails {
  account: Account;
  sendableAddresses: string[];
  /** Mailboxes with their full path ("Archive/2024"), in store order. */
  mailboxes: { path: string; role: string | null; messages: number; unread: number; bytes: number }[];
}

/** Looks up one account with its aliases and mailboxes. */
export async function showUser(store: Store, address: string): Promise<UserDetails> {
  const account = await requireAccount(store, address);
  const sendableAddresses = await store.sendableAddresses(account.id);
  const all = await store.listMailboxes(account.id);
  const byId = new Map(all.map((mb) => [mb.id, mb]));
  const pathOf = (id: string | null, depth = 0): string => {
    const mb = id === null ? undefined : byId.get(id);
    if (!mb || depth > 100) return "";
    const parent = pathOf(mb.parentId, depth + 1);
    return parent ? `${parent}/${mb.name}` : mb.name;
  };
  const mailboxes = [];
  for (const mb of all) {
    const counts = await store.mailboxCounts(account.id, mb.id);
    mailboxes.push({
      path: pathOf(mb.id),
      role: mb.role,
      messages: counts.total,
      unread: counts.unread,
      bytes: counts.size,
    });
  }
  return { account, sendableAddresses, mailboxes };
}

/** Deletes an account with all its mail. */
export async function deleteUser(store: Store, address: string): Promise<Account> {
  const account = await requireAccount(store, address);
  await store.deleteAccount(account.id);
  return account;
}

/** Adds an alias delivering to existing accounts; the alias's domain must be local. */
export async function addAlias(
  store: Store,
  address: string,
  targets: string[],
  configuredDomains: readonly string[] = [],
): Promise<Alias> {
  const alias = normalizeAddress(address, true);
  if (targets.length === 0) throw new UsageError("An alias needs at least one target account");
  await requireLocalDomain(store, alias.slice(alias.lastIndexOf("@") + 1), configuredDomains);
  const normalized: string[] = [];
  for (const t of targets) {
    const account = await requireAccount(store, t);
    if (!normalized.includes(account.address)) normalized.push(account.address);
  }
  if (await store.getAccountByAddress(alias)) throw new ConflictError(`"${alias}" is an account address`);
  if ((await store.listAliases()).some((a) => a.address === alias)) {
    throw new ConflictError(`Alias "${alias}" already exists`);
  }
  // Issue 16: the plan of the domain's organization caps its addresses.
  const domain = alias.slice(alias.lastIndexOf("@") + 1);
  await checkDirectoryLimit(store, await store.organizations.orgOfDomain(domain), "addresses").catch(
    cliError,
  );
  return await store.addAlias(alias, normalized);
}

/** All aliases. */
export function listAliases(store: Store): Promise<Alias[]> {
  return store.listAliases();
}

/** Deletes an alias. */
export async function deleteAlias(store: Store, address: string): Promise<void> {
  const alias = normalizeAddress(address, true);
  if (!(await store.listAliases()).some((a) => a.address === alias)) {
    throw new NotFoundError(`No alias "${alias}"`);
  }
  await store.deleteAlias(alias);
}

/** A tenancy refusal (a plan limit) as the CLI's error. */
export function cliError(e: unknown): never {
  if (e instanceof TenancyError) {
    if (e.kind === "invalid") throw new UsageError(e.message);
    if (e.kind === "notFound") throw new NotFoundError(e.message);
    if (e.kind === "conflict") throw new ConflictError(e.message);
    throw new CliError(e.message);
  }
  throw e;
}
