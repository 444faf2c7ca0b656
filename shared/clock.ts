/**
 * Time comes from an injectable Clock (ARCHITECTURE.md §4). The real clock wraps Node's timers;
 * the virtual clock advances timers deterministically, in due-time order (ties in the order they were scheduled),
 * and never touches a real timer, so tests of periodic logic never sleep.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Clears a timeout or an interval. Unknown or already-cleared handles are ignored. */
  clear(handle: TimerHandle | undefined | null): void;
  sleep(ms: number): Promise<void>;
}

/** Node's timers. Timers are unref'd only when asked, so a daemon stays alive on its intervals. */
export class RealClock implements Clock {
  private next = 1;
  private readonly live = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.live.set(
      id,
      setTimeout(() => {
        this.live.delete(id);
        fn();
      }, Math.max(0, ms)),
    );
    return { id };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.live.set(id, setInterval(fn, Math.max(1, ms)));
    return { id };
  }

  clear(handle: TimerHandle | undefined | null): void {
    if (!handle) return;
    const t = this.live.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.live.delete(handle.id);
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}

interface VTimer {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
  every: number | null;
}

/** A deterministic clock for tests and for running the simulator faster than real time. */
export class VirtualClock implements Clock {
  private t: number;
  private nextId = 1;
  private seq = 0;
  private heap: VTimer[] = [];
  private readonly cancelled = new Set<number>();
  private readonly pending = new Set<number>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.schedule(fn, Math.max(0, ms), null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.schedule(fn, every, every);
  }

  clear(handle: TimerHandle | undefined | null): void {
    if (handle && this.pending.has(handle.id)) {
      this.cancelled.add(handle.id);
      this.pending.delete(handle.id);
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** How many timers are waiting. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Due time of the next timer, or null. */
  nextDue(): number | null {
    this.dropCancelledTop();
    return this.heap.length ? this.heap[0].due : null;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. Synchronous. */
  advance(ms: number): number {
    const end = this.t + Math.max(0, ms);
    let fired = 0;
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.due > end) break;
      this.fire();
      fired++;
    }
    this.t = end;
    return fired;
  }

  /**
   * Like advance, but lets promise callbacks run between timers, so async code started by one
   * timer (an awaited sleep, a pump run) makes progress before the next fires.
   */
  async advanceAsync(ms: number): Promise<number> {
    const end = this.t + Math.max(0, ms);
    let fired = 0;
    await flushMicrotasks();
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (!top || top.due > end) break;
      this.fire();
      fired++;
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
    return fired;
  }

  private schedule(fn: () => void, delay: number, every: number | null): TimerHandle {
    const id = this.nextId++;
    this.push({ id, due: this.t + delay, seq: this.seq++, fn, every });
    this.pending.add(id);
    return { id };
  }

  private fire(): void {
    const timer = this.pop()!;
    this.t = Math.max(this.t, timer.due);
    if (timer.every !== null) {
      this.push({ ...timer, due: timer.due + timer.every, seq: this.seq++ });
    } else {
      this.pending.delete(timer.id);
    }
    timer.fn();
  }

  private dropCancelledTop(): void {
    while (this.heap.length && this.cancelled.has(this.heap[0].id)) {
      const t = this.pop()!;
      this.cancelled.delete(t.id);
    }
  }

  private less(a: VTimer, b: VTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(t: VTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): VTimer | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Let queued promise callbacks run (several rounds, so chained awaits settle). */
export async function flushMicrotasks(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
