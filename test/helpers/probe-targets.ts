/**
 * HTTP servers standing for the targets a probe checks: one per address on a
 * shared port, each answering 200, stopped and started again by the test (a
 * dead ingress controller, a stopped VM).
 */
import { createServer, type Server } from 'node:http';
import { freePort } from '../../harness/processes';

export interface ProbeTargets {
  readonly port: number;
  /** Starts answering on `address` (again). */
  serve(address: string): Promise<void>;
  /** Stops answering on `address`: its probe is then refused. */
  stop(address: string): Promise<void>;
  /** Stops every server still running. */
  close(): Promise<void>;
}

export async function probeTargets(): Promise<ProbeTargets> {
  const port = await freePort();
  const servers = new Map<string, Server>();
  const stop = async (address: string): Promise<void> => {
    const server = servers.get(address);
    servers.delete(address);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  };
  return {
    port,
    serve: (address) =>
      new Promise((resolve, reject) => {
        const server = createServer((_req, res) => res.writeHead(200).end('ok'));
        server.once('error', reject);
        server.listen(port, address, () => resolve());
        servers.set(address, server);
      }),
    stop,
    close: async () => {
      for (const address of [...servers.keys()]) await stop(address);
    },
  };
}
