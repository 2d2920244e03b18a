import { Body, Controller, Get, Inject, Logger, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import {
  ApiAuthProblems,
  ApiBodyProblems,
  ApiProblems,
  CurrentPrincipal,
  type Principal,
  ProblemException,
  Roles,
} from '../../../platform/index.js';
import { GATEWAY_SIM_SETTINGS, type GatewaySimSettings } from '../gateway/simulated-gateway.js';

/** `PATCH /admin/gateway-simulator`: the faults to change; those left out keep their value. */
export class ChangeGatewaySimDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 60_000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  latencyMs?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'new charges declined' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  declineRate?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'charges taken, then the answer lost' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  timeoutAfterChargeRate?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: '503 before charging (retried)' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'charge requests refused, 422 (dead-lettered at once)' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  rejectRate?: number;
}

/** The simulator as this process runs it. */
export interface GatewaySimView {
  /** Whether this process charges (has the `worker` role): only then do its faults matter. */
  charging: boolean;
  faults: GatewaySimSettings;
}

class GatewaySimFaultsResponse implements GatewaySimSettings {
  @ApiProperty({ type: 'integer' }) latencyMs!: number;
  @ApiProperty() declineRate!: number;
  @ApiProperty() timeoutAfterChargeRate!: number;
  @ApiProperty() errorRate!: number;
  @ApiProperty() rejectRate!: number;
}

/** {@link GatewaySimView} for the OpenAPI document. */
class GatewaySimResponse implements GatewaySimView {
  @ApiProperty({ description: 'whether this process charges (has the worker role)' }) charging!: boolean;
  @ApiProperty({ type: GatewaySimFaultsResponse }) faults!: GatewaySimFaultsResponse;
}

/**
 * The in-process payment simulator's faults, read and changed while the app runs, so that a
 * gateway failure can be made to happen and then healed (`npm run demo`, docs/adr/0037). Mounted
 * only when `GATEWAY_SIM_CONTROL` is on and the gateway is the simulator; production refuses both.
 * The faults are this process's: a process without the `worker` role charges nothing, so changing
 * them there is refused (409) rather than silently ineffective.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiAuthProblems()
@Roles('admin')
@Controller('admin/gateway-simulator')
export class GatewaySimulatorAdminController {
  private readonly logger = new Logger(GatewaySimulatorAdminController.name);

  constructor(
    @Inject(GATEWAY_SIM_SETTINGS) private readonly settings: GatewaySimSettings,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOkResponse({ type: GatewaySimResponse })
  show(): GatewaySimView {
    return this.view();
  }

  @Patch()
  @ApiOkResponse({ type: GatewaySimResponse, description: 'The faults after the change' })
  @ApiProblems(400, [409, 'This process has no worker role: its simulator takes no charges'])
  @ApiBodyProblems()
  change(@Body() body: ChangeGatewaySimDto, @CurrentPrincipal() principal: Principal): GatewaySimView {
    if (!this.config.roles.has('worker')) {
      throw new ProblemException(
        409,
        'simulator-not-charging-here',
        'Simulator not charging here',
        'This process has no worker role, so its simulator takes no charges: change the faults on a worker process.',
      );
    }
    const changed = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    Object.assign(this.settings, changed);
    this.logger.warn({ msg: 'gateway simulator faults changed', by: principal.sub, changed, faults: this.settings });
    return this.view();
  }

  private view(): GatewaySimView {
    return { charging: this.config.roles.has('worker'), faults: { ...this.settings } };
  }
}
