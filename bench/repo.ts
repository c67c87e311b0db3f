/**
 * Where the repository is, and the CoreDNS binary the shared test helpers
 * start (./run.sh bench sets MERIDIAN_COREDNS_BIN already; npm run bench may not).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/processes';

/** The repository root. */
export const REPO = REPO_ROOT;

/** Checks that dist/ is built and that the CoreDNS binary is known. */
export function alignTestHelpersWithRepo(): void {
  if (!existsSync(join(REPO, 'dist', 'main.js'))) {
    throw new Error(`${join(REPO, 'dist', 'main.js')} is missing: run npm run build first`);
  }
  if ((process.env['MERIDIAN_COREDNS_BIN'] ?? '') === '') {
    process.env['MERIDIAN_COREDNS_BIN'] = execFileSync(join(REPO, 'scripts', 'build-coredns.sh'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 15 * 60_000,
    }).trim();
  }
}
