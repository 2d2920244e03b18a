import { Body, Controller, Get, Optional, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { CurrentPrincipal, type Principal, Public, Roles } from '../../src/platform/index.js';

export class ProbeBody {
  @IsString()
  @Length(1, 64)
  name!: string;

  @IsInt()
  @Min(1)
  amount!: number;
}

/** A made-up national id: personal data that a failing query carries as a parameter. */
export const PROBE_NATIONAL_ID = '1098765432';

/** Routes that exercise the platform pieces (auth, validation, errors) in end-to-end tests. */
@Controller('probe')
export class ProbeController {
  constructor(@Optional() private readonly dataSource?: DataSource) {}

  @Public()
  @Post('echo')
  echo(@Body() body: ProbeBody): ProbeBody {
    return body;
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }

  @Roles('admin')
  @Get('admin')
  admin(): { ok: true } {
    return { ok: true };
  }

  /**
   * A query that fails in PostgreSQL with a personal-data parameter, which PostgreSQL also quotes
   * in its message (`invalid input syntax for type uuid: "…"`): the 500's log line must show neither.
   */
  @Public()
  @Get('query-failure')
  async queryFailure(): Promise<never> {
    await this.dataSource!.query(`SELECT id FROM debts_debt WHERE id = $1::uuid`, [PROBE_NATIONAL_ID]);
    throw new Error('the probe query was expected to fail');
  }

  @Public()
  @Get('boom')
  boom(): never {
    throw new Error('relation "secret_table" does not exist: SELECT * FROM secret_table');
  }
}
