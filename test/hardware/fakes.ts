/** Test doubles for the hardware layer: a recording I2C bus and a fake sysfs tree in a temp folder. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { I2cBus } from '../../hardware/interfaces.js';

export type I2cOp =
  | { op: 'writeBytes'; addr: number; register: number; bytes: number[] }
  | { op: 'writeByte' | 'writeWord'; addr: number; register: number; value: number }
  | { op: 'write'; addr: number; bytes: number[] }
  | { op: 'readBytes'; addr: number; register: number; length: number }
  | { op: 'readByte' | 'readWord'; addr: number; register: number };

/** Records every operation; reads answer from `replies` keyed "addr:register" (else zeros). */
export class RecordingI2cBus implements I2cBus {
  readonly ops: I2cOp[] = [];
  readonly replies = new Map<string, number[]>();

  reply(addr: number, register: number, bytes: number[]): this {
    this.replies.set(`${addr}:${register}`, bytes);
    return this;
  }

  writes(): I2cOp[] {
    return this.ops.filter((o) => o.op.startsWith('write'));
  }

  async readByte(addr: number, register: number): Promise<number> {
    this.ops.push({ op: 'readByte', addr, register });
    return this.replies.get(`${addr}:${register}`)?.[0] ?? 0;
  }
  async readWord(addr: number, register: number): Promise<number> {
    this.ops.push({ op: 'readWord', addr, register });
    const b = this.replies.get(`${addr}:${register}`) ?? [0, 0];
    return b[0] | (b[1] << 8);
  }
  async readBytes(addr: number, register: number, length: number): Promise<Buffer> {
    this.ops.push({ op: 'readBytes', addr, register, length });
    const b = this.replies.get(`${addr}:${register}`) ?? [];
    return Buffer.from(Array.from({ length }, (_, i) => b[i] ?? 0));
  }
  async writeByte(addr: number, register: number, value: number): Promise<void> {
    this.ops.push({ op: 'writeByte', addr, register, value });
  }
  async writeWord(addr: number, register: number, value: number): Promise<void> {
    this.ops.push({ op: 'writeWord', addr, register, value });
  }
  async writeBytes(addr: number, register: number, bytes: Buffer | number[]): Promise<void> {
    this.ops.push({ op: 'writeBytes', addr, register, bytes: [...bytes] });
  }
  async write(addr: number, bytes: Buffer | number[]): Promise<void> {
    this.ops.push({ op: 'write', addr, bytes: [...bytes] });
  }
  async scan(): Promise<number[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/** A temp folder standing in for /sys/class/... ; files are created with their parents. */
export class FakeTree {
  readonly root = mkdtempSync(join(tmpdir(), 'colony-sysfs-'));

  file(rel: string, content = ''): this {
    const p = join(this.root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return this;
  }

  dir(rel: string): this {
    mkdirSync(join(this.root, rel), { recursive: true });
    return this;
  }

  read(rel: string): string | undefined {
    const p = join(this.root, rel);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }

  path(rel = ''): string {
    return join(this.root, rel);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
