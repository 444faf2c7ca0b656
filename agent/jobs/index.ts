/** Every job the agent can run. */
import type { JobKind } from '../runtime/manager.js';
import { growthRateKind } from './growth_rate_calculating.js';
import { ledAutomationKind } from './led_automation.js';
import { monitorKind } from './monitor.js';
import { odReadingKind } from './od_reading.js';
import { pumpKinds } from './pumps.js';
import { selfTestKind } from './self_test.js';
import { stirringKind } from './stirring.js';
import { temperatureKind } from './temperature_automation.js';

export const ALL_JOBS: JobKind[] = [monitorKind, odReadingKind, growthRateKind, stirringKind, temperatureKind, ...pumpKinds, ledAutomationKind, selfTestKind];
