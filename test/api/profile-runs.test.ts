// Running experiment profiles through the routes the UI uses (pioreactor-api.md §2.7): start on the leader's unit
// API, list as running, stop by job id; a path in the request cannot leave the profiles folder.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LeaderHandle } from '../../leader/leader.js';
import { makeDataDir, startTestLeader } from '../leader/cluster.js';

describe('experiment profile runs', function () {
  this.timeout(30_000);
  let leader: LeaderHandle;

  before(async () => {
    const dir = makeDataDir([]);
    mkdirSync(join(dir, 'experiment_profiles'), { recursive: true });
    copyFileSync(join(process.cwd(), 'docs', 'profiles', 'demo.yaml'), join(dir, 'experiment_profiles', 'demo.yaml'));
    leader = await startTestLeader(dir);
    await leader.app.inject({ method: 'POST', url: '/api/experiments', payload: { experiment: 'exp1' } });
    // A profile with common jobs runs on the experiment's units: give it one (no agent needs to answer here).
    await leader.app.inject({ method: 'PUT', url: '/api/workers', payload: { pioreactor_unit: 'u1' } });
    await leader.app.inject({ method: 'PUT', url: '/api/experiments/exp1/workers', payload: { pioreactor_unit: 'u1' } });
  });
  after(async () => leader?.stop());

  it('starts, lists and stops a stored profile', async () => {
    const run = await leader.app.inject({ method: 'PATCH', url: '/unit_api/jobs/run/job_name/experiment_profile', payload: { args: ['execute', '/home/pioreactor/.pioreactor/experiment_profiles/demo.yaml', 'exp1'], options: {} } });
    assert.equal(run.statusCode, 202, run.body);
    const jobId = run.json().job_id;
    const running = await leader.app.inject({ method: 'GET', url: '/api/experiments/exp1/experiment_profiles/running' });
    assert.deepEqual(running.json().map((r: { job_id: string }) => r.job_id), [jobId]);
    const stop = await leader.app.inject({ method: 'PATCH', url: '/unit_api/jobs/stop', payload: { job_id: jobId } });
    assert.equal(stop.statusCode, 200, stop.body);
    const after = await leader.app.inject({ method: 'GET', url: '/api/experiments/exp1/experiment_profiles/running' });
    assert.deepEqual(after.json(), []);
  });

  it('refuses names that are not profile files, and unknown profiles', async () => {
    const bad = await leader.app.inject({ method: 'POST', url: '/api/experiments/exp1/experiment_profiles/run', payload: { filename: '../config.ini' } });
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.json().error_info);
    const missing = await leader.app.inject({ method: 'POST', url: '/api/experiments/exp1/experiment_profiles/run', payload: { filename: 'nope.yaml' } });
    assert.equal(missing.statusCode, 400);
  });
});
