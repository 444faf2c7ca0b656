/**
 * `GET /api/workers/discover` (pioreactor-api.md §2.2, beyond seed): units seen on the network (mDNS
 * `_colony._tcp`, or `[discovery] static_workers`) that are not in the inventory yet,
 * `[{"pioreactor_unit", "host", "addresses", "version", "source"}]`.
 * `GET /api/cluster/health`: the leader's clock (for `colony doctor`'s offset check) and, per unit, the clock
 * offset and version the leader last saw (leader/discovery/cluster-health.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { formatTimestamp } from '../../shared/timestamps.js';
import { clusterHealthOf } from '../discovery/cluster-health.js';
import { BonjourDiscovery, CombinedDiscovery, parseStaticWorkers, StaticDiscovery, type Discovery } from '../discovery/discovery.js';
import type { LeaderContext } from '../http/context.js';

interface Running {
  discovery: Discovery;
  startedAt: number;
}

const RUNNING = new WeakMap<LeaderContext, Running>();

/** Use this discovery for a leader (tests: a MemoryDiscovery) instead of the one built from the config. */
export function setDiscovery(ctx: LeaderContext, discovery: Discovery): void {
  RUNNING.set(ctx, { discovery, startedAt: 0 });
}

function fromConfig(ctx: LeaderContext): Discovery {
  const cfg = ctx.config.discovery ?? { enabled: false, static_workers: '', browse_seconds: 3 };
  const stat = parseStaticWorkers(cfg.static_workers);
  for (const e of stat.errors) ctx.log.warn(e);
  const parts: Discovery[] = [];
  if (cfg.enabled) parts.push(new BonjourDiscovery({}, (e) => ctx.log.warn({ err: e.message }, 'mDNS browse failed')));
  parts.push(new StaticDiscovery(stat.units));
  return new CombinedDiscovery(parts);
}

async function running(ctx: LeaderContext): Promise<Running> {
  let r = RUNNING.get(ctx);
  if (!r) {
    r = { discovery: fromConfig(ctx), startedAt: Date.now() };
    RUNNING.set(ctx, r);
    try {
      await r.discovery.start();
    } catch (e) {
      ctx.log.warn({ err: (e as Error).message }, 'discovery could not start; only the static list answers');
    }
  }
  return r;
}

export const discoverRoutes = (ctx: LeaderContext): FastifyPluginAsync => {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onClose', async () => {
      const r = RUNNING.get(ctx);
      RUNNING.delete(ctx);
      await r?.discovery.stop().catch(() => undefined);
    });

    const discover = async () => {
      const r = await running(ctx);
      // The first call browses for a moment before answering (mDNS answers arrive within ~1-2 s).
      const waitMs = r.startedAt ? r.startedAt + (ctx.config.discovery?.browse_seconds ?? 3) * 1000 - Date.now() : 0;
      if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
      const known = new Set((ctx.db.prepare('SELECT pioreactor_unit FROM workers').all() as Array<{ pioreactor_unit: string }>).map((w) => w.pioreactor_unit));
      known.add(ctx.unitName);
      return r.discovery
        .seen()
        .filter((s) => !known.has(s.unit))
        .sort((a, b) => a.unit.localeCompare(b.unit))
        .map((s) => ({ pioreactor_unit: s.unit, host: s.host, addresses: s.addresses, version: s.version ?? null, source: s.source }));
    };
    if (!app.hasRoute({ method: 'GET', url: '/api/workers/discover' })) app.get('/api/workers/discover', discover);
    else {
      // A placeholder for this route was registered earlier (workers.ts): answer in front of it.
      app.addHook('onRequest', async (req, reply) => {
        if (req.method === 'GET' && req.url.split('?')[0] === '/api/workers/discover') return reply.send(await discover());
      });
    }

    app.get('/api/cluster/health', async () => {
      const h = clusterHealthOf(ctx);
      return {
        leader: ctx.unitName,
        version: ctx.version,
        clock_time: formatTimestamp(ctx.clock.now()),
        clock_drift_warn_seconds: ctx.config['cluster.health']?.clock_drift_warn_seconds ?? 5,
        units: h?.report() ?? [],
      };
    });
  };
  // Not encapsulated (what fastify-plugin does), so the hook above also covers a route from another module.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
};
