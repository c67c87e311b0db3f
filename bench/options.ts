/**
 * The bench's settings, from environment variables:
 *   BENCH_SIZES    comma-separated host-name counts (default 1,1000,10000)
 *   BENCH_SECONDS  length of each dnsperf run (default 10)
 *   BENCH_REPEATS  repetitions per system and size (default 3)
 *   BENCH_SMOKE=1  a quick end-to-end pass for CI: 1000 names, 2 s runs,
 *                  1 repetition, nothing written (the variables above still win)
 */

/** Parsed settings. */
export interface BenchOptions {
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly repeats: number;
  readonly smoke: boolean;
}

const DEFAULTS = { sizes: '1,1000,10000', seconds: '10', repeats: '3' };
const SMOKE_DEFAULTS = { sizes: '1000', seconds: '2', repeats: '1' };

/** Reads the settings from `env`; throws on a malformed value. */
export function parseOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const smoke = env['BENCH_SMOKE'] === '1';
  const defaults = smoke ? SMOKE_DEFAULTS : DEFAULTS;
  const setting = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  };
  return {
    sizes: setting('BENCH_SIZES', defaults.sizes)
      .split(',')
      .map((size) => positiveInteger('BENCH_SIZES', size.trim())),
    seconds: positiveInteger('BENCH_SECONDS', setting('BENCH_SECONDS', defaults.seconds)),
    repeats: positiveInteger('BENCH_REPEATS', setting('BENCH_REPEATS', defaults.repeats)),
    smoke,
  };
}

function positiveInteger(name: string, text: string): number {
  if (!/^[1-9]\d*$/.test(text))
    throw new Error(`${name}: expected positive integers, found ${JSON.stringify(text)}`);
  return Number(text);
}
