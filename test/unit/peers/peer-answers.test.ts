/**
 * One peer's answers, table-driven: each case is a script of outcomes and
 * state changes, and what is served for one host afterwards.
 */
import type { QueryOutcome } from '../../../src/dns/client-message';
import { PeerAnswers, sameServed } from '../../../src/peers/peer-answers';

const HOST = 'app.cloud.example.org';
const answer = (...addresses: string[]): QueryOutcome => ({
  ok: true,
  rcode: 'NOERROR',
  addresses,
  transport: 'udp',
});
const NXDOMAIN: QueryOutcome = { ok: true, rcode: 'NXDOMAIN', addresses: [], transport: 'udp' };
const TIMEOUT: QueryOutcome = { ok: false, failure: 'timeout', detail: 'no reply' };

type Step =
  | { readonly a: QueryOutcome }
  | { readonly aaaa: QueryOutcome }
  | { readonly down: true }
  | { readonly forget: true };

function run(steps: readonly Step[], up = true, downAfter = 2): readonly string[] {
  const answers = new PeerAnswers(downAfter);
  steps.forEach((step, i) => {
    if ('a' in step) answers.record(HOST, 'A', step.a, i);
    else if ('aaaa' in step) answers.record(HOST, 'AAAA', step.aaaa, i);
    else if ('down' in step) answers.wentDown();
    else answers.keepOnly(new Set(['other.cloud.example.org']));
  });
  return answers.servedAddresses(HOST, up);
}

test.each<[string, readonly Step[], boolean, readonly string[]]>([
  [
    'an answer is served, sorted',
    [{ a: answer('10.0.0.2', '10.0.0.1') }],
    true,
    ['10.0.0.1', '10.0.0.2'],
  ],
  [
    'A then AAAA, in that order',
    [{ aaaa: answer('2001:db8::1') }, { a: answer('10.0.0.1') }],
    true,
    ['10.0.0.1', '2001:db8::1'],
  ],
  [
    'a newer answer replaces the last',
    [{ a: answer('10.0.0.1') }, { a: answer('10.0.0.9') }],
    true,
    ['10.0.0.9'],
  ],
  [
    'NXDOMAIN replaces the last answer with nothing',
    [{ a: answer('10.0.0.1') }, { a: NXDOMAIN }],
    true,
    [],
  ],
  [
    'one failure keeps the last answer',
    [{ a: answer('10.0.0.1') }, { a: TIMEOUT }],
    true,
    ['10.0.0.1'],
  ],
  [
    'downAfter failures in a row forget it',
    [{ a: answer('10.0.0.1') }, { a: TIMEOUT }, { a: TIMEOUT }],
    true,
    [],
  ],
  [
    'an answer between failures starts the count again',
    [{ a: answer('10.0.0.1') }, { a: TIMEOUT }, { a: answer('10.0.0.1') }, { a: TIMEOUT }],
    true,
    ['10.0.0.1'],
  ],
  ['nothing is served while the peer is down', [{ a: answer('10.0.0.1') }], false, []],
  [
    'answers from before the peer went down are never served again',
    [{ a: answer('10.0.0.1') }, { down: true }],
    true,
    [],
  ],
  [
    'answers received since it went down are served',
    [{ a: answer('10.0.0.1') }, { down: true }, { a: answer('10.0.0.2') }],
    true,
    ['10.0.0.2'],
  ],
  [
    'a host no longer asked about is forgotten',
    [{ a: answer('10.0.0.1') }, { forget: true }],
    true,
    [],
  ],
])('%s', (_name, steps, up, expected) => {
  expect(run(steps, up)).toEqual(expected);
});

test('the last success of a host is its latest answer of either type', () => {
  const answers = new PeerAnswers(2);
  expect(answers.lastSuccessMs(HOST)).toBeNull();
  answers.record(HOST, 'A', answer('10.0.0.1'), 100);
  answers.record(HOST, 'AAAA', answer(), 250);
  answers.record(HOST, 'A', TIMEOUT, 300);
  expect(answers.lastSuccessMs(HOST)).toBe(250);
});

test('served states compare by state and by each host addresses', () => {
  const answers = new PeerAnswers(2);
  answers.record(HOST, 'A', answer('10.0.0.1'), 1);
  const before = answers.served(true);
  expect(sameServed(before, answers.served(true))).toBe(true);
  expect(sameServed(before, answers.served(false))).toBe(false);
  answers.record(HOST, 'A', answer('10.0.0.2'), 2);
  expect(sameServed(before, answers.served(true))).toBe(false);
  expect([...answers.served(true).hosts]).toEqual([[HOST, '10.0.0.2']]);
});
