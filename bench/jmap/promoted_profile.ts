/**
 * Summarises a sampling heap profile written by `bench/jmap/vs_cyrus.ts --tern-promoted-prof FILE`
 * (allocations no young-generation collection freed): bytes by allocating function, then by the
 * innermost four frames. What is promoted per request is what the old-space collections, whose
 * pauses stall every request in flight, have to clean up (issue 24).
 *
 * Usage: `deno run -A bench/jmap/promoted_profile.ts FILE [--top 25]`
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A node of a V8 sampling heap profile. */
interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Bytes by function and by innermost stack (four frames), largest first. */
export function summarise(head: ProfileNode): {
  total: number;
  byFunction: [string, number][];
  byStack: [string, number][];
} {
  const byFunction = new Map<string, number>();
  const byStack = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, path: string[]) => {
    const cf = node.callFrame;
    const name = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "")}:${
      cf.lineNumber + 1
    }`;
    const here = path.concat(name);
    if (node.selfSize > 0) {
      total += node.selfSize;
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
      const key = here.slice(-4).reverse().join(" <- ");
      byStack.set(key, (byStack.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(head, []);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, byFunction: sorted(byFunction), byStack: sorted(byStack) };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "25" } },
  });
  const top = Number(values.top);
  const profile = JSON.parse(await Deno.readTextFile(positionals[0]!)) as { head: ProfileNode };
  const s = summarise(profile.head);
  const mb = (n: number) => (n / 1e6).toFixed(2).padStart(8);
  console.log(`${mb(s.total)} MB sampled in all`);
  for (const [k, v] of s.byFunction.slice(0, top)) console.log(`${mb(v)}  ${k}`);
  console.log("by innermost frames:");
  for (const [k, v] of s.byStack.slice(0, top)) console.log(`${mb(v)}  ${k}`);
}
