/**
 * The directory part of `SqliteStore` (domains, accounts, secrets, aliases, recipient resolution),
 * over the store's database and group commit. The address rules are core/store/addresses.ts.
 *
 * @module
 */
import type { Account, AccountId, AccountSecrets, Alias, Domain, MailboxRole } from "../types.ts";
import { StoreError } from "../types.ts";
import type { DirectoryStore } from "../store.ts";
import {
  parseAddress as parseAddressRule,
  type ParsedAddress,
  parseDomain,
  resolutionOrder,
} from "../addresses.ts";
import type { Database } from "./database.ts";
import { formatId, parseId } from "./ids.ts";
import type { Mutation } from "./mutation.ts";

/** A row of `accounts` as the store reads it. */
export interface AccountRow {
  id: number;
  address: string;
  display_name: string;
  quota_bytes: number;
  used_bytes: number;
  disabled: number;
  created: number;
}

/** The `accounts` columns that make an `AccountRow`. */
export const ACCOUNT_COLUMNS = "id, address, display_name, quota_bytes, used_bytes, disabled, created";

const DEFAULT_MAILBOXES: { name: string; role: MailboxRole; sortOrder: number }[] = [
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
    disabled: r.disabled !== 0,
    created: new Date(r.created),
  };
}

/** core/store/addresses.ts `parseDomain`, failing with StoreError("invalid"). */
function normalizeDomain(name: string): string {
  const domain = parseDomain(name);
  if (domain === null) throw new StoreError("invalid", `Invalid domain: "${name}"`);
  return domain;
}

/** core/store/addresses.ts `parseAddress`, failing with StoreError("invalid"). */
function parseAddress(address: string, allowCatchAll: boolean): ParsedAddress {
  const addr = parseAddressRule(address, { allowCatchAll });
  if (addr === null) throw new StoreError("invalid", `Invalid address: "${address}"`);
  return addr;
}

function validQuota(q: number): number {
  if (!Number.isSafeInteger(q) || q < 0) throw new StoreError("invalid", `Invalid quota: ${q}`);
  return q;
}

/** What the directory needs of the store that hosts it. */
export interface DirectoryHost {
  readonly database: Database;
  /** Runs a synchronous read; its errors become rejections. */
  read<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Queues a write job in the group commit. */
  write<T>(fn: (mut: Mutation) => T): Promise<T>;
  /** The clock, in milliseconds. */
  now(): number;
  accountRow(id: AccountId): AccountRow;
  accountRowOrNull(id: AccountId): AccountRow | null;
  /** Creates a mailbox of a new account (its default mailboxes). */
  insertMailbox(
    mut: Mutation,
    accountRow: number,
    mb: { name: string; parentId: number | null; role: MailboxRole; sortOrder: number },
  ): void;
  /** Drops `n` references to a blob row (the messages of a deleted account). */
  releaseBlob(mut: Mutation, blobRow: number, n: number): void;
}

/** Domains, accounts, secrets and aliases in the SQLite database. */
export class SqliteDirectory implements DirectoryStore {
  readonly #h: DirectoryHost;

  /** @param host the store's database, group commit and row helpers */
  constructor(host: DirectoryHost) {
    this.#h = host;
  }

  /** Adds a local domain (lowercased, IDNs as A-labels). */
  addDomain(name: string): Promise<Domain> {
    return this.#h.write(() => {
      const domain = normalizeDomain(name);
      const created = this.#h.now();
      if (this.#h.database.get("SELECT 1 FROM domains WHERE name = ?", domain)) {
        throw new StoreError("alreadyExists", `Domain exists: "${domain}"`);
      }
      this.#h.database.run("INSERT INTO domains (name, created) VALUES (?, ?)", domain, created);
      return { name: domain, created: new Date(created) };
    });
  }

  /** Every local domain, by name. */
  listDomains(): Promise<Domain[]> {
    return this.#h.read(() => {
      const rows = this.#h.database.all<{ name: string; created: number }>(
        "SELECT name, created FROM domains ORDER BY name",
      );
      return Promise.resolve(rows.map((r) => ({ name: r.name, created: new Date(r.created) })));
    });
  }

  /** Deletes a domain and its aliases; "hasChildren" while it has accounts. */
  deleteDomain(name: string): Promise<void> {
    return this.#h.write(() => {
      const domain = normalizeDomain(name);
      if (!this.#h.database.get("SELECT 1 FROM domains WHERE name = ?", domain)) {
        throw new StoreError("notFound", `No such domain: "${domain}"`);
      }
      if (this.#h.database.get("SELECT 1 FROM accounts WHERE domain = ? LIMIT 1", domain)) {
        throw new StoreError("hasChildren", `Domain has accounts: "${domain}"`);
      }
      this.#h.database.run("DELETE FROM aliases WHERE domain = ?", domain);
      this.#h.database.run("DELETE FROM domains WHERE name = ?", domain);
    });
  }

  /** Whether a domain is local. */
  isLocalDomain(name: string): Promise<boolean> {
    return this.#h.read(() => {
      let domain: string;
      try {
        domain = normalizeDomain(name);
      } catch {
        return Promise.resolve(false);
      }
      return Promise.resolve(
        this.#h.database.get("SELECT 1 FROM domains WHERE name = ?", domain) !== undefined,
      );
    });
  }

  /** Creates an account with its secrets and default mailboxes. */
  createAccount(
    input: { address: string; displayName?: string; quotaBytes?: number; secrets: AccountSecrets },
  ): Promise<Account> {
    return this.#h.write((mut) => {
      const addr = parseAddress(input.address, false);
      const quota = validQuota(input.quotaBytes ?? 0);
      const created = this.#h.now();
      const db = this.#h.database;
      if (!db.get("SELECT 1 FROM domains WHERE name = ?", addr.domain)) {
        throw new StoreError("notFound", `Domain is not local: "${addr.domain}"`);
      }
      if (db.get("SELECT 1 FROM accounts WHERE address_key = ?", addr.key)) {
        throw new StoreError("alreadyExists", `Account exists: "${addr.address}"`);
      }
      if (db.get("SELECT 1 FROM aliases WHERE address_key = ?", addr.key)) {
        throw new StoreError("alreadyExists", `An alias has this address: "${addr.address}"`);
      }
      const row = db.get<AccountRow>(
        `INSERT INTO accounts (address, address_key, domain, display_name, quota_bytes, created)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING ${ACCOUNT_COLUMNS}`,
        addr.address,
        addr.key,
        addr.domain,
        input.displayName ?? "",
        quota,
        created,
      )!;
      this.#writeSecrets(row.id, input.secrets);
      for (const mb of DEFAULT_MAILBOXES) {
        this.#h.insertMailbox(mut, row.id, {
          name: mb.name,
          parentId: null,
          role: mb.role,
          sortOrder: mb.sortOrder,
        });
      }
      return toAccount(row);
    });
  }

  /** An account by id. */
  getAccount(id: AccountId): Promise<Account | null> {
    return this.#h.read(() => {
      const row = this.#h.accountRowOrNull(id);
      return Promise.resolve(row ? toAccount(row) : null);
    });
  }

  /** An account by address (case-insensitive). */
  getAccountByAddress(address: string): Promise<Account | null> {
    return this.#h.read(() => {
      let addr: ParsedAddress;
      try {
        addr = parseAddress(address, false);
      } catch {
        return Promise.resolve(null);
      }
      const row = this.#h.database.get<AccountRow>(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE address_key = ?`,
        addr.key,
      );
      return Promise.resolve(row ? toAccount(row) : null);
    });
  }

  /** Every account, by address. */
  listAccounts(): Promise<Account[]> {
    return this.#h.read(() => {
      return Promise.resolve(
        this.#h.database.all<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY address_key`).map(
          toAccount,
        ),
      );
    });
  }

  /** Changes display name, quota or the disabled flag. */
  updateAccount(
    id: AccountId,
    patch: { displayName?: string; quotaBytes?: number; disabled?: boolean },
  ): Promise<Account> {
    return this.#h.write(() => {
      const quota = patch.quotaBytes === undefined ? undefined : validQuota(patch.quotaBytes);
      const row = this.#h.accountRow(id);
      const db = this.#h.database;
      if (patch.displayName !== undefined) {
        db.run("UPDATE accounts SET display_name = ? WHERE id = ?", patch.displayName, row.id);
      }
      if (quota !== undefined) db.run("UPDATE accounts SET quota_bytes = ? WHERE id = ?", quota, row.id);
      if (patch.disabled !== undefined) {
        db.run("UPDATE accounts SET disabled = ? WHERE id = ?", patch.disabled ? 1 : 0, row.id);
      }
      return toAccount(this.#h.accountRow(id));
    });
  }

  /** Deletes an account with its mailboxes, messages and change log; blob references are released. */
  deleteAccount(id: AccountId): Promise<void> {
    return this.#h.write((mut) => {
      const row = this.#h.accountRow(id);
      const db = this.#h.database;
      const blobs = db.all<{ blob_id: number; n: number }>(
        "SELECT blob_id, count(*) AS n FROM messages WHERE account_id = ? GROUP BY blob_id",
        row.id,
      );
      db.run(
        "DELETE FROM placements WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = ?)",
        row.id,
      );
      db.run("DELETE FROM messages WHERE account_id = ?", row.id);
      for (const b of blobs) this.#h.releaseBlob(mut, b.blob_id, b.n);
      db.run("DELETE FROM thread_refs WHERE account_id = ?", row.id);
      db.run("DELETE FROM threads WHERE account_id = ?", row.id);
      db.run(
        "DELETE FROM expunged WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = ?)",
        row.id,
      );
      db.run("UPDATE mailboxes SET parent_id = NULL WHERE account_id = ?", row.id);
      db.run("DELETE FROM mailboxes WHERE account_id = ?", row.id);
      db.run("DELETE FROM changes WHERE account_id = ?", row.id);
      db.run("DELETE FROM account_secrets WHERE account_id = ?", row.id);
      // Aliases pointing at the account lose it as a target; empty aliases go.
      for (
        const alias of db.all<{ address_key: string; targets: string }>(
          "SELECT address_key, targets FROM aliases",
        )
      ) {
        const targets = JSON.parse(alias.targets) as string[];
        const left = targets.filter((t) => t.toLowerCase() !== row.address.toLowerCase());
        if (left.length === targets.length) continue;
        if (left.length === 0) db.run("DELETE FROM aliases WHERE address_key = ?", alias.address_key);
        else {db.run(
            "UPDATE aliases SET targets = ? WHERE address_key = ?",
            JSON.stringify(left),
            alias.address_key,
          );}
      }
      db.run("DELETE FROM accounts WHERE id = ?", row.id);
    });
  }

  /** The account's secrets, or null. */
  getSecrets(id: AccountId): Promise<AccountSecrets | null> {
    return this.#h.read(() => {
      const row = parseId("account", id);
      if (row === null) return Promise.resolve(null);
      const s = this.#h.database.get<
        { password_hash: string; scram_sha256: string | null; cram_md5: string | null }
      >(
        "SELECT password_hash, scram_sha256, cram_md5 FROM account_secrets WHERE account_id = ?",
        row,
      );
      if (!s) return Promise.resolve(null);
      const out: AccountSecrets = { passwordHash: s.password_hash };
      if (s.scram_sha256 !== null) out.scramSha256 = s.scram_sha256;
      if (s.cram_md5 !== null) out.cramMd5 = s.cram_md5;
      return Promise.resolve(out);
    });
  }

  /** Replaces the account's secrets. */
  setSecrets(id: AccountId, secrets: AccountSecrets): Promise<void> {
    return this.#h.write(() => {
      const row = this.#h.accountRow(id);
      this.#writeSecrets(row.id, secrets);
    });
  }

  #writeSecrets(accountRow: number, s: AccountSecrets): void {
    if (typeof s.passwordHash !== "string") throw new StoreError("invalid", "passwordHash is required");
    this.#h.database.run(
      `INSERT INTO account_secrets (account_id, password_hash, scram_sha256, cram_md5) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash,
         scram_sha256 = excluded.scram_sha256, cram_md5 = excluded.cram_md5`,
      accountRow,
      s.passwordHash,
      s.scramSha256 ?? null,
      s.cramMd5 ?? null,
    );
  }

  /** Adds an alias (`*@domain` is the catch-all) delivering to existing accounts. */
  addAlias(address: string, targets: string[]): Promise<Alias> {
    return this.#h.write(() => {
      const addr = parseAddress(address, true);
      const created = this.#h.now();
      const db = this.#h.database;
      if (!db.get("SELECT 1 FROM domains WHERE name = ?", addr.domain)) {
        throw new StoreError("notFound", `Domain is not local: "${addr.domain}"`);
      }
      if (targets.length === 0) throw new StoreError("invalid", "An alias needs at least one target");
      if (db.get("SELECT 1 FROM aliases WHERE address_key = ?", addr.key)) {
        throw new StoreError("alreadyExists", `Alias exists: "${addr.address}"`);
      }
      if (db.get("SELECT 1 FROM accounts WHERE address_key = ?", addr.key)) {
        throw new StoreError("alreadyExists", `An account has this address: "${addr.address}"`);
      }
      const resolved: string[] = [];
      for (const t of targets) {
        const key = parseAddress(t, false).key;
        const acc = db.get<{ address: string }>("SELECT address FROM accounts WHERE address_key = ?", key);
        if (!acc) throw new StoreError("notFound", `No account for alias target: "${t}"`);
        if (!resolved.includes(acc.address)) resolved.push(acc.address);
      }
      db.run(
        "INSERT INTO aliases (address_key, address, domain, targets, created) VALUES (?, ?, ?, ?, ?)",
        addr.key,
        addr.address,
        addr.domain,
        JSON.stringify(resolved),
        created,
      );
      return { address: addr.address, targets: resolved, created: new Date(created) };
    });
  }

  /** Every alias, by address. */
  listAliases(): Promise<Alias[]> {
    return this.#h.read(() => {
      const rows = this.#h.database.all<{ address: string; targets: string; created: number }>(
        "SELECT address, targets, created FROM aliases ORDER BY address_key",
      );
      return Promise.resolve(rows.map((r) => ({
        address: r.address,
        targets: JSON.parse(r.targets) as string[],
        created: new Date(r.created),
      })));
    });
  }

  /** Deletes an alias. */
  deleteAlias(address: string): Promise<void> {
    return this.#h.write(() => {
      const addr = parseAddress(address, true);
      if (this.#h.database.run("DELETE FROM aliases WHERE address_key = ?", addr.key).changes === 0) {
        throw new StoreError("notFound", `No such alias: "${addr.address}"`);
      }
    });
  }

  /** The account's address and the (non catch-all) aliases that target it. */
  sendableAddresses(id: AccountId): Promise<string[]> {
    return this.#h.read(() => {
      const row = this.#h.accountRow(id);
      const out = [row.address];
      const own = row.address.toLowerCase();
      for (
        const a of this.#h.database.all<{ address: string; targets: string }>(
          "SELECT address, targets FROM aliases",
        )
      ) {
        if (a.address.startsWith("*@")) continue;
        if ((JSON.parse(a.targets) as string[]).some((t) => t.toLowerCase() === own)) out.push(a.address);
      }
      return Promise.resolve(out);
    });
  }

  /** Exact account, `user+tag` -> `user`, alias, catch-all; disabled accounts left out. */
  resolveRecipient(address: string): Promise<Account[] | null> {
    return this.#h.read(() => {
      let addr: ParsedAddress;
      try {
        addr = parseAddress(address, false);
      } catch {
        return Promise.resolve(null);
      }
      const db = this.#h.database;
      if (!db.get("SELECT 1 FROM domains WHERE name = ?", addr.domain)) return Promise.resolve(null);
      const enabled = (rows: AccountRow[]) => {
        const live = rows.filter((r) => !r.disabled).map(toAccount);
        return live.length ? live : null;
      };
      const accountByKey = (key: string) =>
        db.get<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE address_key = ?`, key);
      const aliasTargets = (key: string): AccountRow[] | undefined => {
        const alias = db.get<{ targets: string }>("SELECT targets FROM aliases WHERE address_key = ?", key);
        if (!alias) return undefined;
        const rows: AccountRow[] = [];
        for (const t of JSON.parse(alias.targets) as string[]) {
          const r = accountByKey(t.toLowerCase());
          if (r && !rows.some((x) => x.id === r.id)) rows.push(r);
        }
        return rows;
      };
      // The order is the backend-neutral rule of core/store/addresses.ts.
      for (const step of resolutionOrder(addr)) {
        if (step.kind === "account") {
          const row = accountByKey(step.key);
          if (row) return Promise.resolve(enabled([row]));
        } else {
          const rows = aliasTargets(step.key);
          if (rows) return Promise.resolve(enabled(rows));
        }
      }
      return Promise.resolve(null);
    });
  }
}
