/**
 * Charts drawn on the server as SVG: nothing from a CDN, no script in the browser. Every chart has
 * a <title> tooltip on each mark (the browser shows it on hover and screen readers read it), an
 * aria-label that says what the chart shows, and the same figures as a table behind a <details>.
 *
 * @example
 * <DailyChart title="Scans per day" kind="bar" points={[{ day: '2026-10-31', value: 12 }]} />
 */

export type DailyPoint = { day: string; value: number }

/**
 * Drawing units of a daily chart; the SVG scales to its container, which the dashboard keeps near
 * this width (two charts a row), so 12 units of text stay about 12 px on screen.
 */
const DAILY_WIDTH = 480
const DAILY_HEIGHT = 180
const MARGIN = { top: 12, right: 10, bottom: 26, left: 46 }
/** The funnel spans the page. */
const FUNNEL_WIDTH = 640
/** Day labels under the x axis: at most this many, evenly spaced. */
const MAX_X_LABELS = 7
const BAR_COLOUR = '#2563eb'
const LINE_COLOUR = '#0f766e'
const GRID_COLOUR = '#e2e8f0'
const AXIS_TEXT = '#475569'

/** 1234567 → '1,234,567' (the console is English; toLocaleString costs ~5 µs a call). */
export function formatNumber(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** 0.4567 → '45.7%'; null → '—'. */
export function formatPercent(fraction: number | null): string {
  return fraction === null || !Number.isFinite(fraction) ? '—' : `${(fraction * 100).toFixed(1)}%`
}

/**
 * Y-axis ticks from 0 to at least `max`, on a 1-2-5 step, whole numbers only.
 *
 * @example
 * niceTicks(0) // [0, 1]
 * niceTicks(7) // [0, 2, 4, 6, 8]
 * niceTicks(1234) // [0, 500, 1000, 1500]
 */
export function niceTicks(max: number, target = 4): number[] {
  if (!(max > 0)) return [0, 1]
  const rough = max / target
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude)
  const top = Math.ceil(max / step) * step
  const ticks: number[] = []
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v))
  return ticks
}

/** Compact axis labels: 1500 → '1.5k', 2000000 → '2M'. */
export function formatTick(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))}M`
  if (n >= 1e4) return `${Number((n / 1e3).toFixed(0))}k`
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`
  return String(n)
}

/** Indexes of the days labelled under the x axis: the first, the last, and evenly between. */
export function labelledIndexes(n: number, max = MAX_X_LABELS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i)
  const step = Math.ceil((n - 1) / (max - 1))
  const out: number[] = []
  for (let i = 0; i < n - 1; i += step) out.push(i)
  // Keep the last day, dropping an inner label that would crowd it.
  if (n - 1 - out.at(-1)! < step / 2) out.pop()
  out.push(n - 1)
  return out
}

export type DailyChartProps = {
  title: string
  /** A stable name for the figure (data-chart), for tests and styling. */
  name?: string
  points: DailyPoint[]
  kind: 'bar' | 'line'
  /** Words after a number in a tooltip ('scans'). */
  unit: string
  /** Shown instead of the drawing when every value is zero. */
  emptyText?: string
  /** The range's figure when it is not the sum of the days (distinct counts): '5 over the range'. */
  total?: string
}

/** One value per day, as bars or a line, with axes, gridlines, tooltips and a table fallback. */
export function DailyChart(props: DailyChartProps) {
  const { points } = props
  const max = Math.max(0, ...points.map((p) => p.value))
  const total = points.reduce((s, p) => s + p.value, 0)
  const ticks = niceTicks(max)
  const top = ticks.at(-1)!
  const plotW = DAILY_WIDTH - MARGIN.left - MARGIN.right
  const plotH = DAILY_HEIGHT - MARGIN.top - MARGIN.bottom
  const slot = points.length > 0 ? plotW / points.length : plotW
  const x = (i: number) => MARGIN.left + slot * i + slot / 2
  const y = (v: number) => MARGIN.top + plotH - (v / top) * plotH
  const peak = points.reduce<DailyPoint | undefined>(
    (best, p) => (!best || p.value > best.value ? p : best),
    undefined,
  )
  const totalText = props.total ?? `total ${formatNumber(total)}`
  const label =
    total === 0
      ? `${props.title}: none in this range`
      : `${props.title}: ${totalText}, ${points.length} days, most on ${peak!.day} (${formatNumber(peak!.value)})`
  const tip = (p: DailyPoint) => `${p.day}: ${formatNumber(p.value)} ${props.unit}`
  return (
    <figure class="chart" style="margin:0 0 1.25rem" data-chart={props.name}>
      <figcaption style="font-weight:600;margin-bottom:0.3rem">
        {props.title} <span class="muted">· {totalText}</span>
      </figcaption>
      {total === 0 ? (
        <div class="empty">{props.emptyText ?? `No ${props.unit} in this range.`}</div>
      ) : (
        <svg
          xmlns="http://www.w3.org/2000/svg"
          viewBox={`0 0 ${DAILY_WIDTH} ${DAILY_HEIGHT}`}
          width="100%"
          role="img"
          aria-label={label}
          style={`max-width:${DAILY_WIDTH}px;height:auto;display:block`}
          font-size="12"
          font-family="system-ui, sans-serif"
        >
          <g data-axis="y">
            {ticks.map((t) => (
              <g>
                <line
                  x1={MARGIN.left}
                  x2={DAILY_WIDTH - MARGIN.right}
                  y1={y(t).toFixed(1)}
                  y2={y(t).toFixed(1)}
                  stroke={GRID_COLOUR}
                />
                <text x={MARGIN.left - 6} y={(y(t) + 4).toFixed(1)} text-anchor="end" fill={AXIS_TEXT}>
                  {formatTick(t)}
                </text>
              </g>
            ))}
          </g>
          <line
            x1={MARGIN.left}
            x2={DAILY_WIDTH - MARGIN.right}
            y1={MARGIN.top + plotH}
            y2={MARGIN.top + plotH}
            stroke={AXIS_TEXT}
          />
          <g data-axis="x">
            {labelledIndexes(points.length).map((i) => (
              <text x={x(i).toFixed(1)} y={DAILY_HEIGHT - 8} text-anchor="middle" fill={AXIS_TEXT}>
                {points[i]!.day.slice(5)}
              </text>
            ))}
          </g>
          {props.kind === 'bar' ? (
            <g fill={BAR_COLOUR} data-marks="bar">
              {points.map((p, i) => {
                const h = (p.value / top) * plotH
                const w = Math.max(1, slot * 0.8)
                return (
                  <rect
                    x={(x(i) - w / 2).toFixed(1)}
                    y={(MARGIN.top + plotH - h).toFixed(1)}
                    width={w.toFixed(1)}
                    height={h.toFixed(1)}
                  >
                    <title>{tip(p)}</title>
                  </rect>
                )
              })}
            </g>
          ) : (
            <g data-marks="line">
              <polyline
                fill="none"
                stroke={LINE_COLOUR}
                stroke-width="2"
                stroke-linejoin="round"
                points={points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')}
              />
              <g fill={LINE_COLOUR}>
                {points.map((p, i) => (
                  <circle cx={x(i).toFixed(1)} cy={y(p.value).toFixed(1)} r={points.length > 120 ? 1.5 : 3}>
                    <title>{tip(p)}</title>
                  </circle>
                ))}
              </g>
            </g>
          )}
        </svg>
      )}
      <details>
        <summary>{props.title} as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                {props.unit}
              </th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr>
                <td>{p.day}</td>
                <td class="num">{formatNumber(p.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}

export type FunnelStep = {
  label: string
  /** What exactly is counted, shown under the chart. */
  definition: string
  value: number
  /** False when the figure is an estimate (shown with ≈). */
  exact: boolean
}

const FUNNEL_ROW = 34
const FUNNEL_LABEL_W = 150
const FUNNEL_VALUE_W = 190

/** Conversion of each step from the one before; null for the first step or after a zero. */
export function conversions(values: number[]): (number | null)[] {
  return values.map((v, i) => (i === 0 || values[i - 1]! === 0 ? null : v / values[i - 1]!))
}

/** A funnel: one bar per step, its width relative to the first step, with the step's conversion. */
export function FunnelChart(props: { title: string; steps: FunnelStep[] }) {
  const values = props.steps.map((s) => s.value)
  const rates = conversions(values)
  const first = Math.max(1, ...values)
  const barW = FUNNEL_WIDTH - FUNNEL_LABEL_W - FUNNEL_VALUE_W
  const height = props.steps.length * FUNNEL_ROW + 8
  const shown = (s: FunnelStep) => `${s.exact ? '' : '≈ '}${formatNumber(s.value)}`
  const rateText = (i: number) =>
    rates[i] === null ? '' : ` · ${formatPercent(rates[i]!)} of the step before`
  return (
    <figure class="chart" style="margin:0 0 1.25rem">
      <figcaption style="font-weight:600;margin-bottom:0.3rem">{props.title}</figcaption>
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${FUNNEL_WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-label={`${props.title}: ${props.steps.map((s, i) => `${s.label} ${shown(s)}${rateText(i)}`).join('; ')}`}
        style={`max-width:${FUNNEL_WIDTH}px;height:auto;display:block`}
        font-size="12"
        font-family="system-ui, sans-serif"
      >
        {props.steps.map((s, i) => {
          const w = Math.max(2, (s.value / first) * barW)
          const yTop = 4 + i * FUNNEL_ROW
          return (
            <g data-step={String(i)}>
              <text x="0" y={yTop + 19} fill="#1d232b">
                {s.label}
              </text>
              <rect
                x={FUNNEL_LABEL_W + (barW - w) / 2}
                y={yTop}
                width={w.toFixed(1)}
                height={FUNNEL_ROW - 8}
                fill="#6366f1"
              >
                <title>{`${s.label}: ${shown(s)}${rateText(i)}`}</title>
              </rect>
              <text x={FUNNEL_LABEL_W + barW + 8} y={yTop + 19} fill="#1d232b">
                {shown(s)}
                {rates[i] === null ? '' : ` (${formatPercent(rates[i]!)})`}
              </text>
            </g>
          )
        })}
      </svg>
      <table>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Counted as</th>
            <th scope="col" class="num">
              Number
            </th>
            <th scope="col" class="num">
              Of the step before
            </th>
            <th scope="col" class="num">
              Of the first step
            </th>
          </tr>
        </thead>
        <tbody>
          {props.steps.map((s, i) => (
            <tr data-step={String(i)}>
              <td>{s.label}</td>
              <td class="muted">{s.definition}</td>
              <td class="num">{shown(s)}</td>
              <td class="num">{formatPercent(rates[i] ?? null)}</td>
              <td class="num">{i === 0 || values[0] === 0 ? '—' : formatPercent(s.value / values[0]!)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}

/** A small horizontal bar for a table cell; `fraction` of the full width, clamped to 0..1. */
export function MeterBar(props: { fraction: number; label: string; colour?: string }) {
  const f = Math.max(0, Math.min(1, Number.isFinite(props.fraction) ? props.fraction : 0))
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 100 10"
      width="120"
      height="12"
      role="img"
      aria-label={props.label}
      style="vertical-align:middle"
    >
      <rect width="100" height="10" fill="#e2e8f0" rx="2" />
      <rect width={(f * 100).toFixed(1)} height="10" fill={props.colour ?? BAR_COLOUR} rx="2">
        <title>{props.label}</title>
      </rect>
    </svg>
  )
}
