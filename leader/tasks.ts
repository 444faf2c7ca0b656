/**
 * The 202 task pattern (reference/pioreactor-api.md §1.3): a route starts work and answers
 * `{"unit","task_id","result_url_path"}`; `GET /unit_api/task_results/{id}` answers 202 while pending,
 * 200 with the result once (results are consumed when read, as Huey does), or 500 if the task failed.
 */
import { randomUUID } from 'node:crypto';

type TaskState = { status: 'pending' } | { status: 'complete'; result: unknown } | { status: 'failed'; error: string };

export interface TaskRef {
  unit: string;
  task_id: string;
  result_url_path: string;
}

export class TaskStore {
  private readonly tasks = new Map<string, { state: TaskState; createdAt: number }>();

  constructor(
    private readonly unitName: string,
    private readonly maxTasks = 10_000,
  ) {}

  /** Start `work` and return the reference for the 202 body. */
  start(work: () => Promise<unknown>): TaskRef {
    const id = randomUUID();
    this.tasks.set(id, { state: { status: 'pending' }, createdAt: Date.now() });
    this.evict();
    work().then(
      (result) => this.tasks.set(id, { state: { status: 'complete', result }, createdAt: Date.now() }),
      (err: unknown) => this.tasks.set(id, { state: { status: 'failed', error: err instanceof Error ? err.message : String(err) }, createdAt: Date.now() }),
    );
    return { unit: this.unitName, task_id: id, result_url_path: `/unit_api/task_results/${id}` };
  }

  /** Read (and, once finished, consume) a task's state. */
  take(id: string): TaskState | null {
    const t = this.tasks.get(id);
    if (!t) return null;
    if (t.state.status !== 'pending') this.tasks.delete(id);
    return t.state;
  }

  private evict(): void {
    while (this.tasks.size > this.maxTasks) {
      const oldest = this.tasks.keys().next().value;
      if (oldest === undefined) break;
      this.tasks.delete(oldest);
    }
  }
}
