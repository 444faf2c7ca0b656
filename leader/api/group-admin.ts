/** Resource modules of the admin `/api` (config, profiles, datasets, calibrations, plugins, system, auth). */
import type { ResourcePlugin } from '../http/app.js';

export const ADMIN_RESOURCES: ResourcePlugin[] = [];
