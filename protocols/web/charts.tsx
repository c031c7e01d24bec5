/** @jsxImportSource hono/jsx */
/**
 * Server-side SVG charts (no script, no library): a bar chart of daily series, with a title and
 * description for assistive technology and the numbers in a table next to it.
 *
 * @module
 */

/** One series of a bar chart. */
export interface Series {
  name: string;
  /** Fill colour (an SVG presentation attribute, allowed by the CSP). */
  color: string;
  values: number[];
}

const W = 600;
const H = 220;
const PAD = { left: 40, right: 10, top: 10, bottom: 40 };

/** A grouped bar chart of `series` over `labels` (e.g. days). */
export function BarChart(props: { id: string; title: string; labels: string[]; series: Series[] }) {
  const max = Math.max(1, ...props.series.flatMap((s) => s.values));
  const n = Math.max(1, props.labels.length);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const group = plotW / n;
  const bar = Math.max(1, (group * 0.8) / Math.max(1, props.series.length));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const every = Math.ceil(n / 10);
  const summary = props.series.map((s) => `${s.name}: ${s.values.reduce((a, b) => a + b, 0)}`).join(", ");
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby={`${props.id}-t ${props.id}-d`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={`${props.id}-t`}>{props.title}</title>
      <desc id={`${props.id}-d`}>{`Totals over ${n} days: ${summary}.`}</desc>
      <line
        x1={PAD.left}
        y1={PAD.top + plotH}
        x2={W - PAD.right}
        y2={PAD.top + plotH}
        stroke="currentColor"
      />
      <text x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">{String(max)}</text>
      <text x={PAD.left - 4} y={PAD.top + plotH} text-anchor="end">0</text>
      {props.labels.map((label, i) => (
        <g>
          {props.series.map((s, k) => {
            const v = s.values[i] ?? 0;
            const x = PAD.left + i * group + group * 0.1 + k * bar;
            return (
              <rect
                x={x.toFixed(1)}
                y={y(v).toFixed(1)}
                width={bar.toFixed(1)}
                height={(PAD.top + plotH - y(v)).toFixed(1)}
                fill={s.color}
              >
                <title>{`${label} ${s.name}: ${v}`}</title>
              </rect>
            );
          })}
          {i % every === 0 && (
            <text
              x={(PAD.left + i * group + group / 2).toFixed(1)}
              y={H - PAD.bottom + 14}
              text-anchor="middle"
            >
              {label.slice(5)}
            </text>
          )}
        </g>
      ))}
      {props.series.map((s, k) => (
        <g>
          <rect x={PAD.left + k * 130} y={H - 16} width={10} height={10} fill={s.color} />
          <text x={PAD.left + k * 130 + 14} y={H - 7}>{s.name}</text>
        </g>
      ))}
    </svg>
  );
}
