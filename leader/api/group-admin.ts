/** Resource modules of the admin `/api` (config, profiles, datasets, calibrations, plugins, system, auth). */
import type { ResourcePlugin } from '../http/app.js';
import { analyticsRoutes } from './analytics.js';
import { authRoutes } from './auth-routes.js';
import { calibrationRoutes } from './calibrations.js';
import { configRoutes } from './config-files.js';
import { datasetRoutes } from './datasets.js';
import { descriptorRoutes } from './descriptors.js';
import { goldenScoreRoutes } from './golden-scores.js';
import { pluginRoutes } from './plugins.js';
import { profileRoutes } from './profiles.js';
import { profileRunRoutes } from './profile-runs.js';
import { systemRoutes } from './system.js';
import { webRoutes } from './web.js';

export const ADMIN_RESOURCES: ResourcePlugin[] = [
  authRoutes,
  configRoutes,
  profileRoutes,
  profileRunRoutes,
  descriptorRoutes,
  datasetRoutes,
  calibrationRoutes,
  pluginRoutes,
  systemRoutes,
  analyticsRoutes,
  goldenScoreRoutes,
  webRoutes,
];
