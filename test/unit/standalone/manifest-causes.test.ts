/**
 * Why a re-read of the manifest directory changed what is served: each Gslb
 * added or changed (by content) and each one gone, scoped to that Gslb.
 */
import { manifestCauses } from '../../../src/standalone/manifest-causes';
import { gslb } from '../../helpers/table-fixtures';

test('added, changed and removed Gslbs are causes scoped to them; an unchanged one is none', () => {
  const kept = gslb('web', ['web.cloud.example.org'], ['192.0.2.1']);
  const before = [
    kept,
    gslb('api', ['api.cloud.example.org'], ['192.0.2.2']),
    gslb('old', ['old.cloud.example.org'], ['192.0.2.3']),
  ];
  const after = [
    { ...kept },
    gslb('api', ['api.cloud.example.org'], ['192.0.2.9']),
    gslb('new', ['new.cloud.example.org'], ['192.0.2.4']),
  ];
  expect(manifestCauses(before, after)).toEqual([
    {
      kind: 'gslb-changed',
      gslbs: ['api'],
      object: { kind: 'Gslb', name: 'api' },
      detail: 'changed',
    },
    {
      kind: 'gslb-changed',
      gslbs: ['new'],
      object: { kind: 'Gslb', name: 'new' },
      detail: 'added',
    },
    { kind: 'gslb-deleted', gslbs: ['old'], object: { kind: 'Gslb', name: 'old' } },
  ]);
});
