/**
 * Units: canonical unit per variable category, unit detection from headers / unit rows / value ranges, and
 * conversion. Conversions return a warning instead of throwing so one odd cell never aborts an import.
 */

export type Category = 'concentration' | 'temperature' | 'dissolved_oxygen' | 'volume' | 'ph' | 'time';

export const CANONICAL_UNIT: Record<Category, string | null> = {
  concentration: 'g/L',
  temperature: 'C',
  dissolved_oxygen: '%',
  volume: 'L',
  ph: null,
  time: 'h',
};

/**
 * Category per canonical variable. OD600 has none on purpose (QUIRK fix): it is an absorbance, and SporeDB's
 * "mean > 500 means mg/L" heuristic divided large OD readings by 1000.
 */
export const VARIABLE_CATEGORY: Record<string, Category> = {
  biomass: 'concentration',
  glucose: 'concentration',
  lactate: 'concentration',
  ammonia: 'concentration',
  glutamine: 'concentration',
  glutamate: 'concentration',
  product_titer: 'concentration',
  temperature: 'temperature',
  dissolved_oxygen: 'dissolved_oxygen',
  volume: 'volume',
  ph: 'ph',
};

export const KNOWN_UNITS = new Set(['g/L', 'mg/mL', 'mg/L', 'g/mL', 'ug/mL', 'mol/L', 'K', 'C', 'F', 'min', 'h', 's', 'mL', 'L', '%', 'pct', 'rpm']);

const FACTORS: Record<string, (v: number) => number> = {
  'mg/mL>g/L': (v) => v,
  'mg/L>g/L': (v) => v / 1000,
  'g/mL>g/L': (v) => v * 1000,
  'ug/mL>g/L': (v) => v / 1000,
  'K>C': (v) => v - 273.15,
  'F>C': (v) => ((v - 32) * 5) / 9,
  'min>h': (v) => v / 60,
  's>h': (v) => v / 3600,
  'mL>L': (v) => v / 1000,
};

export interface Converted {
  value: number | null;
  warning?: string;
}

/** Convert value from one unit to another; null plus a warning when there is no known conversion. */
export function convertUnit(value: number, from: string, to: string): Converted {
  if (!Number.isFinite(value)) return { value: null, warning: 'Cannot convert non-finite value' };
  if (from === to) return { value };
  if (from === 'mol/L' && to === 'g/L') return { value: null, warning: 'Cannot convert mol/L to g/L without a molecular weight' };
  const f = FACTORS[`${from}>${to}`];
  if (!f) return { value: null, warning: `No conversion from ${from} to ${to}` };
  return { value: f(value) };
}

/** Unit from a header suffix: glucose_mg_mL -> mg/mL, temp_K -> K, DO_pct -> %; none for pH. */
export function detectUnitFromHeader(header: string): string | null {
  const parts = header.trim().split('_');
  if (parts.length >= 3) {
    const two = `${parts[parts.length - 2]}_${parts[parts.length - 1]}`;
    const m: Record<string, string> = { g_L: 'g/L', mg_mL: 'mg/mL', mg_L: 'mg/L', g_mL: 'g/mL', ug_mL: 'ug/mL' };
    if (m[two]) return m[two];
  }
  if (parts.length >= 2) {
    const last = parts[parts.length - 1];
    if (['K', 'C', 'F', 'min', 'h', 's', 'mL', 'L'].includes(last)) return last;
    if (last === 'pct' || last === '%') return '%';
  }
  return null;
}

/** SporeDB's range heuristic on the mean of the first numeric values. */
export function guessUnitFromValues(category: Category, values: readonly number[]): string | null {
  const xs = values.filter(Number.isFinite).slice(0, 10);
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (category === 'temperature') return mean > 200 ? 'K' : 'C';
  if (category === 'concentration') return mean > 500 ? 'mg/L' : mean >= 0.1 ? 'g/L' : null;
  return null;
}
