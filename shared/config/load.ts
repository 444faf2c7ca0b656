/**
 * Loading configuration: the shared config.ini overlaid with the unit's own file, validated into a
 * typed object. Every error names the file, the `section.key` and the bad value. The only I/O is
 * reading the files the caller names (the config loader is the edge where text becomes types).
 */
import { readFileSync } from 'node:fs';
import { IniSyntaxError, overlayIni, parseIni, type IniData, type ParsedIni } from './ini.js';
import { SECTIONS, type ColonyConfig, type SectionName } from './schema.js';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly section: string | undefined,
    readonly key: string | undefined,
    readonly value: string | undefined,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Path of the shared config.ini; omitted means built-in defaults only. */
  shared?: string;
  /** Path of the unit's own file (e.g. unit_config.ini); its keys win. */
  unit?: string;
  /** Extra text overlaid last (tests, command-line overrides). */
  overrides?: IniData;
}

function readIni(path: string): ParsedIni {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `config file ${path} could not be read (${code ?? (e as Error).message})`,
      path,
      undefined,
      undefined,
      undefined,
    );
  }
  try {
    return parseIni(text, path);
  } catch (e) {
    if (e instanceof IniSyntaxError) throw new ConfigError(e.message, path, undefined, undefined, undefined);
    throw e;
  }
}

/** Validate parsed INI data into the typed config. */
export function validateConfig(parsed: ParsedIni): ColonyConfig {
  const out: Record<string, unknown> = { ui: {} };
  const fileOf = (section: string, key?: string) =>
    key ? parsed.origins[`${section}.${key}`]?.replace(/:\d+$/, '') : undefined;
  for (const [section, kv] of Object.entries(parsed.data)) {
    if (section.startsWith('ui.')) {
      (out.ui as Record<string, Record<string, string>>)[section] = { ...kv };
      continue;
    }
    if (section === 'DEFAULT') continue;
    if (!(section in SECTIONS)) {
      const firstKey = Object.keys(kv)[0];
      const where = parsed.origins[`${section}.${firstKey}`] ?? 'config';
      throw new ConfigError(
        `${where}: unknown section [${section}]${firstKey ? ` (first key ${section}.${firstKey})` : ''}; known sections: ${Object.keys(SECTIONS).join(', ')}`,
        fileOf(section, firstKey),
        section,
        firstKey,
        firstKey ? kv[firstKey] : undefined,
      );
    }
  }
  for (const name of Object.keys(SECTIONS) as SectionName[]) {
    const raw = parsed.data[name] ?? {};
    const r = SECTIONS[name].safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const key = issue.code === 'unrecognized_keys' ? String(issue.keys[0]) : String(issue.path[0] ?? '');
      const value = raw[key];
      const where = parsed.origins[`${name}.${key}`] ?? 'config';
      const what = issue.code === 'unrecognized_keys' ? `unknown key ${name}.${key}` : `${name}.${key} = ${JSON.stringify(value)}: ${issue.message}`;
      throw new ConfigError(`${where}: ${what}`, fileOf(name, key), name, key, value);
    }
    out[name] = r.data;
  }
  return out as ColonyConfig;
}

/** Load the shared file, overlay the unit's file and any overrides, and validate. */
export function loadConfig(sources: ConfigSources = {}): ColonyConfig {
  let parsed: ParsedIni = { data: {}, origins: {} };
  if (sources.shared) parsed = readIni(sources.shared);
  if (sources.unit) parsed = overlayIni(parsed, readIni(sources.unit));
  if (sources.overrides) {
    const origins: Record<string, string> = {};
    for (const [s, kv] of Object.entries(sources.overrides)) for (const k of Object.keys(kv)) origins[`${s}.${k}`] = '<override>';
    parsed = overlayIni(parsed, { data: sources.overrides, origins });
  }
  return validateConfig(parsed);
}

/** Parse and validate INI text (for the API's config editor: validate before saving). */
export function validateConfigText(text: string, file = '<text>'): ColonyConfig {
  try {
    return validateConfig(parseIni(text, file));
  } catch (e) {
    if (e instanceof IniSyntaxError) throw new ConfigError(e.message, file, undefined, undefined, undefined);
    throw e;
  }
}
