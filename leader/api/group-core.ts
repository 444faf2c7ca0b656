/** Resource modules of the core `/api` (experiments, workers, units, jobs, time series, logs). */
import type { ResourcePlugin } from '../http/app.js';
import { bioreactorRoutes } from './bioreactor.js';
import { discoverRoutes } from './discover.js';
import { dosingEventRoutes } from './dosing-events.js';
import { experimentRoutes } from './experiments.js';
import { jobRoutes } from './jobs.js';
import { liveRoutes } from './live.js';
import { logRoutes } from './logs.js';
import { mediaRateRoutes } from './media-rates.js';
import { modelRoutes } from './models.js';
import { timeSeriesRoutes } from './time-series.js';
import { unitLabelRoutes } from './unit-labels.js';
import { unitRoutes } from './units.js';
import { workerRoutes } from './workers.js';

export const CORE_RESOURCES: ResourcePlugin[] = [
  experimentRoutes,
  unitLabelRoutes,
  mediaRateRoutes,
  dosingEventRoutes,
  workerRoutes,
  discoverRoutes,
  modelRoutes,
  unitRoutes,
  jobRoutes,
  timeSeriesRoutes,
  logRoutes,
  bioreactorRoutes,
  liveRoutes,
];
