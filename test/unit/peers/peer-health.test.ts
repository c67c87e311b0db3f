/**
 * Hysteresis: a peer goes down only after `downAfter` failed polls in a row
 * and comes back after `upAfter` answered polls in a row; a poll with no
 * verdict changes nothing; the first answer ever brings a peer up at once.
 */
import { PeerHealth, type PollVerdict } from '../../../src/peers/peer-health';

/** Feeds `verdicts` and returns the state after each. */
function run(health: PeerHealth, verdicts: PollVerdict[]): string[] {
  return verdicts.map((v) => {
    health.record(v);
    return health.state;
  });
}

test('a new peer is down until its first answer, which brings it up at once', () => {
  const health = new PeerHealth({ downAfter: 2, upAfter: 3 });
  expect(health.state).toBe('down');
  expect(run(health, ['failed', 'failed', 'none', 'answered'])).toEqual([
    'down',
    'down',
    'down',
    'up',
  ]);
});

test('down only after downAfter consecutive failed polls; an answer in between resets the count', () => {
  const health = new PeerHealth({ downAfter: 3, upAfter: 1 });
  health.record('answered');
  expect(run(health, ['failed', 'failed', 'answered', 'failed', 'failed', 'failed'])).toEqual([
    'up',
    'up',
    'up',
    'up',
    'up',
    'down',
  ]);
});

test('up again only after upAfter consecutive answered polls; a failure in between resets the count', () => {
  const health = new PeerHealth({ downAfter: 1, upAfter: 2 });
  health.record('answered');
  health.record('failed');
  expect(health.state).toBe('down');
  expect(run(health, ['answered', 'failed', 'answered', 'answered'])).toEqual([
    'down',
    'down',
    'down',
    'up',
  ]);
});

test('polls without a verdict neither count nor reset', () => {
  const health = new PeerHealth({ downAfter: 2, upAfter: 2 });
  health.record('answered');
  expect(run(health, ['failed', 'none', 'none', 'failed'])).toEqual(['up', 'up', 'up', 'down']);
  expect(run(health, ['answered', 'none', 'answered'])).toEqual(['down', 'down', 'up']);
});

test('record() says whether the state changed', () => {
  const health = new PeerHealth({ downAfter: 1, upAfter: 1 });
  expect(health.record('failed')).toBe(false);
  expect(health.record('answered')).toBe(true);
  expect(health.record('answered')).toBe(false);
  expect(health.record('failed')).toBe(true);
  expect(health.record('none')).toBe(false);
});

test('an alternating peer never flaps with thresholds of 2', () => {
  const health = new PeerHealth({ downAfter: 2, upAfter: 2 });
  health.record('answered');
  const states = run(
    health,
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'failed' : 'answered')),
  );
  expect(new Set(states)).toEqual(new Set(['up']));
});
