import { Injectable } from '@nestjs/common';
import { HandlesEvents, subscribe } from '../../src/outbox/index.js';
import {
  RecorderHandler,
  recorderSubscription,
  ThingHappened,
  ThingObserved,
  withAppCatalogue,
} from '../support/outbox-fixtures.js';
import { startTestApp } from '../support/test-app.js';

describe('outbox checks at start', () => {
  it('refuses to start when the dedupe window is shorter than a retry horizon', async () => {
    const patient = subscribe(ThingHappened, {
      name: 'testing.patient',
      module: 'testing',
      retry: { attempts: 20, backoffMs: 1000 },
    });
    @Injectable()
    @HandlesEvents(patient)
    class PatientHandler {
      async handle(): Promise<void> {}
    }
    await expect(
      startTestApp({
        catalogue: withAppCatalogue([ThingHappened], [patient]),
        providers: [PatientHandler],
        env: { OUTBOX_DEDUPE_WINDOW_HOURS: '1' },
      }),
    ).rejects.toThrow(
      /OUTBOX_DEDUPE_WINDOW_HOURS=1 is shorter than the longest retry horizon: subscriber testing.patient/,
    );
  });

  it('refuses to start when a subscription has no handler', async () => {
    await expect(
      startTestApp({ catalogue: withAppCatalogue([ThingHappened], [recorderSubscription]) }),
    ).rejects.toThrow(/subscribers without a handler: testing.recorder/);
  });

  it('refuses to start when a handler is bound to a subscription missing from the catalogue', async () => {
    const stray = subscribe(ThingObserved, { name: 'testing.stray', module: 'testing' });
    @Injectable()
    @HandlesEvents(stray)
    class StrayHandler {
      async handle(): Promise<void> {}
    }
    await expect(
      startTestApp({
        catalogue: withAppCatalogue([ThingHappened], [recorderSubscription]),
        providers: [RecorderHandler, StrayHandler],
      }),
    ).rejects.toThrow(/bound to "testing.stray", which is not in the catalogue/);
  });
});
