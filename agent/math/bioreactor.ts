/** Volume and alt-media bookkeeping from dosing events (reference/pioreactor-control.md §6.2). */

export interface VialState {
  current_volume_ml: number;
  efflux_tube_volume_ml: number;
  alt_media_fraction: number;
  cumulative_media_added_ml: number;
  cumulative_alt_media_added_ml: number;
  cumulative_waste_removed_ml: number;
}

const snap = (f: number) => {
  if (Math.abs(f) < 1e-12) return 0;
  if (Math.abs(f - 1) < 1e-12) return 1;
  return Math.min(1, Math.max(0, f));
};

/** Apply one dosing event; `capacity` bounds the volume. Throws on an unknown event. */
export function applyDosingEvent(s: VialState, event: string, v: number, capacity = Infinity): VialState {
  const n = { ...s };
  const V = s.current_volume_ml;
  const E = s.efflux_tube_volume_ml;
  switch (event) {
    case 'add_media':
    case 'add_alt_media': {
      n.current_volume_ml = Math.min(capacity, Math.max(V + v, 0));
      const denom = V + v;
      if (denom > 0) {
        n.alt_media_fraction = snap(event === 'add_media' ? (s.alt_media_fraction * V) / denom : (s.alt_media_fraction * V + v) / denom);
      }
      if (event === 'add_media') n.cumulative_media_added_ml = Math.max(0, s.cumulative_media_added_ml + v);
      else n.cumulative_alt_media_added_ml = Math.max(0, s.cumulative_alt_media_added_ml + v);
      break;
    }
    case 'remove_waste':
      if (V > E) n.current_volume_ml = Math.max(V - v, E, 0);
      n.cumulative_waste_removed_ml = Math.max(0, s.cumulative_waste_removed_ml + v);
      break;
    default:
      throw new RangeError(`unknown dosing event "${event}"`);
  }
  return n;
}

/** Model capacity and max fill in mL (reference/pioreactor-control.md §6.2): 20 ml models 20/18, 40 ml models 40/36. */
export function modelVolumes(model: string): { capacity: number; maxFill: number } {
  return model.includes('20ml') ? { capacity: 20, maxFill: 18 } : { capacity: 40, maxFill: 36 };
}

/**
 * The fill limit a dose must stay under: the model's max fill, lowered (never raised) by
 * `[bioreactor] max_working_volume_ml` when that is set.
 */
export function maxFillMl(model: string, maxWorkingVolumeMl?: number | null): number {
  const { maxFill } = modelVolumes(model);
  return maxWorkingVolumeMl !== undefined && maxWorkingVolumeMl !== null && maxWorkingVolumeMl > 0 ? Math.min(maxFill, maxWorkingVolumeMl) : maxFill;
}
