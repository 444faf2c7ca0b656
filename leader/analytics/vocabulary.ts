/**
 * Column vocabulary: canonical variables and their header aliases, matched exactly (case-insensitive) or
 * fuzzily with thefuzz's token_sort_ratio (lower-case, split on non-alphanumerics, sort tokens, Indel
 * similarity x 100), best alias >= 70 wins.
 */

export const VOCABULARY: Record<string, readonly string[]> = {
  dissolved_oxygen: ['DO', 'dO2', 'DO_%', 'dissolved_oxygen', 'pO2', 'DO_sat', 'DO_pct', 'dissolved_O2'],
  ph: ['pH', 'PH', 'ph_value', 'pH_value'],
  temperature: ['temp', 'temperature', 'T', 'temp_C', 'reactor_temp', 'T_C', 'temp_K', 'jacket_temp'],
  // QUIRK fix: SporeDB stored OD600 as "biomass", so the default signal "OD600" found no data. An optical
  // density is not a biomass concentration; it keeps its own name.
  OD600: ['OD', 'OD600', 'optical_density', 'OD_600'],
  biomass: ['cell_density', 'biomass', 'DCW', 'dry_cell_weight'],
  glucose: ['glucose', 'glc', 'sugar', 'carbon_source', 'glucose_g_L', 'Glc', 'residual_glucose'],
  volume: ['volume', 'vol', 'working_volume', 'V', 'reactor_volume', 'vol_L'],
  feed_rate: ['feed', 'feed_rate', 'feed_pump', 'F_rate', 'feed_flow'],
  agitation: ['rpm', 'agitation', 'stirrer', 'stir_speed', 'RPM', 'stirrer_speed'],
  airflow: ['air', 'airflow', 'aeration', 'vvm', 'gas_flow', 'air_flow', 'sparge'],
  lactate: ['lactate', 'lac', 'lactic_acid'],
  ammonia: ['ammonia', 'NH3', 'NH4', 'ammonium'],
  glutamine: ['glutamine', 'gln', 'Gln'],
  glutamate: ['glutamate', 'glu', 'Glu'],
  viability: ['viability', 'cell_viability', 'viab', 'viable_pct'],
  product_titer: ['titer', 'product', 'mAb', 'product_titer', 'IgG'],
};

export const TIMESTAMP_NAMES = new Set(['time', 'timestamp', 'datetime', 'elapsed', 'hours', 't', 'time_h', 'time_min', 'elapsed_h', 'elapsed_min']);

/** trim whitespace, then leading/trailing underscores */
export function cleanHeader(h: string): string {
  return h.trim().replace(/^_+|_+$/g, '');
}

function processForFuzz(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}

/** Indel similarity ratio (0..100) as rapidfuzz's fuzz.ratio: 100 * 2*LCS / (|a|+|b|). */
export function fuzzRatio(a: string, b: string): number {
  if (a.length + b.length === 0) return 100;
  const prev = new Int32Array(b.length + 1);
  const cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    prev.set(cur);
  }
  return (200 * prev[b.length]) / (a.length + b.length);
}

export function tokenSortRatio(a: string, b: string): number {
  return Math.round(fuzzRatio(processForFuzz(a), processForFuzz(b)));
}

export interface ColumnMatch {
  variable: string;
  confidence: number;
}

/** Exact alias match (confidence 1), else the best fuzzy alias scoring >= 70 (confidence score/100). */
export function matchColumn(header: string, vocabulary: Record<string, readonly string[]> = VOCABULARY): ColumnMatch | null {
  const h = cleanHeader(header).toLowerCase();
  for (const [variable, aliases] of Object.entries(vocabulary)) {
    if (aliases.some((a) => a.toLowerCase() === h)) return { variable, confidence: 1 };
  }
  let best: ColumnMatch | null = null;
  for (const [variable, aliases] of Object.entries(vocabulary)) {
    for (const a of aliases) {
      const s = tokenSortRatio(header, a);
      if (s >= 70 && (!best || s / 100 > best.confidence)) best = { variable, confidence: s / 100 };
    }
  }
  return best;
}
