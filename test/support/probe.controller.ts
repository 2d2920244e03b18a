import { Body, Controller, Get, Post } from '@nestjs/common';
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

/** Routes that exercise the platform pieces (auth, validation, errors) in end-to-end tests. */
@Controller('probe')
export class ProbeController {
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

  @Public()
  @Get('boom')
  boom(): never {
    throw new Error('relation "secret_table" does not exist: SELECT * FROM secret_table');
  }
}
