export { ApplicationBlockedV1, ApplicationBlockedV1Payload } from './application-blocked.v1.js';
export { LicenceIssuedV1, LicenceIssuedV1Payload } from './licence-issued.v1.js';
