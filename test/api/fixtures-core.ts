/**
 * Fixture rows for the core `/api` (experiments, workers, units, jobs, time series, logs, labels, media rates),
 * from ../shared/reference/pioreactor-api.md §2.1-§2.5 and §3 (release 26.2.26), against the seeded database of
 * harness.ts. Rows run in order, on one database: reads first, then writes, then deletions. For 202 task rows
 * `shape` describes the task's final `result`.
 */
import { z } from 'zod';
import type { FixtureRow } from './fixture-types.js';

const ok = z.strictObject({ status: z.literal('success') });
const experiment = z.strictObject({ experiment: z.string(), created_at: z.string(), description: z.string().nullable(), delta_hours: z.number() });
const worker = z.strictObject({ pioreactor_unit: z.string(), added_at: z.string(), is_active: z.number(), model_name: z.string().nullable(), model_version: z.string().nullable() });
const logRow = z.strictObject({ timestamp: z.string(), level: z.string(), pioreactor_unit: z.string(), message: z.string(), task: z.string().nullable(), experiment: z.string() });
const point = z.strictObject({ x: z.string(), y: z.number().nullable() });
const ts = z.strictObject({ series: z.array(z.string()), data: z.array(z.array(point)) }).refine((b) => b.series.length === b.data.length, 'series and data are parallel');
const tsNonEmpty = ts.refine((b) => b.series.length > 0, 'has series');
const fanout = (v: z.ZodType) => z.record(z.string(), v.nullable());
const rate = z.strictObject({ altMediaRate: z.number(), mediaRate: z.number() });
const BC = '$broadcast';
const dosingEvent = z.strictObject({ pioreactor_unit: z.string(), timestamp: z.string(), event: z.string(), volume_change_ml: z.number(), source_of_event: z.string().nullable() });

export const CORE_FIXTURES: FixtureRow[] = [
  // §2.1 experiments
  { method: 'GET', template: '/api/experiments', path: '/api/experiments', status: 200, shape: z.array(experiment).length(4) },
  { method: 'GET', template: '/api/experiments/latest', path: '/api/experiments/latest', status: 200, shape: z.strictObject({ experiment: z.literal('exp3'), created_at: z.string(), description: z.string().nullable(), media_used: z.string().nullable(), organism_used: z.string().nullable(), delta_hours: z.number() }) },
  { method: 'GET', template: '/api/experiments/active', path: '/api/experiments/active', status: 200, shape: z.array(experiment).length(2) },
  { method: 'GET', template: '/api/experiments/assignment_count', path: '/api/experiments/assignment_count', status: 200, shape: z.array(z.strictObject({ experiment: z.string(), worker_count: z.number() })).length(3).refine((a) => a.find((r) => r.experiment === 'exp1')?.worker_count === 2) },
  { method: 'GET', template: '/api/experiments/{experiment}', path: '/api/experiments/exp1', status: 200, shape: experiment },
  { method: 'GET', template: '/api/experiments/{experiment}', path: '/api/experiments/nope', status: 404 },
  { method: 'GET', template: '/api/historical_media', path: '/api/historical_media', status: 200, shape: z.array(z.strictObject({ key: z.string() })).length(1) },
  { method: 'GET', template: '/api/historical_organisms', path: '/api/historical_organisms', status: 200, shape: z.array(z.strictObject({ key: z.literal('E. coli') })) },
  { method: 'GET', template: '/api/experiments/{experiment}/unit_labels', path: '/api/experiments/exp1/unit_labels', status: 200, shape: z.strictObject({ unit1: z.literal('Reactor 1'), unit2: z.literal('Reactor 2') }) },
  { method: 'GET', template: '/api/experiments/{experiment}/unit_labels', path: '/api/experiments/current/unit_labels', status: 200, shape: z.strictObject({ unit4: z.literal('Reactor 4') }) },
  { method: 'GET', template: '/api/experiments/{experiment}/workers', path: '/api/experiments/exp1/workers', status: 200, shape: z.array(z.strictObject({ pioreactor_unit: z.string(), is_active: z.number(), model_name: z.string().nullable(), model_version: z.string().nullable() })).length(2) },
  { method: 'GET', template: '/api/experiments/{experiment}/historical_worker_assignments', path: '/api/experiments/exp1/historical_worker_assignments', status: 200, shape: z.array(z.strictObject({ pioreactor_unit: z.string(), experiment: z.string(), is_currently_assigned_to_experiment: z.number() })) },
  { method: 'GET', template: '/api/experiments/{experiment}/media_rates', path: '/api/experiments/exp1/media_rates', status: 200, shape: z.strictObject({ unit1: rate, unit2: rate, all: rate }).refine((r) => Math.abs(r.all.mediaRate - 1.5) < 1e-9 && Math.abs(r.unit1.altMediaRate - 0.2) < 1e-9) },
  { method: 'GET', template: '/api/experiments/{experiment}/media_rates', path: '/api/experiments/exp0/media_rates', status: 200, shape: z.strictObject({ all: rate }) },
  // Colony: the dashboard's dosing markers
  { method: 'GET', template: '/api/experiments/{experiment}/dosing_events', path: '/api/experiments/exp1/dosing_events', status: 200, shape: z.array(dosingEvent).min(2).refine((a) => a.every((r, i) => i === 0 || a[i - 1].timestamp <= r.timestamp), 'oldest first') },
  { method: 'GET', template: '/api/experiments/{experiment}/dosing_events', path: '/api/experiments/exp1/dosing_events?limit=1', status: 200, shape: z.array(dosingEvent).length(1) },
  { method: 'GET', template: '/api/experiments/{experiment}/dosing_events', path: '/api/experiments/exp0/dosing_events', status: 200, shape: z.array(dosingEvent).length(0) },
  { method: 'GET', template: '/api/experiments/{experiment}/dosing_events', path: '/api/experiments/exp1/dosing_events?lookback=-1', status: 400 },
  { method: 'GET', template: '/api/experiments/{experiment}/experiment_profiles/recent', path: '/api/experiments/exp1/experiment_profiles/recent', status: 200, shape: z.array(z.strictObject({ started_at: z.string(), experiment_profile_name: z.string(), experiment: z.string() })).length(1) },
  { method: 'GET', template: '/api/experiments/{experiment}/experiment_profiles/running', path: '/api/experiments/exp1/experiment_profiles/running', status: 200, shape: z.array(z.unknown()).length(0) },
  // §2.2 workers and units
  { method: 'GET', template: '/api/units', path: '/api/units', status: 200, shape: z.array(z.strictObject({ pioreactor_unit: z.string() })).length(5) },
  { method: 'GET', template: '/api/workers', path: '/api/workers', status: 200, shape: z.array(worker).length(4) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}', path: '/api/workers/unit1', status: 200, shape: worker },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}', path: '/api/workers/nobody', status: 404 },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiment', path: '/api/workers/unit1/experiment', status: 200, shape: z.strictObject({ pioreactor_unit: z.string(), is_active: z.number(), experiment: z.literal('exp1'), model_name: z.string().nullable(), model_version: z.string().nullable() }) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiment', path: '/api/workers/nobody/experiment', status: 404 },
  { method: 'GET', template: '/api/workers/assignments', path: '/api/workers/assignments', status: 200, shape: z.array(z.strictObject({ pioreactor_unit: z.string(), experiment: z.string().nullable(), is_active: z.number() })).length(4) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/model', path: '/api/workers/unit1/model', status: 200, shape: z.looseObject({ pioreactor_unit: z.string(), model_name: z.string(), model_version: z.string(), reactor_capacity_ml: z.number() }) },
  { method: 'GET', template: '/api/models', path: '/api/models', status: 200, shape: z.strictObject({ models: z.array(z.looseObject({ model_name: z.string(), model_version: z.string(), display_name: z.string() })).min(7) }) },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/capabilities', path: `/api/units/${BC}/capabilities`, status: 202, shape: fanout(z.array(z.unknown())).refine((r) => Object.keys(r).length === 5) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/capabilities', path: '/api/workers/unit1/capabilities', status: 202, shape: z.strictObject({ unit1: z.null() }) },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/blink', path: '/api/workers/unit1/blink', status: 202, shape: ok },
  { method: 'PUT', template: '/api/workers', path: '/api/workers', body: { pioreactor_unit: 'unit5', model_name: 'pioreactor_40ml', model_version: '1.5' }, status: 201, shape: ok },
  { method: 'PUT', template: '/api/workers', path: '/api/workers', body: {}, status: 400 },
  { method: 'PUT', template: '/api/workers/{pioreactor_unit}/is_active', path: '/api/workers/unit5/is_active', body: { is_active: 0 }, status: 200, shape: ok },
  { method: 'PUT', template: '/api/workers/{pioreactor_unit}/is_active', path: '/api/workers/unit5/is_active', body: { is_active: 7 }, status: 400 },
  { method: 'PUT', template: '/api/workers/{pioreactor_unit}/model', path: '/api/workers/unit5/model', body: { model_name: 'pioreactor_20ml', model_version: '1.5' }, status: 200, shape: ok },
  { method: 'PUT', template: '/api/workers/{pioreactor_unit}/model', path: '/api/workers/unit5/model', body: { model_name: 'toaster', model_version: '9' }, status: 400 },
  // §2.3 jobs (no agents here: fan-out entries are null)
  { method: 'POST', template: '/api/units/{pioreactor_unit}/jobs/run/job_name/{job_name}/experiments/{experiment}', path: `/api/units/${BC}/jobs/run/job_name/stirring/experiments/exp1`, body: { options: { target_rpm: 400 }, env: { JOB_SOURCE: 'user' } }, status: 202, shape: z.strictObject({ unit1: z.null(), unit2: z.null() }) },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/run/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/run/job_name/stirring/experiments/exp1', body: {}, status: 202, shape: z.strictObject({ unit1: z.null() }) },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/jobs/run/job_name/{job_name}/experiments/{experiment}', path: '/api/workers/unit4/jobs/run/job_name/stirring/experiments/exp3', body: {}, status: 404 },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/jobs/run/job_name/{job_name}/experiments/{experiment}', path: '/api/workers/unit3/jobs/run/job_name/stirring/experiments/exp1', body: {}, status: 404 },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/jobs/run/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/run/job_name/stirring/experiments/exp1', body: { options: [1] }, status: 400 },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/jobs/stop/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/stop/job_name/stirring/experiments/exp1', status: 202, shape: ok },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/stop/job_name/{job_name}/experiments/{experiment}', path: `/api/units/${BC}/jobs/stop/job_name/stirring/experiments/exp1`, status: 202, shape: ok },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/jobs/stop/experiments/{experiment}', path: `/api/units/${BC}/jobs/stop/experiments/exp1`, status: 202, shape: ok },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/stop/experiments/{experiment}', path: '/api/units/unit1/jobs/stop/experiments/exp1', status: 202, shape: ok },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/update/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/update/job_name/stirring/experiments/exp1', body: { settings: { target_rpm: 500, $state: 'sleeping' } }, status: 202, shape: ok },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/update/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/update/job_name/stirring/experiments/exp1', body: { settings: { target_rpm: [1] } }, status: 400 },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/jobs/update/job_name/{job_name}/experiments/{experiment}', path: '/api/units/unit1/jobs/update/job_name/stirring/experiments/exp1', body: { nothing: 1 }, status: 400 },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/jobs/running', path: `/api/units/${BC}/jobs/running`, status: 202, shape: fanout(z.array(z.unknown())).refine((r) => 'leader' in r && 'unit1' in r) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/jobs/settings/job_name/{job}/experiments/{experiment}', path: `/api/workers/${BC}/jobs/settings/job_name/stirring/experiments/exp1`, status: 202, shape: z.strictObject({ unit1: z.null(), unit2: z.null() }) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/jobs/settings/job_name/{job}/setting/{setting}/experiments/{experiment}', path: '/api/workers/unit1/jobs/settings/job_name/stirring/setting/target_rpm/experiments/exp1', status: 202, shape: z.strictObject({ unit1: z.null() }) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/jobs/settings/job_name/{job}/experiments/{experiment}', path: '/api/workers/unit3/jobs/settings/job_name/stirring/experiments/exp1', status: 404 },
  // §2.4 time series (§3)
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings', path: '/api/experiments/exp1/time_series/od_readings?lookback=4', status: 200, shape: tsNonEmpty.refine((b) => b.series.join() === 'unit1-2,unit2-2' && b.data[0].length === 120) },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings', path: '/api/experiments/exp1/time_series/od_readings?lookback=4&target_points=10', status: 200, shape: tsNonEmpty.refine((b) => b.data.every((d) => d.length <= 10 && d.length >= 5)) },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings', path: '/api/experiments/exp1/time_series/od_readings?target_points=0', status: 400 },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings', path: '/api/experiments/exp1/time_series/od_readings?lookback=abc', status: 400 },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/growth_rates', path: '/api/experiments/exp1/time_series/growth_rates', status: 200, shape: tsNonEmpty.refine((b) => b.series.join() === 'unit1,unit2') },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/temperature_readings', path: '/api/experiments/exp1/time_series/temperature_readings?target_points=1000000', status: 200, shape: tsNonEmpty },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings_filtered', path: '/api/experiments/exp1/time_series/od_readings_filtered', status: 200, shape: ts },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings_fused', path: '/api/experiments/exp1/time_series/od_readings_fused', status: 200, shape: ts },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/raw_od_readings', path: '/api/experiments/exp1/time_series/raw_od_readings', status: 200, shape: z.strictObject({ series: z.array(z.string()).length(0), data: z.array(z.unknown()).length(0) }) },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/{data_source}/{column}', path: '/api/experiments/exp1/time_series/growth_rates/rate', status: 200, shape: tsNonEmpty },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/{data_source}/{column}', path: '/api/experiments/exp1/time_series/od_readings/od_reading?target_points=7', status: 200, shape: tsNonEmpty.refine((b) => b.data.every((d) => d.length === 7)) },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/{data_source}/{column}', path: '/api/experiments/exp1/time_series/nope/col', status: 400 },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/{data_source}/{column}', path: '/api/experiments/exp1/time_series/sqlite_master/name', status: 400 },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/time_series/od_readings', path: '/api/workers/unit1/experiments/exp1/time_series/od_readings', status: 200, shape: tsNonEmpty.refine((b) => b.series.join() === 'unit1-2') },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/time_series/growth_rates', path: '/api/workers/unit2/experiments/exp1/time_series/growth_rates', status: 200, shape: tsNonEmpty.refine((b) => b.series.join() === 'unit2') },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/time_series/{data_source}/{column}', path: '/api/workers/unit2/experiments/exp1/time_series/temperature_readings/temperature_c', status: 200, shape: tsNonEmpty },
  // §2.5 logs (§1.5)
  { method: 'GET', template: '/api/logs', path: '/api/logs', status: 200, shape: z.array(logRow).length(100) },
  { method: 'GET', template: '/api/logs', path: '/api/logs?skip=200', status: 200, shape: z.array(logRow).min(52).max(60) },
  { method: 'GET', template: '/api/experiments/{experiment}/logs', path: '/api/experiments/exp1/logs', status: 200, shape: z.array(logRow).length(1) },
  { method: 'GET', template: '/api/experiments/{experiment}/logs', path: '/api/experiments/exp1/logs?min_level=debug', status: 200, shape: z.array(logRow).length(2) },
  { method: 'GET', template: '/api/experiments/{experiment}/logs', path: '/api/experiments/exp2/logs?min_level=WARNING', status: 200, shape: z.array(logRow).length(100).refine((a) => a.every((r) => r.level === 'WARNING')) },
  { method: 'GET', template: '/api/experiments/{experiment}/recent_logs', path: '/api/experiments/exp1/recent_logs', status: 200, shape: z.array(logRow).min(2).refine((a) => a.some((r) => r.message === 'Started mixing') && a.some((r) => r.experiment === '$experiment')) },
  { method: 'GET', template: '/api/experiments/{experiment}/recent_logs', path: '/api/experiments/exp2/recent_logs?min_level=INFO', status: 200, shape: z.array(logRow).length(50) },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/logs', path: '/api/units/unit1/logs', status: 200, shape: z.array(logRow).length(2) },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/system_logs', path: '/api/units/unit1/system_logs', status: 200, shape: z.array(logRow).length(1) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/logs', path: '/api/workers/unit1/experiments/exp1/logs', status: 200, shape: z.array(logRow).length(1) },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/recent_logs', path: '/api/workers/unit1/experiments/exp1/recent_logs', status: 200, shape: z.array(logRow).length(2).refine((a) => a.every((r) => r.pioreactor_unit === 'unit1')) },
  { method: 'GET', template: '/api/logs', path: '/api/logs?skip=-1', status: 400 },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/experiments/{experiment}/logs', path: '/api/workers/unit1/experiments/exp1/logs', body: { message: ' hello ', level: 'info', source: 'ui', timestamp: '2026-01-01T00:00:00.000Z', task: null }, status: 202, shape: ok },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/experiments/{experiment}/logs', path: `/api/units/${BC}/experiments/exp1/logs`, body: { message: 'x', level: 'NOTICE', source: 'ui', timestamp: '2026-01-01T00:00:00.000Z', task: '' }, status: 202, shape: ok },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/experiments/{experiment}/logs', path: '/api/units/unit1/experiments/exp1/logs', body: { message: 'x' }, status: 400 },
  // writes
  { method: 'POST', template: '/api/experiments', path: '/api/experiments', body: { experiment: 'exp9', description: 'new', mediaUsed: 'YPD', organismUsed: 'S. cerevisiae' }, status: 201, shape: ok },
  { method: 'POST', template: '/api/experiments', path: '/api/experiments', body: { experiment: 'exp9' }, status: 409 },
  { method: 'POST', template: '/api/experiments', path: '/api/experiments', body: { experiment: 'a/b' }, status: 400 },
  { method: 'POST', template: '/api/experiments', path: '/api/experiments', body: { experiment: 'Current' }, status: 400 },
  { method: 'POST', template: '/api/experiments', path: '/api/experiments', body: { description: 'no name' }, status: 400 },
  { method: 'PATCH', template: '/api/experiments/{experiment}', path: '/api/experiments/exp9', body: { description: 'changed' }, status: 200, shape: ok },
  { method: 'PATCH', template: '/api/experiments/{experiment}', path: '/api/experiments/missing', body: { description: 'x' }, status: 404 },
  { method: 'PATCH', template: '/api/experiments/{experiment}', path: '/api/experiments/exp9', body: {}, status: 400 },
  { method: 'PUT', template: '/api/experiments/{experiment}/unit_labels', path: '/api/experiments/exp1/unit_labels', body: { unit: 'unit1', label: 'Left' }, status: 201, shape: ok },
  { method: 'PATCH', template: '/api/experiments/{experiment}/unit_labels', path: '/api/experiments/exp1/unit_labels', body: { unit: 'unit2', label: 'Left' }, status: 400 },
  { method: 'PATCH', template: '/api/experiments/{experiment}/unit_labels', path: '/api/experiments/exp1/unit_labels', body: { unit: 'unit2', label: '' }, status: 201, shape: ok },
  { method: 'PUT', template: '/api/experiments/{experiment}/workers', path: '/api/experiments/exp1/workers', body: { pioreactor_unit: 'unit4' }, status: 200, shape: ok },
  { method: 'PUT', template: '/api/experiments/{experiment}/workers', path: '/api/experiments/exp1/workers', body: {}, status: 400 },
  { method: 'DELETE', template: '/api/experiments/{experiment}/workers/{pioreactor_unit}', path: '/api/experiments/exp99/workers/unit2', status: 404 },
  { method: 'DELETE', template: '/api/experiments/{experiment}/workers/{pioreactor_unit}', path: '/api/experiments/exp1/workers/unit2', status: 200, shape: ok },
  { method: 'DELETE', template: '/api/experiments/{experiment}/workers', path: '/api/experiments/exp2/workers', status: 202, shape: z.strictObject({ unit3: z.null() }) },
  { method: 'DELETE', template: '/api/workers/assignments', path: '/api/workers/assignments', status: 202, shape: fanout(z.unknown()) },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}', path: '/api/workers/unit5', status: 202, shape: ok },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}', path: '/api/workers/unit5', status: 404 },
  { method: 'DELETE', template: '/api/experiments/{experiment}', path: '/api/experiments/exp1', status: 200, shape: ok },
  { method: 'GET', template: '/api/experiments/{experiment}/time_series/od_readings', path: '/api/experiments/exp1/time_series/od_readings', status: 200, shape: z.strictObject({ series: z.array(z.string()).length(0), data: z.array(z.unknown()).length(0) }) },
  { method: 'DELETE', template: '/api/experiments/{experiment}', path: '/api/experiments/exp1', status: 404 },
];
