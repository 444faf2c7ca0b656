/**
 * The agent announces itself over mDNS so the leader can list it under `/api/workers/discover`:
 * service `_colony._tcp`, instance name = unit name, TXT `unit=NAME, version=X`. bonjour-service answers
 * on port 5353 beside avahi-daemon (multicast-dns binds with reuseAddr). Failures never stop the agent.
 */
import { Bonjour } from 'bonjour-service';

export const COLONY_SERVICE_TYPE = 'colony';
/** DNS-SD needs a port; the agent serves none, so it advertises the discard port. */
export const NO_SERVICE_PORT = 9;

export interface Advertiser {
  stop(): Promise<void>;
}

export interface AdvertiseOptions {
  unit: string;
  version: string;
  port?: number;
  /** multicast-dns socket options (tests). */
  mdns?: Record<string, unknown>;
  onError?: (e: Error) => void;
}

export function advertiseUnit(o: AdvertiseOptions): Advertiser {
  const bonjour = new Bonjour(o.mdns as never, (e: Error) => o.onError?.(e));
  const service = bonjour.publish({
    name: o.unit,
    type: COLONY_SERVICE_TYPE,
    protocol: 'tcp',
    port: o.port ?? NO_SERVICE_PORT,
    txt: { unit: o.unit, version: o.version },
    // Probing would rename a clashing instance ("unit1 (2)"); the unit name must stay as configured.
    probe: false,
  });
  service.on('error', (e: Error) => o.onError?.(e));
  let stopped = false;
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        stopped = true;
        const t = setTimeout(resolve, 1000);
        bonjour.unpublishAll(() => bonjour.destroy(() => {
          clearTimeout(t);
          resolve();
        }));
      }),
  };
}
