import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiAuthProblems,
  ApiProblems,
  CurrentPrincipal,
  isOwner,
  jsonMinorUnits,
  type Principal,
  Roles,
} from '../../../platform/index.js';
import { LedgerApi } from '../ledger.api.js';
import { CustomerBalanceResponse } from './ledger.response.js';

/** Subject ids of both projections: letters, digits, `-` and `_` (as citizen and customer ids are). */
const SUBJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Balances read from the ledger's projections (beyond API.md): what a customer paid, had refunded
 * and holds in open orders. A projection follows the ledger through the outbox, so a balance lags
 * a posting by one event hop.
 */
@ApiTags('balances')
@ApiBearerAuth()
@ApiAuthProblems()
@Controller('v1')
export class BalancesController {
  constructor(private readonly ledger: LedgerApi) {}

  @Get('customers/:customerId/balance')
  @Roles('customer', 'admin')
  @ApiOkResponse({ type: CustomerBalanceResponse })
  @ApiProblems(404)
  async customer(@Param('customerId') customerId: string, @CurrentPrincipal() principal: Principal) {
    const may = principal.roles.includes('admin') || isOwner(principal, 'customer', customerId);
    if (!SUBJECT_ID.test(customerId) || !may) throw new NotFoundException(`customer ${customerId} not found`);
    const balances = await this.ledger.customerBalances(customerId);
    return {
      customerId,
      balances: balances.map((b) => ({
        currency: b.currency,
        paid: jsonMinorUnits(b.paid),
        refunded: jsonMinorUnits(b.refunded),
        openOrders: jsonMinorUnits(b.openOrders),
      })),
    };
  }
}
