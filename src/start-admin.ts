/**
 * The admin listener's wiring, kept out of app.ts: the decision history is
 * registered on the pipeline when Meridian is built (so that it holds every
 * record from the first build on), the listener starts once the source runs
 * (explanations name what the source read). The token file is read once,
 * here; a missing or unusable file stops the start (MERIDIAN_ERR_ADMIN),
 * while an address that cannot be bound is logged and leaves the listener off.
 */
import { readFile } from 'node:fs/promises';
import type { AdminServer } from './admin/admin-server';
import { startAdminServer } from './admin/admin-server';
import { BearerCheck, tokenFromFile } from './admin/bearer-token';
import { DecisionHistory } from './admin/decision-history';
import type { AdminInputs } from './admin/explain';
import { StatusPages } from './admin/status';
import type { Config } from './config/load-config';
import type { ZoneWriteState } from './delegation/delegation-writer';
import { MeridianError, messageOf } from './errors';
import type { ProbeView } from './probes/probe-stage';
import type { ProvenanceSource } from './serving/provenance';
import type { TablePipeline } from './serving/table-pipeline';
import type { TableHolder } from './table/table-holder';
import type { Logger } from './telemetry/logger';

/** The admin listener before it starts. */
export interface Admin {
  /** Starts listening (when MERIDIAN_ADMIN_LISTEN is set); resolves to null when it is off. */
  start(provenance: ProvenanceSource): Promise<AdminServer | null>;
}

/** What the admin listener reads. */
export interface AdminDeps {
  readonly pipeline: TablePipeline;
  readonly holder: TableHolder;
  readonly logger: Logger;
  /** Meridian's version, for the status page (a drill report names every cluster's). */
  readonly version: string;
  /** This cluster's delegation in each parent zone, when Meridian writes it. */
  readonly delegation: () => readonly ZoneWriteState[];
  /** The probes of each Gslb's targets, for explain. */
  readonly probes?: ProbeView;
}

async function readToken(path: string | null): Promise<string | null> {
  if (path === null) return null;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MeridianError('MERIDIAN_ERR_ADMIN', `admin token file ${path}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return tokenFromFile(text, path);
}

/** Registers the decision history; the listener starts with start(). */
export function createAdmin(config: Config, deps: AdminDeps): Admin {
  const history = new DecisionHistory();
  if (config.admin.listen !== null) deps.pipeline.onDecisions(history.listener);
  return {
    async start(provenance) {
      const listen = config.admin.listen;
      if (listen === null) return null;
      const bearer = new BearerCheck(await readToken(config.admin.tokenFile));
      const inputs: AdminInputs = {
        table: () => deps.holder.current(),
        pipeline: deps.pipeline,
        history,
        provenanceOf: (id) => provenance.provenanceOf(id),
        localGeoTag: config.clusterGeoTag,
        version: deps.version,
        delegation: deps.delegation,
        ...(deps.probes === undefined ? {} : { probes: deps.probes }),
      };
      let server: AdminServer;
      try {
        server = await startAdminServer(listen, {
          inputs,
          status: new StatusPages(inputs),
          bearer,
        });
      } catch (err) {
        // Diagnostics never cost answers: a taken admin port (a second
        // Meridian on the host's network) is logged and DNS is served without it.
        const code = err instanceof MeridianError ? err.code : 'MERIDIAN_ERR_INTERNAL';
        deps.logger.error({ code, err: messageOf(err) }, 'admin listener not started');
        return null;
      }
      deps.logger.info(
        { admin: listen, port: server.port, token: config.admin.tokenFile !== null },
        'admin listener started',
      );
      return server;
    },
  };
}
