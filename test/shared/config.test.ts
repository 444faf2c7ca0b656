// Configuration: INI with the sections of Pioreactor's config.ini, validated; errors name the file, section.key and value.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseIni, validateConfigText } from '../../shared/config/index.js';

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'colony-config-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('gives the prod defaults with no file', () => {
    const c = loadConfig();
    assert.equal(c.mqtt.broker_port, 1883);
    assert.equal(c['od_reading.config'].samples_per_second, 0.2);
    assert.equal(c['stirring.config'].initial_duty_cycle, 30);
    assert.equal(c.PWM['2'], 'media');
    assert.equal(c['od_config.photodiode_channel']['1'], 'REF');
    assert.equal(c['od_config.photodiode_channel']['2'], '90');
    assert.equal(c['growth_rate_calculating.config'].ekf_outlier_std_threshold, 5);
    assert.equal(c['stirring.config'].use_rpm, true);
  });

  it('reads typed values from a file, with keys case-folded as configparser does', () => {
    const p = tmpFile('config.ini', '[mqtt]\nBroker_Port = 2883\nusername: colony\n\n[stirring.config]\nuse_rpm=0\n# comment\n[ui.overview.settings]\nfiltered_od_lookback_hours=24\n');
    const c = loadConfig({ shared: p });
    assert.equal(c.mqtt.broker_port, 2883);
    assert.equal(c.mqtt.username, 'colony');
    assert.equal(c['stirring.config'].use_rpm, false);
    assert.equal(c.ui['ui.overview.settings'].filtered_od_lookback_hours, '24');
  });

  it('lets the unit file win over the shared file', () => {
    const shared = tmpFile('config.ini', '[stirring.config]\ntarget_rpm=500\ninitial_duty_cycle=30\n');
    const unit = tmpFile('unit_config.ini', '[stirring.config]\ntarget_rpm=650\n');
    const c = loadConfig({ shared, unit });
    assert.equal(c['stirring.config'].target_rpm, 650);
    assert.equal(c['stirring.config'].initial_duty_cycle, 30);
  });

  it('names the missing file', () => {
    const e = configError(() => loadConfig({ shared: '/nonexistent/colony/config.ini' }));
    assert.match(e.message, /\/nonexistent\/colony\/config\.ini/);
    assert.match(e.message, /ENOENT/);
  });

  it('names the file, section.key and value of a bad value', () => {
    const p = tmpFile('config.ini', '[od_reading.config]\nsamples_per_second = fast\n');
    const e = configError(() => loadConfig({ shared: p }));
    assert.equal(e.section, 'od_reading.config');
    assert.equal(e.key, 'samples_per_second');
    assert.equal(e.value, 'fast');
    assert.equal(e.file, p);
    assert.match(e.message, /od_reading\.config\.samples_per_second = "fast": expected a number/);
    assert.match(e.message, new RegExp(`${p}:2`));
  });

  it('names the section and key of a value out of range, and of an unknown key', () => {
    const e1 = configError(() => validateConfigText('[growth_rate_calculating.config]\nekf_outlier_std_threshold=1.5\n'));
    assert.match(e1.message, /growth_rate_calculating\.config\.ekf_outlier_std_threshold = "1.5": must be greater than 2/);
    const e2 = configError(() => validateConfigText('[mqtt]\nbroker_prot=1883\n'));
    assert.equal(e2.section, 'mqtt');
    assert.equal(e2.key, 'broker_prot');
    assert.match(e2.message, /unknown key mqtt\.broker_prot/);
  });

  it('names an unknown section with its first key', () => {
    const e = configError(() => validateConfigText('[stiring.config]\ntarget_rpm=400\n', 'cfg.ini'));
    assert.equal(e.section, 'stiring.config');
    assert.equal(e.key, 'target_rpm');
    assert.match(e.message, /unknown section \[stiring\.config\]/);
    assert.match(e.message, /cfg\.ini:2/);
  });

  it('rejects duplicate sections and options, as configparser does', () => {
    assert.match(configError(() => validateConfigText('[mqtt]\n[mqtt]\n')).message, /Duplicate section \[mqtt\]/);
    assert.match(configError(() => validateConfigText('[mqtt]\nusername=a\nusername=b\n')).message, /Duplicate option username/);
    assert.match(configError(() => validateConfigText('just text\n')).message, /Incorrect syntax/);
  });

  it('parses continuation lines and both separators', () => {
    const { data } = parseIni('[a]\nk = one\n  two\nj: 3\n');
    assert.equal(data.a.k, 'one\ntwo');
    assert.equal(data.a.j, '3');
  });
});
