/**
 * Where the repository is, and the checks that the things the shared test
 * helpers start are built before any measurement begins.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { coreDnsBinary, REPO_ROOT } from '../harness/processes';

/** The repository root. */
export const REPO = REPO_ROOT;

/** Checks that dist/ is built, and builds CoreDNS now if needed rather than mid-run. */
export function alignTestHelpersWithRepo(): void {
  if (!existsSync(join(REPO, 'dist', 'main.js'))) {
    throw new Error(`${join(REPO, 'dist', 'main.js')} is missing: run npm run build first`);
  }
  coreDnsBinary();
}
