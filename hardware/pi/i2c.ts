/**
 * I2cBus over the i2c-bus package (/dev/i2c-N). The package is an optional native dependency, so
 * it is imported only here, lazily, and a missing build turns into a sentence, not a stack trace.
 */
import type { I2cBus } from '../interfaces.js';

/** The part of i2c-bus's PromisifiedBus we use (the package ships no types). */
interface NativePromisifiedBus {
  readByte(addr: number, cmd: number): Promise<number>;
  readWord(addr: number, cmd: number): Promise<number>;
  readI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeByte(addr: number, cmd: number, byte: number): Promise<void>;
  writeWord(addr: number, cmd: number, word: number): Promise<void>;
  writeI2cBlock(addr: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  i2cWrite(addr: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  scan(): Promise<number[]>;
  close(): Promise<void>;
}
interface NativeI2cModule {
  openPromisified(busNumber: number): Promise<NativePromisifiedBus>;
}

export async function loadI2cModule(): Promise<NativeI2cModule | null> {
  try {
    const mod = (await import('i2c-bus' as string)) as { default?: NativeI2cModule } & NativeI2cModule;
    return mod.default ?? mod;
  } catch {
    return null;
  }
}

class NativeI2cBus implements I2cBus {
  constructor(private readonly b: NativePromisifiedBus) {}
  readByte(addr: number, register: number): Promise<number> {
    return this.b.readByte(addr, register);
  }
  readWord(addr: number, register: number): Promise<number> {
    return this.b.readWord(addr, register);
  }
  async readBytes(addr: number, register: number, length: number): Promise<Buffer> {
    const r = await this.b.readI2cBlock(addr, register, length, Buffer.alloc(length));
    return r.buffer.subarray(0, r.bytesRead);
  }
  writeByte(addr: number, register: number, value: number): Promise<void> {
    return this.b.writeByte(addr, register, value);
  }
  writeWord(addr: number, register: number, value: number): Promise<void> {
    return this.b.writeWord(addr, register, value);
  }
  async writeBytes(addr: number, register: number, bytes: Buffer | number[]): Promise<void> {
    const buf = Buffer.from(bytes);
    await this.b.writeI2cBlock(addr, register, buf.length, buf);
  }
  async write(addr: number, bytes: Buffer | number[]): Promise<void> {
    const buf = Buffer.from(bytes);
    await this.b.i2cWrite(addr, buf.length, buf);
  }
  scan(): Promise<number[]> {
    return this.b.scan();
  }
  close(): Promise<void> {
    return this.b.close();
  }
}

/** Open /dev/i2c-`busNumber`; throws a one-sentence Error when the package or bus is missing. */
export async function openI2cBus(busNumber = 1): Promise<I2cBus> {
  const mod = await loadI2cModule();
  if (!mod) throw new Error('The i2c-bus package is not installed or did not build (run npm install on the Pi).');
  try {
    return new NativeI2cBus(await mod.openPromisified(busNumber));
  } catch (e) {
    throw new Error(`/dev/i2c-${busNumber} could not be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { cause: e });
  }
}
