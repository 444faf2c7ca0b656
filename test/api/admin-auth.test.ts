import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, newApiKey, verifyPassword } from '../../leader/auth/passwords.js';
import { adminHarness, isErrorBody, LEADER_INI, type AdminHarness } from './admin-helpers.js';

const REMOTE = '192.168.1.50';
const PW = 'correct horse battery staple';

describe('admin api: HTTP authentication', () => {
  let h: AdminHarness;
  const key = newApiKey();
  before(async () => {
    h = await adminHarness({ configText: `${LEADER_INI}\n[auth]\nusers = alice:${hashPassword(PW)}\napi_keys = ${key.entry}\nsession_secret = 0123456789abcdef0123456789abcdef\n` });
  });
  after(async () => h.close());

  const get = (headers: Record<string, string> = {}, remoteAddress = REMOTE, url = '/api/config/files') => h.app.inject({ method: 'GET', url, headers, remoteAddress });

  it('scrypt hashes verify', async () => {
    const hash = hashPassword('pw');
    assert.match(hash, /^scrypt\$16384\$8\$1\$/);
    assert.equal(await verifyPassword('pw', hash), true);
    assert.equal(await verifyPassword('pW', hash), false);
    assert.equal(await verifyPassword('pw', 'scrypt$1$1$1$x$y'), false);
  });

  it('loopback passes without credentials', async () => {
    for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) assert.equal((await get({}, addr)).statusCode, 200, addr);
  });

  it('off loopback without credentials: 401, error schema, WWW-Authenticate: Basic', async () => {
    const r = await get();
    assert.equal(r.statusCode, 401);
    assert.ok(isErrorBody(r.json(), 401));
    assert.match(String(r.headers['www-authenticate']), /^Basic realm="Colony"/);
    for (const url of ['/unit_api/task_results/x', '/exports/x.zip', '/api/nope']) assert.equal((await get({}, REMOTE, url)).statusCode, 401, url);
  });

  it('bearer key, basic user and session cookie pass; wrong ones do not', async () => {
    assert.equal((await get({ authorization: `Bearer ${key.key}` })).statusCode, 200);
    assert.equal((await get({ authorization: 'Bearer wrong' })).statusCode, 401);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    assert.equal((await get({ authorization: basic('alice', PW) })).statusCode, 200);
    assert.equal((await get({ authorization: basic('alice', 'nope') })).statusCode, 401);
    assert.equal((await get({ authorization: basic('mallory', PW) })).statusCode, 401);

    const bad = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'x' }, remoteAddress: REMOTE });
    assert.equal(bad.statusCode, 401);
    const login = await h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PW }, remoteAddress: REMOTE });
    assert.equal(login.statusCode, 200);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    const cookie = setCookie.split(';')[0];
    assert.equal((await get({ cookie })).statusCode, 200);
    const me = await get({ cookie }, REMOTE, '/api/auth/me');
    assert.deepEqual(me.json(), { user: 'alice', method: 'session' });
    const tampered = cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await get({ cookie: tampered })).statusCode, 401);
    const out = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie }, remoteAddress: REMOTE });
    assert.equal(out.statusCode, 200);
    assert.equal((await get({ cookie })).statusCode, 401);
  });

  it('users and keys from <dataDir>/http_auth.json', async () => {
    const k2 = newApiKey();
    writeFileSync(join(h.dataDir, 'http_auth.json'), JSON.stringify({ users: { bob: hashPassword('bobpw') }, api_keys: [k2.entry] }));
    assert.equal((await get({ authorization: `Bearer ${k2.key}` })).statusCode, 200);
    assert.equal((await get({ authorization: `Basic ${Buffer.from('bob:bobpw').toString('base64')}` })).statusCode, 200);
  });

  it('require_auth_on_loopback = 1 applies the same rules on loopback', async () => {
    const strict = await adminHarness({ configText: `${LEADER_INI}\n[auth]\nrequire_auth_on_loopback = 1\napi_keys = ${key.entry}\n` });
    try {
      assert.equal((await strict.app.inject({ method: 'GET', url: '/api/config/files' })).statusCode, 401);
      assert.equal((await strict.app.inject({ method: 'GET', url: '/api/config/files', headers: { authorization: `Bearer ${key.key}` } })).statusCode, 200);
    } finally {
      await strict.close();
    }
  });
});
