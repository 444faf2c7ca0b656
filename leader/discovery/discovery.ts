/**
 * Finding units on the network (ARCHITECTURE.md §2 "discovery (mDNS)"). Agents advertise `_colony._tcp` with
 * TXT `unit=NAME, version=X`; the leader browses. Behind the `Discovery` interface: `BonjourDiscovery`
 * (bonjour-service, pure JS, coexists with avahi-daemon on port 5353), `MemoryDiscovery` (tests, and
 * machines where multicast is blocked), and `StaticDiscovery` (the `[discovery] static_workers` list).
 */
import { Bonjour, type Service } from 'bonjour-service';
import { isUnitName } from '../../shared/ids.js';

/** The DNS-SD service type (`_colony._tcp`). */
export const SERVICE_TYPE = 'colony';

export interface SeenUnit {
  unit: string;
  /** mDNS host name (e.g. `unit1.local`), or the static address. */
  host: string;
  addresses: string[];
  version?: string;
  /** ms since epoch. */
  lastSeen: number;
  source: 'mdns' | 'static' | 'memory';
}

export interface Discovery {
  /** Start browsing (idempotent). */
  start(): Promise<void>;
  /** The units seen so far. */
  seen(): SeenUnit[];
  stop(): Promise<void>;
}

/** DNS-SD needs a port but an agent serves none: it advertises the discard port. */
export const NO_SERVICE_PORT = 9;

/** What an advertiser publishes (the agent side lives in agent/discovery/, which cannot import this file). */
export interface Advertisement {
  unit: string;
  version: string;
  port?: number;
}

/** multicast-dns socket options (tests use a private port and one interface). */
export interface MdnsOptions {
  port?: number;
  interface?: string;
  ip?: string;
  ttl?: number;
  loopback?: boolean;
  multicast?: boolean;
  reuseAddr?: boolean;
}

function unitOf(s: Service): string | null {
  const txt = (s.txt ?? {}) as Record<string, unknown>;
  const unit = typeof txt.unit === 'string' ? txt.unit : s.name;
  return isUnitName(unit) ? unit : null;
}

export class BonjourDiscovery implements Discovery {
  private bonjour: Bonjour | null = null;
  private readonly units = new Map<string, SeenUnit>();
  private onError: ((e: Error) => void) | undefined;

  constructor(
    private readonly mdns: MdnsOptions = {},
    onError?: (e: Error) => void,
  ) {
    this.onError = onError;
  }

  async start(): Promise<void> {
    if (this.bonjour) return;
    this.bonjour = new Bonjour(this.mdns as never, (e: Error) => this.onError?.(e));
    const browser = this.bonjour.find({ type: SERVICE_TYPE, protocol: 'tcp' });
    browser.on('up', (s) => this.record(s));
    browser.on('txt-update', (s) => this.record(s));
    browser.on('srv-update', (s) => this.record(s));
    browser.on('down', (s) => {
      const u = unitOf(s);
      if (u) this.units.delete(u);
    });
  }

  private record(s: Service): void {
    const unit = unitOf(s);
    if (!unit) return;
    const txt = (s.txt ?? {}) as Record<string, unknown>;
    this.units.set(unit, {
      unit,
      host: s.host,
      addresses: s.addresses ?? (s.referer ? [s.referer.address] : []),
      version: typeof txt.version === 'string' ? txt.version : undefined,
      lastSeen: Date.now(),
      source: 'mdns',
    });
  }

  seen(): SeenUnit[] {
    return [...this.units.values()];
  }

  async stop(): Promise<void> {
    const b = this.bonjour;
    this.bonjour = null;
    if (b) await new Promise<void>((r) => b.destroy(() => r()));
  }
}

/** Publishes one unit with bonjour-service (what the agent does; here for the leader's tests and tools). */
export async function publishUnit(ad: Advertisement, mdns: MdnsOptions = {}): Promise<{ stop(): Promise<void> }> {
  const b = new Bonjour(mdns as never);
  b.publish({ name: ad.unit, type: SERVICE_TYPE, protocol: 'tcp', port: ad.port ?? NO_SERVICE_PORT, txt: { unit: ad.unit, version: ad.version }, probe: false });
  return { stop: () => new Promise<void>((r) => b.unpublishAll(() => b.destroy(() => r()))) };
}

/** An in-process "network": advertisers and browsers share one registry. */
export class MemoryDiscovery implements Discovery {
  private readonly units = new Map<string, SeenUnit>();
  async start(): Promise<void> {}
  advertise(ad: Advertisement, host = `${ad.unit}.local`, addresses: string[] = []): void {
    this.units.set(ad.unit, { unit: ad.unit, host, addresses, version: ad.version, lastSeen: Date.now(), source: 'memory' });
  }
  withdraw(unit: string): void {
    this.units.delete(unit);
  }
  seen(): SeenUnit[] {
    return [...this.units.values()];
  }
  async stop(): Promise<void> {}
}

/** `[discovery] static_workers`: `unit1, unit2=10.0.0.12`. Bad names are reported, not silently dropped. */
export function parseStaticWorkers(text: string): { units: SeenUnit[]; errors: string[] } {
  const units: SeenUnit[] = [];
  const errors: string[] = [];
  for (const item of text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean)) {
    const [name, addr] = item.split('=', 2);
    if (!isUnitName(name)) {
      errors.push(`discovery.static_workers: ${JSON.stringify(name)} is not a unit name`);
      continue;
    }
    units.push({ unit: name, host: addr ?? `${name}.local`, addresses: addr ? [addr] : [], lastSeen: 0, source: 'static' });
  }
  return { units, errors };
}

export class StaticDiscovery implements Discovery {
  constructor(private readonly list: SeenUnit[]) {}
  async start(): Promise<void> {}
  seen(): SeenUnit[] {
    return this.list;
  }
  async stop(): Promise<void> {}
}

/** mDNS results first, then the static list for units mDNS did not see. */
export class CombinedDiscovery implements Discovery {
  constructor(private readonly parts: Discovery[]) {}
  async start(): Promise<void> {
    for (const p of this.parts) await p.start();
  }
  seen(): SeenUnit[] {
    const out = new Map<string, SeenUnit>();
    for (const p of this.parts) for (const s of p.seen()) if (!out.has(s.unit)) out.set(s.unit, s);
    return [...out.values()];
  }
  async stop(): Promise<void> {
    for (const p of this.parts) await p.stop();
  }
}
