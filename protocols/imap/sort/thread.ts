/**
 * THREAD algorithms of RFC 5256 §3: ORDEREDSUBJECT and REFERENCES, and the thread-list formatter
 * (§4). Pure functions over the messages' header data; messages are identified by their index in
 * sequence order, which also breaks ties between equal sent dates (§2.2).
 *
 * @module
 */
import { extractBaseSubject } from "./base_subject.ts";
import { casemapKey } from "./collation.ts";

/** What threading needs of one message. */
export interface ThreadInput {
  /** The Message-ID (without angle brackets), or null. */
  messageId: string | null;
  /** References: message ids in order. */
  references: readonly string[];
  /** In-Reply-To: message ids in order. */
  inReplyTo: readonly string[];
  /** The decoded Subject: value. */
  subject: string;
  /** RFC 5256 §2.2 sent date (ms): the Date: instant, else INTERNALDATE. */
  date: number;
}

/** A thread tree node: a message (its index) or a dummy (null) with children. */
export interface ThreadNode {
  index: number | null;
  children: ThreadNode[];
}

/** Subject key (casemapped base subject, RFC 5256 §2.1) and reply flag per message. */
function subjects(items: readonly ThreadInput[]): { key: string; isReply: boolean }[] {
  return items.map((m) => {
    const b = extractBaseSubject(m.subject);
    return { key: casemapKey(b.base), isReply: b.isReply };
  });
}

/** RFC 5256 §2.2: sent date, then sequence order. */
function byDate(items: readonly ThreadInput[]) {
  return (a: number, b: number) => (items[a]!.date - items[b]!.date) || a - b;
}

/**
 * THREAD=ORDEREDSUBJECT (RFC 5256 §3): messages sorted by base subject then sent date, split into
 * threads of equal base subject; the first message of each is the parent of the others (siblings);
 * threads ordered by their first message's sent date.
 */
export function orderedSubject(items: readonly ThreadInput[]): ThreadNode[] {
  const subj = subjects(items);
  const date = byDate(items);
  const idx = items.map((_, i) => i);
  idx.sort((a, b) => {
    const [x, y] = [subj[a]!.key, subj[b]!.key];
    return x < y ? -1 : x > y ? 1 : date(a, b);
  });
  const threads: ThreadNode[] = [];
  let current: ThreadNode | null = null;
  let currentKey = "";
  for (const i of idx) {
    if (current && subj[i]!.key === currentKey) {
      current.children.push({ index: i, children: [] });
    } else {
      current = { index: i, children: [] };
      currentKey = subj[i]!.key;
      threads.push(current);
    }
  }
  threads.sort((a, b) => date(a.index!, b.index!));
  return threads;
}

interface Container {
  index: number | null;
  parent: Container | null;
  children: Container[];
}

function isAncestor(a: Container, b: Container): boolean {
  for (let p: Container | null = b; p; p = p.parent) if (p === a) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  const siblings = c.parent.children;
  siblings.splice(siblings.indexOf(c), 1);
  c.parent = null;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

/**
 * THREAD=REFERENCES (RFC 5256 §3 steps 1–6): threads by References/In-Reply-To, dummies pruned,
 * root threads merged by base subject, siblings ordered by sent date.
 */
export function referencesThreads(items: readonly ThreadInput[]): ThreadNode[] {
  return threadByReferences(items, true);
}

/**
 * THREAD=REFS (draft-ietf-morg-inthread §4, as Dovecot implements it): REFERENCES without the
 * subject merging of step 5, and threads ordered by their most recent message.
 */
export function refsThreads(items: readonly ThreadInput[]): ThreadNode[] {
  return threadByReferences(items, false);
}

function toNode(c: Container): ThreadNode {
  return { index: c.index, children: c.children.map(toNode) };
}

function threadByReferences(items: readonly ThreadInput[], bySubjectMerge: boolean): ThreadNode[] {
  const table = new Map<string, Container>();
  const containers: Container[] = [];
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) table.set(id, c = { index: null, parent: null, children: [] });
    return c;
  };
  // Step 1: links from the references; a missing or duplicate Message-ID gets a unique one.
  for (let i = 0; i < items.length; i++) {
    const m = items[i]!;
    let c: Container;
    const existing = m.messageId ? table.get(m.messageId) : undefined;
    if (m.messageId && (!existing || existing.index === null)) {
      c = get(m.messageId);
      c.index = i;
    } else {
      c = { index: i, parent: null, children: [] };
    }
    containers.push(c);
    // Without References, the first In-Reply-To id is the only reference.
    const refs = m.references.length > 0 ? m.references : m.inReplyTo.slice(0, 1);
    // Step 1.A: each reference the parent of the next, unless the child has one or a loop forms.
    for (let r = 0; r + 1 < refs.length; r++) {
      const parent = get(refs[r]!);
      const child = get(refs[r + 1]!);
      if (child.parent || parent === child || isAncestor(child, parent)) continue;
      link(parent, child);
    }
    // Step 1.B: the last reference is the parent of this message, replacing any link from 1.A.
    const last = refs.length > 0 ? get(refs[refs.length - 1]!) : null;
    if (last && (last === c || isAncestor(c, last))) continue;
    unlink(c);
    if (last) link(last, c);
  }
  // Step 2: the root set. Step 3: prune dummies.
  const roots = [...new Set([...table.values(), ...containers])].filter((c) => !c.parent);
  const prune = (list: Container[], top: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      c.children = prune(c.children, false);
      if (c.index !== null) out.push(c);
      else if (c.children.length === 0) continue;
      else if (!top || c.children.length === 1) {
        for (const k of c.children) k.parent = c.parent;
        out.push(...c.children);
      } else out.push(c);
    }
    return out;
  };
  let top = prune(roots, true);
  for (const c of top) c.parent = null;
  // Step 4: sort the root set by sent date (a dummy by its first child after sorting them).
  const date = byDate(items);
  const first = (c: Container): number => c.index ?? c.children[0]!.index!;
  const sortSiblings = (list: Container[]) => list.sort((a, b) => date(first(a), first(b)));
  for (const c of top) if (c.index === null) sortSiblings(c.children);
  sortSiblings(top);
  if (!bySubjectMerge) {
    // REFS: siblings by sent date, threads by their latest message (ties: the lower sequence).
    const sortDeep = (list: Container[]) => {
      for (const c of list) sortDeep(c.children);
      sortSiblings(list);
    };
    sortDeep(top);
    const latest = new Map<Container, number>();
    const newest = (c: Container): number => {
      let best = c.index;
      for (const k of c.children) {
        const n = newest(k);
        if (best === null || date(n, best) > 0) best = n;
      }
      latest.set(c, best!);
      return best!;
    };
    for (const c of top) newest(c);
    top.sort((a, b) => date(latest.get(a)!, latest.get(b)!));
    return top.map(toNode);
  }
  // Step 5: merge root threads with the same base subject.
  const subj = subjects(items);
  const threadSubject = (c: Container) => subj[first(c)]!.key;
  const bySubject = new Map<string, Container>();
  for (const c of top) {
    const key = threadSubject(c);
    if (key === "") continue;
    const t = bySubject.get(key);
    if (!t) bySubject.set(key, c);
    else if (t.index !== null && (c.index === null || (subj[t.index]!.isReply && !subj[c.index]!.isReply))) {
      bySubject.set(key, c);
    }
  }
  const merged: Container[] = [];
  for (const c of top) {
    // A root already merged under another (as the table's message of a new dummy) is skipped.
    if (c.parent) continue;
    const key = threadSubject(c);
    const t = key === "" ? undefined : bySubject.get(key);
    if (!t || t === c) {
      merged.push(c);
      continue;
    }
    if (t.index === null && c.index === null) {
      for (const k of [...c.children]) {
        unlink(k);
        link(t, k);
      }
    } else if (t.index === null) {
      link(t, c);
    } else if (c.index !== null && subj[c.index]!.isReply && !subj[t.index]!.isReply) {
      link(t, c);
    } else {
      const dummy: Container = { index: null, parent: null, children: [] };
      const at = merged.indexOf(t);
      if (at >= 0) merged[at] = dummy;
      else merged.push(dummy);
      link(dummy, t);
      link(dummy, c);
      bySubject.set(key, dummy);
    }
  }
  top = merged;
  // Step 6: sort every set of siblings by sent date, deepest first.
  const sortDeep = (list: Container[]) => {
    for (const c of list) sortDeep(c.children);
    sortSiblings(list);
  };
  sortDeep(top);
  return top.map(toNode);
}

/**
 * Formats threads as RFC 5256 §4 thread-lists: `(1 2 (3)(4 5))`; `number` maps a message index to
 * its sequence number or UID. No threads is the empty string.
 */
export function formatThreads(threads: readonly ThreadNode[], number: (index: number) => number): string {
  const inner = (n: ThreadNode): string => {
    const self = n.index === null ? "" : String(number(n.index));
    if (n.children.length === 0) return self;
    const sep = self === "" ? "" : " ";
    if (n.children.length === 1) return self + sep + inner(n.children[0]!);
    return self + sep + n.children.map((c) => `(${inner(c)})`).join("");
  };
  return threads.map((t) => `(${inner(t)})`).join("");
}
