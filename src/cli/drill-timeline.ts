/**
 * The drill as an SVG picture: one lane per server, coloured by the clusters
 * it answered (the drained cluster always the same orange, an unanswered
 * query red, an empty answer grey), with the drain, the expiry of the old
 * TTL, the moment every server had switched and the undrain drawn across all
 * lanes. Self-contained (no script, no external font or style), so that it
 * renders the same in a browser, a Markdown viewer and an audit archive.
 */
import type { DrillReport } from './drill-report';

const WIDTH = 960;
const LABEL_WIDTH = 170;
const LANE_HEIGHT = 26;
const LANE_GAP = 8;
const TOP = 62;
const RIGHT = 20;
const DRAINED_COLOUR = '#e8870e';
const FAILED_COLOUR = '#d62728';
const EMPTY_COLOUR = '#9e9e9e';
/** Colours of the other clusters, in the order of their names. */
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b', '#bcbd22', '#e377c2'];

/** The timeline of `report` as an SVG document. */
export function drawTimeline(report: DrillReport): string {
  const start = seconds(report, 'startedAt') ?? 0;
  const end = Math.max(seconds(report, 'finishedAt') ?? start + 1, start + 1);
  const x = (t: number): number =>
    LABEL_WIDTH + ((t - start) / (end - start)) * (WIDTH - LABEL_WIDTH - RIGHT);
  const colour = colours(report);
  const lanesBottom = TOP + report.servers.length * (LANE_HEIGHT + LANE_GAP);
  const height = lanesBottom + 70;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escape(report.summary)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(`${report.failedCluster} drained for ${report.host}: ${report.outcome.toUpperCase()}`)}</text>`,
  ];
  report.servers.forEach((server, i) => {
    const y = TOP + i * (LANE_HEIGHT + LANE_GAP);
    parts.push(
      `<text x="10" y="${y + LANE_HEIGHT / 2 + 4}">${escape(server.server)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${WIDTH - LABEL_WIDTH - RIGHT}" height="${LANE_HEIGHT}" fill="#f4f4f4"/>`,
    );
    for (const segment of server.segments) {
      const from = x(segment.fromSeconds);
      // A run of one sample still covers the poll interval it stands for.
      const to = Math.min(
        Math.max(x(segment.toSeconds + report.pollIntervalMs / 1000), from + 1),
        WIDTH - RIGHT,
      );
      const fill =
        segment.kind === 'failed'
          ? FAILED_COLOUR
          : segment.kind === 'empty'
            ? EMPTY_COLOUR
            : colour(segment.clusters);
      const label = segment.kind === 'answer' ? segment.clusters.join('+') : segment.kind;
      parts.push(
        `<rect x="${fixed(from)}" y="${y}" width="${fixed(to - from)}" height="${LANE_HEIGHT}" fill="${fill}"><title>${escape(`${label}: ${segment.fromSeconds} s to ${segment.toSeconds} s, ${segment.samples} answers`)}</title></rect>`,
      );
      if (to - from > 28)
        parts.push(
          `<text x="${fixed(from + 4)}" y="${y + LANE_HEIGHT / 2 + 4}" fill="#ffffff">${escape(label)}</text>`,
        );
    }
  });
  parts.push(...marks(report, x, lanesBottom), ...axis(start, end, x, lanesBottom), '</svg>');
  return `${parts.join('\n')}\n`;
}

/** Seconds from the drain of one of the report's times (the lanes' time base). */
function seconds(report: DrillReport, name: keyof DrillReport['times']): number | null {
  const value = report.times[name];
  const zero = report.times.drainedAt ?? report.times.startedAt;
  if (value === null || zero === null) return null;
  return (Date.parse(value) - Date.parse(zero)) / 1000;
}

function colours(report: DrillReport): (clusters: readonly string[]) => string {
  const others = [...new Set(report.clusters.map((c) => c.geoTag))]
    .filter((tag) => tag !== report.failedCluster)
    .sort();
  return (clusters) => {
    if (clusters.includes(report.failedCluster)) return DRAINED_COLOUR;
    const index = others.indexOf(clusters[0] ?? '');
    return index === -1 ? '#555555' : PALETTE[index % PALETTE.length]!;
  };
}

function marks(report: DrillReport, x: (t: number) => number, bottom: number): string[] {
  const named: [keyof DrillReport['times'], string, string][] = [
    ['drainedAt', 'drain', '#000000'],
    ['ttlExpiresAt', 'old TTL expires', '#555555'],
    ['switchedAt', 'all switched', '#1f77b4'],
    ['undrainedAt', 'undrain', '#000000'],
  ];
  const parts: string[] = [];
  named.forEach(([name, label, stroke], i) => {
    const t = seconds(report, name);
    if (t === null) return;
    const at = fixed(x(t));
    parts.push(
      `<line x1="${at}" y1="${TOP - 6 - (i % 2) * 13}" x2="${at}" y2="${bottom}" stroke="${stroke}" stroke-dasharray="4 3"/>`,
      // Alternate heights, so that two marks a moment apart stay readable.
      `<text x="${at}" y="${TOP - 10 - (i % 2) * 13}" font-size="11">${escape(label)}</text>`,
    );
  });
  return parts;
}

function axis(start: number, end: number, x: (t: number) => number, bottom: number): string[] {
  const span = end - start;
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => span / s <= 12) ?? 1200;
  const parts = [
    `<line x1="${LABEL_WIDTH}" y1="${bottom}" x2="${WIDTH - RIGHT}" y2="${bottom}" stroke="#000000"/>`,
  ];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step)
    parts.push(
      `<line x1="${fixed(x(t))}" y1="${bottom}" x2="${fixed(x(t))}" y2="${bottom + 5}" stroke="#000000"/>`,
      `<text x="${fixed(x(t))}" y="${bottom + 18}" text-anchor="middle">${t} s</text>`,
    );
  parts.push(
    `<text x="${LABEL_WIDTH}" y="${bottom + 40}">seconds from the drain; orange: the drained cluster; red: no answer; grey: no address</text>`,
  );
  return parts;
}

function fixed(value: number): string {
  return value.toFixed(1);
}

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
