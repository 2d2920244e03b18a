import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';

/** A source of uniform numbers in [0, 1). */
export interface RandomSource {
  next(): number;
}

/**
 * The simulated gateway's dice: a seedable PRNG (mulberry32), randomly seeded at start, so a
 * fault-injection run can be replayed by reseeding it (`app.get(GatewaySimRandom).reseed(42)`).
 */
@Injectable()
export class GatewaySimRandom implements RandomSource {
  private state = randomInt(0, 2 ** 32);

  reseed(seed: number): void {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
