/** Resource modules of the core `/api` (experiments, workers, units, jobs, time series, logs). */
import type { ResourcePlugin } from '../http/app.js';
import { experimentRoutes } from './experiments.js';
import { workerRoutes } from './workers.js';

export const CORE_RESOURCES: ResourcePlugin[] = [experimentRoutes, workerRoutes];
