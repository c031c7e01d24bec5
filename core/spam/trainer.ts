/**
 * Trains each account's junk filter from what its user does, whatever the protocol: it listens to
 * the store's change events (core/store/notifier.ts), so IMAP MOVE, COPY+EXPUNGE, STORE of
 * `$Junk`/`$NotJunk`, JMAP Email/set of mailboxIds or keywords and APPEND all train through here.
 * For each message changed it compares what the message says now with what it was trained as
 * (`Store.junkTokens` marks) and applies the difference:
 *
 * - `$NotJunk` → ham (a spam training is taken back first);
 * - in the Junk mailbox or `$Junk` → spam, except a message the filter itself filed there
 *   (its topmost `X-Spam-Status: Yes`), which is only marked "filed";
 * - neither, but trained as spam or filed → moved out of Junk: ham.
 *
 * Marks are kept by blob id, so a copy counts as the message it copies: COPY into or out of Junk
 * followed by `\Deleted` + EXPUNGE of the original trains like MOVE (a message flagged `\Deleted`
 * is on its way out and is left alone). Training is a reconciliation, so repeated or merged events
 * do no harm. Expunged messages keep their training (as in mox and SpamBayes). Each account's work
 * runs one step at a time, in chunks of `CHUNK` messages.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { ChangeEvent } from "../store/notifier.ts";
import type { JunkClass, JunkMark } from "../store/records/junk_tokens.ts";
import type { AccountId, Message, MessageId } from "../store/types.ts";
import type { SpamSettings } from "./settings.ts";
import { filedAsSpam, MAX_SCAN } from "./stage.ts";
import { tokenize } from "./tokenize.ts";

/** Messages read per step. */
const CHUNK = 500;

/** What a message asks to be trained as now. */
export function wantedMark(
  keywords: readonly string[],
  inJunk: boolean,
  current: JunkMark | undefined,
  filedByUs: () => boolean,
): JunkMark | undefined {
  if (keywords.includes("$notjunk")) return "ham";
  const junkKeyword = keywords.includes("$junk");
  if (junkKeyword || inJunk) {
    if (!junkKeyword && (current === "filed" || (current === undefined && filedByUs()))) return "filed";
    return "spam";
  }
  if (current === "spam" || current === "filed") return "ham";
  return current;
}

/** The trainer of one server. */
export class JunkTrainer {
  readonly #store: Store;
  readonly #settings: SpamSettings;
  readonly #log: Logger;
  readonly #done = new Map<AccountId, number>();
  readonly #chains = new Map<AccountId, Promise<void>>();
  #unsubscribe: (() => void) | null = null;

  /**
   * @param store where the mail, the change events and the junk tokens are
   * @param settings `[spam]`
   * @param log where training is logged
   */
  constructor(store: Store, settings: SpamSettings, log: Logger) {
    this.#store = store;
    this.#settings = settings;
    this.#log = log;
  }

  /** Starts listening (nothing when the store has no junk tokens or its notifier no subscribeAll). */
  start(): void {
    const subscribeAll = this.#store.notifier.subscribeAll?.bind(this.#store.notifier);
    if (!this.#store.junkTokens || !subscribeAll || this.#unsubscribe) return;
    this.#unsubscribe = subscribeAll((e) => {
      if (e.types.includes("Email")) this.#enqueue(e);
    });
  }

  /** Stops listening and waits for the training under way. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await Promise.all([...this.#chains.values()]);
  }

  /** Settles when every event received so far has been handled (tests, shutdown). */
  async idle(): Promise<void> {
    let last: Promise<void>[] = [];
    do {
      last = [...this.#chains.values()];
      await Promise.all(last);
    } while ([...this.#chains.values()].some((p, i) => p !== last[i]));
  }

  #enqueue(e: ChangeEvent): void {
    const prev = this.#chains.get(e.accountId) ?? Promise.resolve();
    const next = prev.then(() => this.#sync(e)).catch((err) =>
      this.#log.warn("junk training failed", {
        account_id: e.accountId,
        error: err instanceof Error ? err.message : String(err),
      })
    );
    this.#chains.set(e.accountId, next);
    next.finally(() => {
      if (this.#chains.get(e.accountId) === next) this.#chains.delete(e.accountId);
    });
  }

  async #sync(e: ChangeEvent): Promise<void> {
    const store = this.#store;
    const jt = store.junkTokens!;
    const accountId = e.accountId;
    // Everything changed after what was handled last (or, first time, in this event).
    const since = Math.min(this.#done.get(accountId) ?? e.modseq - 1, e.modseq - 1);
    const mailboxes = await store.listMailboxes(accountId);
    const junk = mailboxes.find((m) => m.role === "junk")?.id;
    const ids = new Set<MessageId>();
    const hint = new Set<MessageId>();
    for (const mailboxId of e.mailboxIds) {
      if (!mailboxes.some((m) => m.id === mailboxId)) continue;
      for (const p of await store.listPlacements(accountId, mailboxId, { changedSince: since })) {
        ids.add(p.messageId);
        if (mailboxId === junk || p.keywords.includes("$junk") || p.keywords.includes("$notjunk")) {
          hint.add(p.messageId);
        }
      }
    }
    this.#done.set(accountId, Math.max(this.#done.get(accountId) ?? 0, e.modseq));
    let trained = 0;
    const all = [...ids];
    for (let i = 0; i < all.length; i += CHUNK) {
      const messages = await store.getMessages(accountId, all.slice(i, i + CHUNK));
      const marks = await jt.marks(accountId, messages.map((m) => m.blobId));
      for (const m of messages) {
        if (m.keywords.includes("$deleted")) continue;
        if (!hint.has(m.id) && !marks.has(m.blobId)) continue;
        if (await this.#reconcile(m, junk, marks.get(m.blobId))) trained++;
      }
    }
    if (trained > 0) {
      const dropped = await jt.prune(accountId, this.#settings.maxTokens, this.#settings.maxMarks);
      if (dropped > 0) this.#log.info("junk tokens pruned", { account_id: accountId, dropped });
    }
  }

  /** Trains one message as it asks; true when counts changed. */
  async #reconcile(m: Message, junk: string | undefined, current: JunkMark | undefined): Promise<boolean> {
    let raw: Uint8Array | null = null;
    const bytes = async () => {
      raw ??= await this.#store.blobs.get(m.blobId) ?? new Uint8Array();
      return raw.length > MAX_SCAN ? raw.subarray(0, MAX_SCAN) : raw;
    };
    const inJunk = junk !== undefined && m.mailboxIds.includes(junk);
    // filedByUs is asked only for an unmarked message in Junk: read its header once, up front.
    const filed = !m.keywords.includes("$junk") && inJunk && current === undefined
      ? filedAsSpam(await bytes())
      : false;
    const want = wantedMark(m.keywords, inJunk, current, () => filed);
    if (want === current || want === undefined) return false;
    const untrain: JunkClass | undefined = current === "spam" || current === "ham" ? current : undefined;
    const train: JunkClass | undefined = want === "spam" || want === "ham" ? want : undefined;
    const tokens = untrain || train ? tokenize(await bytes()) : [];
    await this.#store.junkTokens!.train(m.accountId, {
      messageId: m.blobId,
      tokens,
      untrain,
      train,
      mark: want,
    });
    this.#log.info("junk filter trained", {
      account_id: m.accountId,
      message_id: m.id,
      from: current ?? "none",
      to: want,
      tokens: tokens.length,
    });
    return untrain !== undefined || train !== undefined;
  }
}

const trainers = new WeakMap<object, JunkTrainer>();

/** Starts the server's trainer when `[spam]` is enabled with training; returns it (or null). */
export function startJunkTraining(
  server: { readonly store: Store; readonly log: Logger },
  settings: SpamSettings,
): JunkTrainer | null {
  if (!settings.enabled || !settings.train || !server.store.junkTokens) return null;
  let t = trainers.get(server);
  if (!t) {
    t = new JunkTrainer(server.store, settings, server.log.with({ component: "spam" }));
    trainers.set(server, t);
  }
  t.start();
  return t;
}

/** The server's running trainer, if any (tests wait on `idle()`). */
export function junkTrainerOf(server: object): JunkTrainer | undefined {
  return trainers.get(server);
}
