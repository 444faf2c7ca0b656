/**
 * `GET /api/models`: the hardware models a worker may be (pioreactor-api.md §2.2). Capacities and heating
 * limits from reference/pioreactor-control.md (§5.2 safety table, §5.4 capacities); the reference gives no
 * diameters, so `reactor_diameter_mm` is null.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { LeaderContext } from '../http/context.js';

export interface Model {
  model_name: string;
  model_version: string;
  display_name: string;
  reactor_capacity_ml: number;
  reactor_diameter_mm: number | null;
  reactor_max_fill_volume_ml: number;
  max_temp_to_reduce_heating: number;
  max_temp_to_disable_heating: number;
  max_temp_to_shutdown: number;
  is_legacy: boolean;
  is_contrib: boolean;
}

function model(name: string, version: string, display: string, legacy = false): Model {
  const big = name.startsWith('pioreactor_40ml');
  const old = name === 'pioreactor_20ml' && version === '1.0';
  return {
    model_name: name,
    model_version: version,
    display_name: display,
    reactor_capacity_ml: big ? 40 : 20,
    reactor_diameter_mm: null,
    reactor_max_fill_volume_ml: big ? 36 : 18,
    max_temp_to_reduce_heating: old ? 63 : 78,
    max_temp_to_disable_heating: old ? 65 : 80,
    max_temp_to_shutdown: old ? 66 : 85,
    is_legacy: legacy,
    is_contrib: false,
  };
}

export const MODELS: Model[] = [
  model('pioreactor_20ml', '1.0', 'Pioreactor 20ml, v1.0', true),
  model('pioreactor_20ml', '1.1', 'Pioreactor 20ml, v1.1', true),
  model('pioreactor_20ml', '1.5', 'Pioreactor 20ml, v1.5'),
  model('pioreactor_20ml_XR', '1.5', 'Pioreactor 20ml XR, v1.5'),
  model('pioreactor_40ml', '1.0', 'Pioreactor 40ml, v1.0', true),
  model('pioreactor_40ml', '1.5', 'Pioreactor 40ml, v1.5'),
  model('pioreactor_40ml_XR', '1.5', 'Pioreactor 40ml XR, v1.5'),
];

export function findModel(name: string, version: string): Model | null {
  return MODELS.find((m) => m.model_name === name && m.model_version === version) ?? null;
}

export const modelRoutes = (_ctx: LeaderContext): FastifyPluginAsync => async (app) => {
  app.get('/api/models', async () => ({ models: MODELS }));
};
