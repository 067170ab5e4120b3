/**
 * The arithmetic of admission control, on a hand-driven clock and in-flight count: the fixed
 * bound with this process's own admissions between samples, and the adaptive bound under a
 * latency target. (The signals themselves — Postgres and Temporal — are tested on the real
 * stack in src/api/purchases/admission.int.test.ts.)
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { createLogger } from '../logger.js';
import { createPurchaseAdmission, type AdmissionTicket, type PurchaseAdmission } from './admission.js';

interface Rig {
  readonly admission: PurchaseAdmission;
  /** Advances the clock. */
  tick(ms: number): void;
  /** Sets what the next sample of purchases in flight reads. */
  setInFlight(n: number): void;
  readonly refusals: string[];
}

function rig(env: Record<string, string>): Rig {
  let clock = 1_000_000;
  let inFlight = 0;
  const refusals: string[] = [];
  const admission = createPurchaseAdmission({
    config: loadConfig({ PURCHASE_ADMISSION_SAMPLE_MS: '100', ...env }),
    // Neither is touched: the in-flight count is read through readInFlight, the backlog bound is off.
    database: {} as Database,
    temporal: {} as Client,
    logger: createLogger('silent'),
    onRefusal: (reason) => refusals.push(reason),
    now: () => clock,
    readInFlight: () => Promise.resolve(inFlight),
  });
  return {
    admission,
    tick: (ms) => {
      clock += ms;
    },
    setInFlight: (n) => {
      inFlight = n;
    },
    refusals,
  };
}

async function tryAdmit(admission: PurchaseAdmission): Promise<AdmissionTicket | 'overloaded'> {
  try {
    return await admission.admit();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'overloaded') return 'overloaded';
    throw error;
  }
}

describe('admission control', () => {
  it('both bounds 0: admits everything without reading anything', async () => {
    const r = rig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '0' });
    r.setInFlight(1_000_000);
    for (let i = 0; i < 100; i += 1) expect(await tryAdmit(r.admission)).not.toBe('overloaded');
    expect(r.admission.state().sample).toBeNull();
  });

  it('fixed bound: counts its own admissions between samples, refuses at the bound, reads again after the interval', async () => {
    const r = rig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '5', PURCHASE_ADMISSION_RETRY_AFTER_S: '3' });
    r.setInFlight(2);
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await tryAdmit(r.admission));
    expect(answers.filter((a) => a === 'overloaded')).toHaveLength(3);
    expect(r.refusals).toEqual(['in_flight', 'in_flight', 'in_flight']);
    await expect(r.admission.admit()).rejects.toMatchObject({
      code: 'overloaded',
      status: 503,
      extensions: { retryAfter: 3 },
    });
    // Load fell: the next sample, not the count of this process, decides.
    r.setInFlight(0);
    r.tick(100);
    expect(await tryAdmit(r.admission)).not.toBe('overloaded');
    expect(r.admission.state()).toMatchObject({ sample: { inFlight: 0 }, admittedSinceSample: 1, bound: 5 });
  });

  it('fixed bound: a purchase that ended before the next sample leaves the count; one still running (202) stays in it', async () => {
    const r = rig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '3' });
    r.setInFlight(0);
    // Ten purchases one after another, each ending before the next starts, within one sample interval.
    for (let i = 0; i < 10; i += 1) {
      const ticket = await tryAdmit(r.admission);
      expect(ticket).not.toBe('overloaded');
      if (ticket !== 'overloaded') ticket.answered(true);
    }
    expect(r.admission.state()).toMatchObject({ admittedSinceSample: 0 });
    // Three still running at the deadline (202): the fourth is refused until a sample says otherwise.
    for (let i = 0; i < 3; i += 1) {
      const ticket = await tryAdmit(r.admission);
      if (ticket !== 'overloaded') ticket.answered(false);
    }
    expect(await tryAdmit(r.admission)).toBe('overloaded');
    // An admission counted against an earlier sample does not lower the new sample's count.
    const early = await tryAdmit(r.admission);
    expect(early).toBe('overloaded');
    r.setInFlight(2);
    r.tick(100);
    const fresh = await tryAdmit(r.admission);
    expect(fresh).not.toBe('overloaded');
    r.tick(100);
    r.setInFlight(2);
    const next = await tryAdmit(r.admission);
    if (fresh !== 'overloaded') fresh.answered(true); // admitted under the previous sample: no effect now
    expect(r.admission.state()).toMatchObject({ sample: { inFlight: 2 }, admittedSinceSample: 1 });
    expect(next).not.toBe('overloaded');
  });

  it('adaptive bound: lowered by a quarter per round of slow answers, once per round, raised by one per sample while the target is met', async () => {
    const r = rig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '20', PURCHASE_ADMISSION_TARGET_MS: '500' });
    r.setInFlight(0);
    // A round of slow answers (900 ms > 500 ms).
    const slow: (AdmissionTicket | 'overloaded')[] = [];
    for (let i = 0; i < 10; i += 1) slow.push(await tryAdmit(r.admission));
    r.tick(900);
    for (const t of slow) if (t !== 'overloaded') t.answered();
    await tryAdmit(r.admission); // samples: decides
    expect(r.admission.state().bound).toBe(15);
    // Answers of purchases admitted before the decrease do not lower it again.
    const late = await tryAdmit(r.admission);
    r.tick(50);
    for (const t of slow) if (t !== 'overloaded') t.answered();
    r.tick(100);
    await tryAdmit(r.admission);
    expect(r.admission.state().bound).toBe(15);
    // A slow round admitted after it lowers it again: 15 → 11.
    r.tick(1000);
    if (late !== 'overloaded') late.answered(); // admitted before the decrease: ignored
    const next = await tryAdmit(r.admission);
    r.tick(800);
    if (next !== 'overloaded') next.answered();
    r.tick(100);
    await tryAdmit(r.admission);
    expect(r.admission.state().bound).toBe(11);
    // The bound is what refuses now: 11 in flight is over it.
    r.tick(100);
    r.setInFlight(11);
    expect(await tryAdmit(r.admission)).toBe('overloaded');
    // Fast answers raise it one per sample, up to the configured bound and no further.
    r.setInFlight(0);
    for (let round = 0; round < 15; round += 1) {
      r.tick(100);
      const t = await tryAdmit(r.admission);
      r.tick(50);
      if (t !== 'overloaded') t.answered();
    }
    expect(r.admission.state().bound).toBe(20);
  });

  it('never lowers the bound below 1', async () => {
    const r = rig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '2', PURCHASE_ADMISSION_TARGET_MS: '100' });
    for (let round = 0; round < 10; round += 1) {
      r.tick(200);
      const t = await tryAdmit(r.admission);
      r.tick(1000);
      if (t !== 'overloaded') t.answered();
    }
    r.tick(200);
    await tryAdmit(r.admission);
    expect(r.admission.state().bound).toBe(1);
  });

  it('a target without an in-flight bound is refused at start-up', () => {
    expect(() => loadConfig({ PURCHASE_ADMISSION_MAX_IN_FLIGHT: '0', PURCHASE_ADMISSION_TARGET_MS: '500' })).toThrow(
      /PURCHASE_ADMISSION_TARGET_MS/,
    );
  });
});
