/**
 * Fixture rows for the admin `/api` (config, profiles, descriptors, datasets, calibrations, plugins, system,
 * auth), for the table runner (fixture-table.test.ts). Rows avoid depending on files in the data dir beyond
 * what the routes create themselves, so they hold against any seeded database (units unit1..unit4).
 */
import { z } from 'zod';
import type { FixtureRow } from './fixture-types.js';

const errorSchema = (status: number) =>
  z.object({ error: z.string().min(1), error_info: z.object({ remediation: z.string(), cause: z.string(), status: z.literal(status) }) });
const perUnit = z.record(z.string(), z.unknown());
const success = z.object({ status: z.literal('success') });

const PROFILE = 'experiment_profile_name: fixture\ncommon:\n  jobs:\n    stirring:\n      actions:\n        - type: start\n          t: 0\n';

export const ADMIN_FIXTURES: FixtureRow[] = [
  // Descriptors
  { method: 'GET', template: '/api/jobs/descriptors', path: '/api/jobs/descriptors', status: 200, shape: z.array(z.object({ job_name: z.string(), display_name: z.string(), published_settings: z.array(z.unknown()) })).min(8) },
  { method: 'GET', template: '/api/automations/descriptors/{automation_type}', path: '/api/automations/descriptors/dosing', status: 200, shape: z.array(z.object({ automation_name: z.string(), fields: z.array(z.unknown()) })).min(5) },
  { method: 'GET', template: '/api/automations/descriptors/{automation_type}', path: '/api/automations/descriptors/nope', status: 400, shape: errorSchema(400) },
  { method: 'GET', template: '/api/charts/descriptors', path: '/api/charts/descriptors', status: 200, shape: z.array(z.object({ chart_key: z.string(), data_source: z.string() })).min(1) },
  // Config
  { method: 'GET', template: '/api/config/files', path: '/api/config/files', status: 200, shape: z.array(z.string()) },
  { method: 'GET', template: '/api/config/files/{filename}', path: '/api/config/files/not-a-config.txt', status: 400, shape: errorSchema(400) },
  { method: 'PATCH', template: '/api/config/files/{filename}', path: '/api/config/files/config_unit1.ini', body: { code: '[stirring.config]\ntarget_rpm=450\n' }, status: 200, shape: success },
  { method: 'GET', template: '/api/config/files/{filename}', path: '/api/config/files/config_unit1.ini', status: 200, contentType: /^text\/plain/ },
  { method: 'PATCH', template: '/api/config/files/{filename}', path: '/api/config/files/config_unit1.ini', body: { code: '[stirring.config]\ntarget_rpm=fast\n' }, status: 400, shape: errorSchema(400) },
  { method: 'PATCH', template: '/api/config/files/{filename}', path: '/api/config/files/..%2Fconfig.ini', body: { code: '[mqtt]\n' }, status: 400, shape: errorSchema(400) },
  { method: 'GET', template: '/api/config/files/{filename}/history', path: '/api/config/files/config_unit1.ini/history', status: 200, shape: z.array(z.object({ filename: z.string(), timestamp: z.string(), data: z.string() })) },
  { method: 'GET', template: '/api/config/units/{pioreactor_unit}', path: '/api/config/units/unit1', status: 200, shape: z.object({ unit1: z.record(z.string(), z.record(z.string(), z.string())) }) },
  // Experiment profiles
  { method: 'POST', template: '/api/experiment_profiles', path: '/api/experiment_profiles', body: { body: PROFILE, filename: 'fixture.yaml' }, status: 200, shape: success },
  { method: 'GET', template: '/api/experiment_profiles', path: '/api/experiment_profiles', status: 200, shape: z.array(z.object({ experimentProfile: z.object({ experiment_profile_name: z.string() }), file: z.string(), fullpath: z.string() })) },
  { method: 'GET', template: '/api/experiment_profiles/{filename}', path: '/api/experiment_profiles/fixture.yaml', status: 200, contentType: /^text\/plain/ },
  { method: 'PATCH', template: '/api/experiment_profiles/{filename}', path: '/api/experiment_profiles/fixture.yaml', body: { body: 'experiment_profile_name: fixture\nbogus: 1\n' }, status: 400, shape: errorSchema(400) },
  { method: 'DELETE', template: '/api/experiment_profiles/{filename}', path: '/api/experiment_profiles/fixture.yaml', status: 200, shape: success },
  { method: 'GET', template: '/api/experiment_profiles/{filename}', path: '/api/experiment_profiles/fixture.txt', status: 404, shape: errorSchema(404) },
  // Datasets
  { method: 'GET', template: '/api/datasets/exportable', path: '/api/datasets/exportable', status: 200, shape: z.array(z.object({ dataset_name: z.string(), has_experiment: z.boolean(), has_unit: z.boolean() })).min(20) },
  { method: 'GET', template: '/api/datasets/exportable/{target_dataset}/preview', path: '/api/datasets/exportable/od_readings/preview', status: 200, shape: z.array(z.record(z.string(), z.unknown())) },
  { method: 'GET', template: '/api/datasets/exportable/{target_dataset}/preview', path: '/api/datasets/exportable/nope/preview', status: 404, shape: errorSchema(404) },
  { method: 'POST', template: '/api/datasets/exportable/export', path: '/api/datasets/exportable/export', body: { datasets: ['od_readings', 'growth_rates'], experiments: ['<All experiments>'], partition_by_unit: true, partition_by_experiment: true }, status: 200, shape: z.object({ result: z.literal(true), filename: z.string().regex(/^export_\d{14}\.zip$/), msg: z.string() }) },
  { method: 'POST', template: '/api/datasets/exportable/export', path: '/api/datasets/exportable/export', body: { datasets: [], experiments: [] }, status: 400, shape: errorSchema(400) },
  // Calibrations and estimators (202 task; shape of the result)
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/calibrations', path: '/api/workers/$broadcast/calibrations', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/calibrations/{device}', path: '/api/workers/unit1/calibrations/stirring', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/calibrations/{device}/{calibration_name}', path: '/api/workers/unit1/calibrations/stirring/c1', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/calibrations/{device}', path: '/api/workers/unit1/calibrations/stirring', body: { calibration_data: 'calibration_name: c1\ncurve_type: poly\ncurve_data_: [1, 0]\n' }, status: 202, shape: perUnit },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/calibrations/{device}', path: '/api/workers/unit1/calibrations/stirring', body: {}, status: 400, shape: errorSchema(400) },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}/calibrations/{device}/{calibration_name}', path: '/api/workers/unit1/calibrations/stirring/c1', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/active_calibrations', path: '/api/workers/$broadcast/active_calibrations', status: 202, shape: perUnit },
  { method: 'PATCH', template: '/api/workers/{pioreactor_unit}/active_calibrations/{device}/{calibration_name}', path: '/api/workers/unit1/active_calibrations/stirring/c1', status: 202, shape: perUnit },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}/active_calibrations/{device}', path: '/api/workers/unit1/active_calibrations/stirring', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/calibration_protocols', path: '/api/workers/unit1/calibration_protocols', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/estimators', path: '/api/workers/$broadcast/estimators', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/estimators/{device}', path: '/api/workers/unit1/estimators/od', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/estimators/{device}/{estimator_name}', path: '/api/workers/unit1/estimators/od/e1', status: 202, shape: perUnit },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}/estimators/{device}/{estimator_name}', path: '/api/workers/unit1/estimators/od/e1', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/active_estimators', path: '/api/workers/unit1/active_estimators', status: 202, shape: perUnit },
  { method: 'PATCH', template: '/api/workers/{pioreactor_unit}/active_estimators/{device}/{estimator_name}', path: '/api/workers/unit1/active_estimators/od/e1', status: 202, shape: perUnit },
  { method: 'DELETE', template: '/api/workers/{pioreactor_unit}/active_estimators/{device}', path: '/api/workers/unit1/active_estimators/od', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/calibrations/sessions', path: '/api/workers/$broadcast/calibrations/sessions', body: { protocol_name: 'p', target_device: 'stirring' }, status: 400, shape: errorSchema(400) },
  // A calibration session lives on one unit; with no agent answering, the leader reports the unit as unreachable.
  { method: 'GET', template: '/api/workers/{pioreactor_unit}/calibrations/sessions/{session_id}', path: '/api/workers/u1/calibrations/sessions/s1', status: 502, shape: errorSchema(502) },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/calibrations/sessions/{session_id}/abort', path: '/api/workers/u1/calibrations/sessions/s1/abort', body: {}, status: 502, shape: errorSchema(502) },
  { method: 'POST', template: '/api/workers/{pioreactor_unit}/calibrations/sessions/{session_id}/inputs', path: '/api/workers/u1/calibrations/sessions/s1/inputs', body: { inputs: {} }, status: 502, shape: errorSchema(502) },
  // Plugins, versions, system
  { method: 'GET', template: '/api/units/{pioreactor_unit}/plugins/installed', path: '/api/units/$broadcast/plugins/installed', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/plugins/install', path: '/api/units/$broadcast/plugins/install', body: { args: ['--global'] }, status: 400, shape: errorSchema(400) },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/plugins/install', path: '/api/units/$broadcast/plugins/install', body: { args: ['../x.tgz'] }, status: 400, shape: errorSchema(400) },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/plugins/uninstall', path: '/api/units/$broadcast/plugins/uninstall', body: { args: ['colony-plugin-not-installed'] }, status: 202, shape: perUnit },
  { method: 'PATCH', template: '/api/units/{pioreactor_unit}/plugins/uninstall', path: '/api/units/$broadcast/plugins/uninstall', body: { args: ['Bad Name'] }, status: 400, shape: errorSchema(400) },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/versions/app', path: '/api/units/$broadcast/versions/app', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/system/reboot', path: '/api/units/unit1/system/reboot', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/system/shutdown', path: '/api/units/unit1/system/shutdown', status: 202, shape: perUnit },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/system/utc_clock', path: '/api/units/$broadcast/system/utc_clock', status: 202, shape: perUnit },
  { method: 'POST', template: '/api/system/utc_clock', path: '/api/system/utc_clock', body: { utc_clock_time: '2026-01-01T00:00:00Z' }, status: 403, shape: errorSchema(403) },
  { method: 'POST', template: '/api/system/update_next_version', path: '/api/system/update_next_version', status: 403, shape: errorSchema(403) },
  { method: 'POST', template: '/api/system/update_from_archive', path: '/api/system/update_from_archive', body: { release_archive_location: '/tmp/x.zip', units: '$broadcast' }, status: 403, shape: errorSchema(403) },
  { method: 'POST', template: '/api/system/upload', path: '/api/system/upload', status: 403, shape: errorSchema(403) },
  { method: 'GET', template: '/api/units/{pioreactor_unit}/zipped_dot_pioreactor', path: '/api/units/unit1/zipped_dot_pioreactor', status: 403, shape: errorSchema(403) },
  { method: 'POST', template: '/api/units/{pioreactor_unit}/import_zipped_dot_pioreactor', path: '/api/units/unit1/import_zipped_dot_pioreactor', status: 403, shape: errorSchema(403) },
  { method: 'GET', template: '/api/local_access_point', path: '/api/local_access_point', status: 200, shape: z.object({ active: z.boolean() }) },
  // Auth (inject's default address is loopback)
  { method: 'GET', template: '/api/auth/me', path: '/api/auth/me', status: 200, shape: z.object({ user: z.string(), method: z.string() }) },
  { method: 'POST', template: '/api/auth/login', path: '/api/auth/login', body: { username: 'nobody', password: 'x' }, status: 401, shape: errorSchema(401) },
];
