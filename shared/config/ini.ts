/**
 * An INI reader in the dialect of Python's configparser, as Pioreactor's config.ini uses it:
 * `[section]` headers, `key = value` or `key: value`, `#` and `;` comment lines, keys lower-cased
 * (except that section names keep their case), indented lines continue the previous value,
 * and a duplicate section or key is an error. No I/O here.
 */

export type IniData = Record<string, Record<string, string>>;
/** Where each key came from: `section.key` -> `file:line`. */
export type IniOrigins = Record<string, string>;

export class IniSyntaxError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'IniSyntaxError';
  }
}

export interface ParsedIni {
  data: IniData;
  origins: IniOrigins;
}

export function parseIni(text: string, file = '<string>'): ParsedIni {
  const data: IniData = {};
  const origins: IniOrigins = {};
  let section: string | null = null;
  let lastKey: string | null = null;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/[\u2013\u2014]/g, '-');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      lastKey = trimmed === '' ? null : lastKey;
      return;
    }
    if (/^\s/.test(line) && lastKey && section) {
      data[section][lastKey] = `${data[section][lastKey]}\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (header) {
      section = header[1].trim();
      if (Object.prototype.hasOwnProperty.call(data, section)) {
        throw new IniSyntaxError(`Duplicate section [${section}] was found.`, file, lineNo);
      }
      data[section] = {};
      lastKey = null;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!kv) throw new IniSyntaxError(`Incorrect syntax: ${JSON.stringify(trimmed)}`, file, lineNo);
    if (!section) throw new IniSyntaxError('a key appears before any [section] header', file, lineNo);
    const key = kv[1].toLowerCase();
    if (Object.prototype.hasOwnProperty.call(data[section], key)) {
      throw new IniSyntaxError(`Duplicate option ${key} in section [${section}].`, file, lineNo);
    }
    data[section][key] = kv[2];
    origins[`${section}.${key}`] = `${file}:${lineNo}`;
    lastKey = key;
  });
  return { data, origins };
}

/** Overlay `top` on `base`, section by section, key by key (the unit file wins). */
export function overlayIni(base: ParsedIni, top: ParsedIni): ParsedIni {
  const data: IniData = {};
  for (const [s, kv] of Object.entries(base.data)) data[s] = { ...kv };
  for (const [s, kv] of Object.entries(top.data)) data[s] = { ...(data[s] ?? {}), ...kv };
  return { data, origins: { ...base.origins, ...top.origins } };
}

/** Render INI text (sections in the given order, keys in insertion order). */
export function stringifyIni(data: IniData): string {
  return Object.entries(data)
    .map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join('\n')}\n`)
    .join('\n');
}
