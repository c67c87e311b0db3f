/**
 * The drill report for people: the verdict and its findings, the timeline,
 * a table of timings per server, the clusters' versions and generations, the
 * decision records of each cluster, and what the drill evidences under DORA
 * (Regulation (EU) 2022/2554) and its RTS on ICT risk management
 * ((EU) 2024/1774). The mapping names what the report shows; whether it is
 * enough for a given firm is that firm's call.
 */
import type { DrillDecision } from './drill-plan';
import type { DrillReport, DrillTiming } from './drill-report';

/** The report as Markdown; `timelineFile` is the SVG beside it. */
export function formatDrillMarkdown(report: DrillReport, timelineFile: string): string {
  return [
    `# Failover drill: ${report.failedCluster} drained for ${report.host}: ${report.outcome.toUpperCase()}`,
    '',
    report.summary,
    '',
    ...subject(report),
    '',
    '## Findings',
    '',
    ...(report.findings.length === 0
      ? ['None: every server switched within the objective and back, with no query unanswered.']
      : report.findings.map((f) => `- ${f}`)),
    '',
    '## Timeline',
    '',
    `![Which cluster each server answered, from the drain to the return](${timelineFile})`,
    '',
    ...timings(report),
    '',
    ...clusters(report),
    '',
    ...decisions(report),
    '',
    ...regulation(report),
    '',
  ].join('\n');
}

function subject(report: DrillReport): string[] {
  const t = report.times;
  return [
    '| | |',
    '|---|---|',
    `| Gslb | ${report.gslb} (${report.strategy}, TTL ${report.ttlSeconds} s) |`,
    `| Host | ${report.host} (${report.type}) |`,
    `| Drained | ${report.failedCluster}, through ${report.drainedVia}, by ${report.requestedBy} |`,
    `| Standing clusters | ${report.standingClusters.join(', ')} |`,
    `| Objective | every server switched and back within ${report.objectiveSeconds} s; hold ${report.holdSeconds} s; sampled every ${report.pollIntervalMs} ms |`,
    `| Started | ${t.startedAt ?? '-'} |`,
    `| Drained at | ${t.drainedAt ?? 'not drained'} (old TTL expired ${t.ttlExpiresAt ?? '-'}; ${report.failedCluster} withdrew itself ${t.withdrawnAt ?? 'at a time its records do not show'}) |`,
    `| Undrained at | ${t.undrainedAt ?? (report.undrained ? '-' : '**NOT UNDRAINED**')} |`,
    `| Finished | ${t.finishedAt ?? '-'} |`,
  ];
}

function timings(report: DrillReport): string[] {
  const cell = (timing: DrillTiming | null): string =>
    timing === null
      ? '-'
      : `${timing.seconds}${timing.withinObjective ? '' : ' (over)'} | ${timing.meridianSeconds ?? '?'} | ${timing.propagationSeconds ?? '?'}`;
  return [
    '## Timings per server',
    '',
    'Seconds from the drain (undrain) to the first answer of the new kind; "TTL wait" is until the',
    "drained cluster's own table changed (the old TTL, on a drain), the rest is peers and caches following.",
    '',
    '| Server | Before | Fail over | TTL wait | Rest | Fail back | Wait | Rest | Queries | Unanswered | Empty |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.servers.map(
      (s) =>
        `| ${s.server} | ${s.before.join('+') || '-'} | ${cell(s.failover)}${s.failover === null ? ' | - | -' : ''} | ${cell(s.failback)}${s.failback === null ? ' | - | -' : ''} | ${s.queries} | ${s.failed} | ${s.empty} |`,
    ),
  ];
}

function clusters(report: DrillReport): string[] {
  return [
    '## Clusters',
    '',
    '| Cluster | Admin listener | Meridian | Table generation | Gslb generation | Targets |',
    '|---|---|---|---|---|---|',
    ...report.clusters.map(
      (c) =>
        `| ${c.geoTag} | ${c.admin} | ${c.version ?? '?'} | ${c.table?.generation ?? '?'} | ${c.gslbGeneration ?? '?'} | ${c.targets.join(', ') || '-'} |`,
    ),
  ];
}

function decisions(report: DrillReport): string[] {
  const lines = ['## Decision records', ''];
  for (const cluster of report.decisions) {
    lines.push(`### ${cluster.geoTag}`, '');
    if (cluster.error !== undefined) lines.push(`Not read: ${cluster.error}`, '');
    if (cluster.records.length === 0) {
      lines.push('No change of this host during the drill.', '');
      continue;
    }
    lines.push('| Time | Before | After | TTL | Causes |', '|---|---|---|---|---|');
    for (const record of cluster.records) lines.push(recordRow(record));
    lines.push('');
  }
  return lines;
}

function recordRow(record: DrillDecision): string {
  const causes = record.causes
    .map((c) => (c.requestedBy === null ? c.kind : `${c.kind} (by ${c.requestedBy})`))
    .join(', ');
  const ttl = record.ttl === null ? '' : `${record.ttl.before} → ${record.ttl.after} s`;
  return `| ${record.time} | ${record.before.join(', ') || '-'} | ${record.after.join(', ') || '-'} | ${ttl} | ${causes} |`;
}

function regulation(report: DrillReport): string[] {
  const records = report.decisions.reduce((n, d) => n + d.records.length, 0);
  return [
    '## What this drill evidences',
    '',
    '- **DORA Art. 11(6)(a)**, testing the ICT business continuity and response and recovery plans at',
    '  least yearly and after substantive changes: this report is one such test of switching',
    `  ${report.host} from ${report.failedCluster} to redundant capacity (${report.standingClusters.join(', ')}) and back,`,
    `  dated ${report.times.startedAt ?? '-'}, against Gslb generation(s) ${[...new Set(report.clusters.map((c) => c.gslbGeneration ?? '?'))].join(', ')} and Meridian`,
    `  ${[...new Set(report.clusters.map((c) => c.version ?? '?'))].join(', ')}. Rerun it after a change to the Gslb, the clusters or Meridian.`,
    '- **DORA Art. 11(8)**, readily accessible records of activities before and during a disruption:',
    `  the ${records} decision records above (each also in its cluster's audit file, hash-chained) say`,
    '  when each cluster changed its answer, why, and who asked; the lanes say what clients were told.',
    '- **RTS (EU) 2024/1774 Art. 25**, testing business continuity plans including switchover to',
    '  redundant capacity, with results documented and deficiencies analysed: the timings per server',
    `  against the objective of ${report.objectiveSeconds} s are the result; the findings are the deficiencies`,
    '  to analyse and report to the management body.',
  ];
}
