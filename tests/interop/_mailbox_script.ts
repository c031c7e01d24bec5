/**
 * Random mailbox-tree scripts for the LIST differential test against Dovecot
 * (`random_list_diff_test.ts`): CREATE, DELETE, RENAME, APPEND, STATUS, SELECT and EXAMINE over a
 * few names under one prefix, with LIST patterns of `%`, `*`, names and separators between them
 * (RFC 9051 §6.3.4–6.3.11, §6.3.9's wildcards).
 *
 * Both servers create parents as mailboxes only when asked, so the scripts keep to what both
 * define alike: `repair` walks a drawn script against a model of the tree and creates a missing
 * parent explicitly first (Tern creates it as a mailbox, Dovecot as a `\Noselect` placeholder,
 * RFC 9051 §6.3.4 leaves that to the server) and leaves out a DELETE of a mailbox with children
 * (Dovecot deletes it, Tern refuses, as §6.3.5 allows both). Subscriptions are left out: Tern
 * subscribes what CREATE makes and moves a subscription with RENAME, on purpose (docs/rfc.md).
 *
 * @module
 */
import fc from "fast-check";

/** Names a script works on, relative to its prefix (`PREFIX`). */
const NAMES = ["a", "b", "a/b", "a/c", "b/a", "a/b/c", "R&-D", "sp ace"] as const;

/** The prefix placeholder: each script runs under a new top-level mailbox of that name. */
export const PREFIX = "P";

/** One step: the command after the tag, with `P` standing for the script's prefix. */
export type MailboxStep = string;

const name = fc.constantFrom(...NAMES);

/** A name as an astring: quoted when it holds a space. */
function arg(n: string): string {
  const full = `${PREFIX}/${n}`;
  return /[ "\\]/.test(full) ? `"${full.replace(/["\\]/g, (c) => `\\${c}`)}"` : full;
}

/** LIST reference and pattern: `%`, `*`, names and separators after the prefix, written three ways. */
const listCommand: fc.Arbitrary<MailboxStep> = fc.tuple(
  fc.array(fc.constantFrom("%", "*", "a", "b", "c", "/", "R&-D"), { maxLength: 4 }).map((xs) => xs.join("")),
  fc.constantFrom("ref", "pattern", "split"),
  fc.boolean(),
).map(([tail, form, children]) => {
  const quoted = (s: string) => `"${s}"`;
  const [ref, pattern] = form === "ref"
    ? ["", `${PREFIX}/${tail}`]
    : form === "pattern"
    ? [`${PREFIX}/`, tail]
    : [PREFIX, `/${tail}`];
  return `LIST ${quoted(ref)} ${quoted(pattern)}${children ? " RETURN (CHILDREN)" : ""}`;
});

const rawStep: fc.Arbitrary<MailboxStep> = fc.oneof(
  { weight: 4, arbitrary: name.map((n) => `CREATE ${arg(n)}`) },
  { weight: 2, arbitrary: name.map((n) => `DELETE ${arg(n)}`) },
  { weight: 3, arbitrary: fc.tuple(name, name).map(([x, y]) => `RENAME ${arg(x)} ${arg(y)}`) },
  { weight: 1, arbitrary: name.map((n) => `APPEND ${arg(n)}`) },
  { weight: 1, arbitrary: name.map((n) => `STATUS ${arg(n)} (MESSAGES UIDNEXT UNSEEN)`) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom("SELECT", "EXAMINE"), name).map(([c, n]) => `${c} ${arg(n)}`),
  },
  { weight: 5, arbitrary: listCommand },
);

/** The name (relative to the prefix) a step's first or second mailbox argument names. */
function names(step: MailboxStep): string[] {
  const out: string[] = [];
  const re = new RegExp(`"${PREFIX}/((?:[^"\\\\]|\\\\.)*)"|${PREFIX}/(\\S+)`, "g");
  for (const m of step.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return out;
}

const parentOf = (n: string) => (n.includes("/") ? n.slice(0, n.lastIndexOf("/")) : null);

/**
 * The script with a CREATE of each missing parent put before the step that needs it, and a DELETE
 * of a mailbox with children left out (module comment), following the tree as the steps change it.
 */
export function repair(steps: MailboxStep[]): MailboxStep[] {
  const tree = new Set<string>();
  const out: MailboxStep[] = [];
  const ensureParents = (n: string) => {
    const chain: string[] = [];
    for (let p = parentOf(n); p !== null && !tree.has(p); p = parentOf(p)) chain.unshift(p);
    for (const p of chain) {
      out.push(`CREATE ${arg(p)}`);
      tree.add(p);
    }
  };
  const hasChildren = (n: string) => [...tree].some((m) => m.startsWith(`${n}/`));
  for (const step of steps) {
    const verb = step.split(" ")[0]!;
    const [x, y] = names(step);
    if (verb === "CREATE") {
      ensureParents(x!);
      tree.add(x!);
    } else if (verb === "DELETE") {
      if (hasChildren(x!)) continue;
      tree.delete(x!);
    } else if (verb === "RENAME") {
      const moves = tree.has(x!) && !tree.has(y!) && !(y!.startsWith(`${x}/`));
      if (moves) {
        ensureParents(y!);
        for (const m of [...tree]) {
          if (m === x || m.startsWith(`${x}/`)) {
            tree.delete(m);
            tree.add(y + m.slice(x!.length));
          }
        }
      }
    }
    out.push(step);
  }
  return out;
}

/** A script of up to `maxSteps` drawn steps (more once repaired). */
export function mailboxScriptArbitrary(maxSteps = 20): fc.Arbitrary<MailboxStep[]> {
  return fc.array(rawStep, { minLength: 1, maxLength: maxSteps, size: "max" }).map(repair);
}
