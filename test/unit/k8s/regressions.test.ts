/**
 * Regression tests, one per defect found in review of src/k8s against its
 * own documentation and k8gb's contract (k8gb-reference §1.2, §2, §4). The
 * comment above each test says what used to happen.
 */
import { GslbReconciler } from '../../../src/k8s/reconcile/gslb-reconciler';
import { ingressWrites } from '../../../src/k8s/reconcile/ingress-sync';
import type { KubeObject } from '../../../src/k8s/client/kube-api';
import type { WatchedKind } from '../../../src/k8s/ingest/object-index';
import { toGslb } from '../../../src/k8s/ingest/objects';
import { resolveGslb } from '../../../src/k8s/reconcile/resolve-gslb';
import { WriteQueue } from '../../../src/k8s/reconcile/write-queue';
import { table } from '../../helpers/table-fixtures';
import {
  ANNOTATION_EXPOSED_IPS,
  MANAGED_BY,
  backend,
  controller,
  gslbObject,
  indexOf,
  ingressObject,
  resolveContext,
  rules,
} from '../../helpers/kube-objects';

const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };

describe('WriteQueue retries', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  // The retry timer pushes the write as a new entry with attempts 0, and the
  // pump starts it at once, so the line that carries the attempt count over
  // finds nothing in `waiting`. Every retry is therefore attempt 1: the delay
  // never grows past backoffDelayMs(1) (< 400 ms) and the write is never given
  // up, so a persistently failing write (a 5xx from the apiserver, a webhook
  // that is down) is retried forever, several times a second per object, and
  // meridian_kube_writes_total{result="failed"} never counts it.
  test('a write that keeps failing is retried with growing delays and given up after maxAttempts', async () => {
    jest.useFakeTimers();
    const results: string[] = [];
    const queue = new WriteQueue({
      concurrency: 2,
      maxPending: 10,
      maxAttempts: 3,
      onResult: (_kind, result) => results.push(result),
      random: () => 0.999_999,
    });
    const started = Date.now();
    const runTimes: number[] = [];
    queue.push({
      key: 'status shop/web',
      kind: 'status',
      run: () => {
        runTimes.push(Date.now() - started);
        return Promise.resolve('retry');
      },
    });
    await jest.advanceTimersByTimeAsync(5_000);
    queue.stop();
    // Attempt 1 at once, then after backoffDelayMs(1) = 399 and backoffDelayMs(2) = 799.
    expect(runTimes).toEqual([0, 399, 1198]);
    expect(results).toEqual(['failed']);
  });

  // write-queue.ts says "A newer write for the key, queued meanwhile,
  // supersedes the retry", but the retry is only skipped when the newer write
  // is still waiting when the timer fires. A newer write pushed during the
  // backoff normally starts at once and is finished by then, so the older
  // write is sent again afterwards and overwrites the newer state (an older
  // status or Ingress spec wins until the next pass notices).
  test('a retry is dropped when a newer write for the same key was queued during its backoff', async () => {
    jest.useFakeTimers();
    const queue = new WriteQueue({
      concurrency: 2,
      maxPending: 10,
      maxAttempts: 5,
      onResult: () => undefined,
      random: () => 0.999_999,
    });
    const sent: string[] = [];
    let olderRuns = 0;
    queue.push({
      key: 'status shop/web',
      kind: 'status',
      run: () => {
        sent.push('older');
        return Promise.resolve(olderRuns++ === 0 ? 'retry' : 'done');
      },
    });
    await jest.advanceTimersByTimeAsync(0);
    queue.push({
      key: 'status shop/web',
      kind: 'status',
      run: () => {
        sent.push('newer');
        return Promise.resolve('done');
      },
    });
    await jest.advanceTimersByTimeAsync(5_000);
    queue.stop();
    expect(sent).toEqual(['older', 'newer']);
  });
});

describe('ingressWrites orphan deletion', () => {
  // isOrphan() only checks the managed-by label and that the controller uid is
  // not the uid of a watched k8gb.io Gslb; it does not check the owner's kind
  // or apiVersion. An Ingress created by a legacy k8gb.absa.oss/v1beta1 Gslb
  // (k8gb-reference §1.1: still reconciled, migrated per object) carries the
  // same label and is owned by a Gslb Meridian does not watch, so Meridian
  // deletes it: the application's Ingress disappears.
  test('an Ingress owned by a legacy k8gb.absa.oss Gslb is not deleted', () => {
    const legacy = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Gslb', 'web', 'legacy-gslb-uid', 'k8gb.absa.oss/v1beta1')],
      hosts: { 'app.cloud.example.org': ['web'] },
    });
    expect(
      ingressWrites(indexOf(['Ingress', legacy]), { synced: new Map(), announced: new Set() }),
    ).toEqual([]);
  });

  // Same cause: any controlling owner that is not a watched Gslb counts.
  test('a labelled Ingress controlled by something other than a Gslb is not deleted', () => {
    const foreign = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Application', 'web', 'app-uid', 'argoproj.io/v1alpha1')],
    });
    expect(
      ingressWrites(indexOf(['Ingress', foreign]), { synced: new Map(), announced: new Set() }),
    ).toEqual([]);
  });
});

describe('resolveGslb resourceRef selectors', () => {
  const labelled = (namespace: string, host: string): [WatchedKind, KubeObject] => [
    'Ingress',
    ingressObject(`front-${namespace}`, {
      namespace,
      labels: { app: 'web' },
      hosts: { [host]: [] },
    }),
  ];

  // k8gb-reference §1.2: a label selector lists "in the Gslb's namespace
  // only". pickOne() lists in ref.namespace, which is resourceRef.namespace
  // when set, so a selector reaches into another namespace.
  test('a label selector selects in the Gslb namespace only, whatever resourceRef.namespace says', () => {
    const gslb = gslbObject({
      resourceRef: { ...INGRESS_REF, namespace: 'other', matchLabels: { app: 'web' } },
    });
    const index = indexOf(
      ['Gslb', gslb],
      labelled('shop', 'shop.cloud.example.org'),
      labelled('other', 'other.cloud.example.org'),
    );
    expect(resolveGslb(toGslb(gslb), index, resolveContext()).hosts).toEqual([
      'shop.cloud.example.org',
    ]);
  });

  // matchesSelector() rejects an unknown operator only when it evaluates the
  // expression, i.e. for an object that passed matchLabels and the earlier
  // expressions. With no such object the Gslb is ResourceNotFound (last good
  // records dropped, a misleading message) instead of InvalidSpec; k8gb
  // validates the selector before listing.
  test.each<[string, [WatchedKind, KubeObject][]]>([
    ['no Ingress in the namespace', []],
    [
      'no Ingress passing matchLabels',
      [
        [
          'Ingress',
          ingressObject('front', { labels: { app: 'api' }, hosts: { 'a.cloud.example.org': [] } }),
        ],
      ],
    ],
  ])('an unknown selector operator is an invalid spec with %s', (_case, entries) => {
    const gslb = gslbObject({
      resourceRef: {
        ...INGRESS_REF,
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'Contains', values: ['f'] }],
      },
    });
    const resolution = resolveGslb(
      toGslb(gslb),
      indexOf(['Gslb', gslb], ...entries),
      resolveContext(),
    );
    expect([resolution.reason, resolution.message, resolution.keepLastGood]).toEqual([
      'InvalidSpec',
      'resourceRef selector: unknown operator "Contains"',
      true,
    ]);
  });
});

describe('hosts that are the same name', () => {
  // Hosts are canonicalised (lower case, no trailing dot) after the rules are
  // grouped by their raw text, so `App.cloud.example.org` and
  // `app.cloud.example.org.` in spec.ingress (whose host field has no pattern)
  // become two servers for one host. The record then lists the host twice, the
  // table refuses the second copy as "already served by Gslb shop/web", and
  // the Gslb reports Ready=False HostsNotServed against itself.
  const gslb = gslbObject({
    annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
    ingress: {
      rules: rules({ 'App.cloud.example.org': ['web'], 'app.cloud.example.org.': ['web'] }),
    },
  });

  test('are served once', () => {
    const resolution = resolveGslb(
      toGslb(gslb),
      indexOf(['Gslb', gslb], ...backend('web')),
      resolveContext(),
    );
    expect(resolution.hosts).toEqual(['app.cloud.example.org']);
    expect(resolution.records.flatMap((r) => r.hosts)).toEqual(['app.cloud.example.org']);
  });

  test('do not make the Gslb conflict with itself', () => {
    const reconciler = new GslbReconciler({
      context: resolveContext(),
      geoTag: 'eu',
      now: () => new Date(0),
      serve: (records) => table([...records]).problems,
    });
    const result = reconciler.pass(indexOf(['Gslb', gslb], ...backend('web')));
    expect(result.resolutions.get('shop/web')?.reason).toBe('Serving');
  });
});

describe('GslbReconciler status memory', () => {
  // `written` (status JSON known to be written) is keyed by namespace/name,
  // not uid, and is cleared only when a pass sees the key absent or the object
  // carrying the status. A Gslb deleted and created again under the same name
  // between two passes (kubectl replace --force, a GitOps re-create; one
  // debounce window) inherits the entry: its desired status is the same apart
  // from lastTransitionTime, which the comparison strips, so it is never
  // written and the new object has no status or Ready condition.
  test('a Gslb recreated under the same name between two passes gets its status', () => {
    const reconciler = new GslbReconciler({
      context: resolveContext(),
      geoTag: 'eu',
      now: () => new Date('2026-03-01T00:00:00Z'),
      serve: () => [],
    });
    const make = (uid: string): KubeObject =>
      gslbObject({
        uid,
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
        ingress: { rules: rules({ 'app.cloud.example.org': ['web'] }) },
      });
    const first = reconciler.pass(indexOf(['Gslb', make('old-uid')], ...backend('web')));
    const status = first.writes.find((w) => w.kind === 'status');
    status?.onSuccess?.({});
    const second = reconciler.pass(indexOf(['Gslb', make('new-uid')], ...backend('web')));
    expect(second.writes.filter((w) => w.kind === 'status')).toHaveLength(1);
  });
});
