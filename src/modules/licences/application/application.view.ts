import type { ApplicationStatus, LicenceApplicationEntity } from '../persistence/licence-application.entity.js';

/** An application as the API shows it (API.md, `Application`). */
export interface ApplicationView {
  id: string;
  citizenId: string;
  activity: string;
  premisesAddress: string;
  status: ApplicationStatus;
  blockingDebtIds: string[];
  licenceNumber: string | null;
  createdAt: string;
  issuedAt: string | null;
}

export function toApplicationView(a: LicenceApplicationEntity): ApplicationView {
  return {
    id: a.id,
    citizenId: a.citizenId,
    activity: a.activity,
    premisesAddress: a.premisesAddress,
    status: a.status,
    blockingDebtIds: a.blockingDebtIds,
    licenceNumber: a.licenceNumber,
    createdAt: a.createdAt.toISOString(),
    issuedAt: a.issuedAt?.toISOString() ?? null,
  };
}
