import { defineModule } from '../../outbox/index.js';
import { ApplicationBlockedV1, LicenceIssuedV1 } from './events/index.js';
import { IssueLicencesWhenCitizenClearedListener } from './listeners/issue-licences-when-citizen-cleared.listener.js';

/** What the licences module publishes and hears (docs/modules.md is generated from it). */
export const licencesManifest = defineModule({
  name: 'licences',
  summary: 'Licence applications, blocked while the citizen has outstanding debts.',
  facade: [],
  publishes: [ApplicationBlockedV1, LicenceIssuedV1],
  listeners: [IssueLicencesWhenCitizenClearedListener],
});
