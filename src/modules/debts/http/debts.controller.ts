import { Body, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import {
  ApiAuthProblems,
  ApiBodyProblems,
  ApiOkPage,
  ApiProblems,
  CurrentPrincipal,
  decodeCursor,
  isOwner,
  MinorUnitsOutOfRangeError,
  PageQuery,
  type Principal,
  ProblemException,
  Roles,
  safeMinorUnits,
  toPage,
  UUID_CURSOR,
} from '../../../platform/index.js';
import { LedgerApi } from '../../ledger/index.js';
import { type DebtView, toDebtView } from '../application/debt.view.js';
import { RegisterDebtHandler } from '../application/register-debt.handler.js';
import { CITIZEN_ID_PATTERN } from '../domain/debt.js';
import { DebtRepository } from '../persistence/debt.repository.js';
import { DebtResponse } from './debt.response.js';
import { RegisterDebtDto } from './register-debt.dto.js';

/**
 * Citizens see only their own debts; another citizen's answer is 404 (no existence leak). Owning
 * takes the citizen role: the same subject under another role is someone else.
 */
function mayRead(principal: Principal, citizenId: string): boolean {
  return (
    principal.roles.includes('admin') || principal.roles.includes('service') || isOwner(principal, 'citizen', citizenId)
  );
}

@ApiTags('debts')
@ApiBearerAuth()
@ApiAuthProblems()
@Controller('v1')
export class DebtsController {
  constructor(
    private readonly register: RegisterDebtHandler,
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerApi,
    private readonly debts: DebtRepository,
  ) {}

  @Post('debts')
  @Roles('service', 'admin')
  @ApiCreatedResponse({ type: DebtResponse, description: 'Registered' })
  @ApiOkResponse({ type: DebtResponse, description: 'The same reference with the same body: the existing debt' })
  @ApiProblems(400, [409, 'The same reference with a different body'])
  @ApiBodyProblems()
  async create(@Body() body: RegisterDebtDto, @Res({ passthrough: true }) response: Response): Promise<DebtView> {
    const { debt, created } = await this.register.execute({ ...body, dueDate: body.dueDate ?? null });
    response.status(created ? 201 : 200);
    return debt;
  }

  @Get('debts/:id')
  @Roles('citizen', 'service', 'admin')
  @ApiOkResponse({ type: DebtResponse })
  @ApiProblems(400, 404)
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<DebtView> {
    const debt = await this.debts.findById(this.dataSource.manager, id);
    if (!debt || !mayRead(principal, debt.citizenId)) throw new NotFoundException(`debt ${id} not found`);
    return toDebtView(debt);
  }

  @Get('citizens/:citizenId/debts')
  @Roles('citizen', 'service', 'admin')
  @ApiOkPage(DebtResponse, {
    totalOutstanding: { type: 'integer', description: 'integer minor units, over all the citizen’s debts' },
    currency: { type: 'string', example: 'SAR' },
  })
  @ApiProblems(400, 404, [422, 'The total outstanding is beyond the largest exact amount'])
  async list(
    @Param('citizenId') citizenId: string,
    @Query() page: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ) {
    if (!CITIZEN_ID_PATTERN.test(citizenId) || !mayRead(principal, citizenId)) {
      throw new NotFoundException(`citizen ${citizenId} not found`);
    }
    const after = decodeCursor(UUID_CURSOR, page.cursor);
    const rows = await this.debts.pageOfCitizen(this.dataSource.manager, citizenId, after, page.limit + 1);
    // From the ledger's citizen-balances projection (one event hop behind a registration or payment).
    const balances = await this.ledger.citizenBalances(citizenId);
    return {
      ...toPage(rows, page.limit, UUID_CURSOR, (row) => row.id, toDebtView),
      totalOutstanding: totalOutstanding(balances.reduce((sum, b) => sum + b.outstanding, 0n)),
      currency: balances[0]?.currency ?? 'SAR',
    };
  }
}

/**
 * The sum of a citizen's outstanding debts, exact. Each debt is at most `Number.MAX_SAFE_INTEGER`
 * minor units, their sum need not be: a total a JSON number cannot carry exactly is refused (422)
 * rather than rounded.
 */
function totalOutstanding(sum: bigint): number {
  try {
    return safeMinorUnits(sum, 'the total outstanding');
  } catch (error) {
    if (!(error instanceof MinorUnitsOutOfRangeError)) throw error;
    throw new ProblemException(
      422,
      'amount-out-of-range',
      'Amount out of range',
      `The citizen's total outstanding exceeds ${Number.MAX_SAFE_INTEGER} minor units, the largest amount this API represents exactly.`,
    );
  }
}
