import { Controller, Get, HttpCode, Logger, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import {
  ApiAuthProblems,
  ApiProblems,
  CurrentPrincipal,
  loggableError,
  type Principal,
  ProblemException,
  Roles,
} from '../../../platform/index.js';
import { BALANCE_PROJECTIONS, projectionNamed } from '../projections/balance-projections.js';
import { ProjectionRebuilder, RebuildInProgressError, type RebuildView } from '../projections/projection-rebuilder.js';
import { ProjectionListResponse, ProjectionResponse, RebuildStartedResponse } from './ledger.response.js';

/** A projection as the admin API shows it: the live version, and its latest rebuild's progress. */
export interface ProjectionView {
  name: string;
  /** The version reads are served from. */
  version: number;
  /** `rebuilding` while a rebuild fills the next version beside the live one. */
  status: 'live' | 'rebuilding';
  /** The latest rebuild, or null when it was never rebuilt. */
  rebuild: RebuildView | null;
}

/** Balance projections' admin API (API.md, "Admin"): list, show, rebuild without downtime. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiAuthProblems()
@Roles('admin')
@Controller('admin/projections')
export class ProjectionsAdminController {
  private readonly logger = new Logger(ProjectionsAdminController.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly rebuilder: ProjectionRebuilder,
  ) {}

  @Get()
  @ApiOkResponse({ type: ProjectionListResponse })
  async list(): Promise<{ items: ProjectionView[] }> {
    return { items: await Promise.all(BALANCE_PROJECTIONS.map((p) => this.view(p.name))) };
  }

  @Get(':name')
  @ApiOkResponse({ type: ProjectionResponse })
  @ApiProblems([404, 'Unknown projection'])
  show(@Param('name') name: string): Promise<ProjectionView> {
    return this.view(this.known(name));
  }

  /** Starts a rebuild in this process and answers at once; follow it with `GET /admin/projections/{name}`. */
  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RebuildStartedResponse, description: 'Rebuild started' })
  @ApiProblems([404, 'Unknown projection'], [409, 'A rebuild of this projection is running (rebuildId names it)'])
  async rebuild(@Param('name') name: string, @CurrentPrincipal() principal: Principal): Promise<{ rebuildId: string }> {
    let started: RebuildView;
    try {
      started = await this.rebuilder.start(this.known(name), `admin:${principal.sub}`);
    } catch (error) {
      if (!(error instanceof RebuildInProgressError)) throw error;
      throw new ProblemException(409, 'rebuild-in-progress', 'Rebuild in progress', error.message, {
        rebuildId: error.rebuildId,
      });
    }
    this.rebuilder.run(started).catch((error: unknown) => {
      this.logger.error({ msg: 'projection rebuild failed', rebuildId: started.id, error: loggableError(error) });
    });
    return { rebuildId: started.id };
  }

  private known(name: string): string {
    if (!projectionNamed(name)) throw new NotFoundException(`projection ${name} not found`);
    return name;
  }

  private async view(name: string): Promise<ProjectionView> {
    const [{ live_version: version }] = await this.dataSource.query(
      `SELECT live_version FROM ledger_projection WHERE name = $1`,
      [name],
    );
    const [rebuild] = await this.rebuilder.history(name, 1);
    return {
      name,
      version,
      status: rebuild?.status === 'running' ? 'rebuilding' : 'live',
      rebuild: rebuild ?? null,
    };
  }
}
