import { Body, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import {
  ApiAuthProblems,
  ApiBodyProblems,
  ApiOkPage,
  ApiProblems,
  CurrentPrincipal,
  decodeCursor,
  isOwner,
  PageQuery,
  type Principal,
  Roles,
  toPage,
  UUID_CURSOR,
} from '../../../platform/index.js';
import { type ApplicationView, toApplicationView } from '../application/application.view.js';
import { ApplyForLicenceHandler } from '../application/apply-for-licence.handler.js';
import { LicenceApplicationRepository } from '../persistence/licence-application.repository.js';
import { ApplicationResponse } from './application.response.js';
import { ApplyForLicenceDto } from './apply-for-licence.dto.js';

const isOwnerOrAdmin = (principal: Principal, citizenId: string) =>
  principal.roles.includes('admin') || isOwner(principal, 'citizen', citizenId);

@ApiTags('licences')
@ApiBearerAuth()
@ApiAuthProblems()
@Roles('citizen', 'admin')
@Controller('v1')
export class LicencesController {
  constructor(
    private readonly apply: ApplyForLicenceHandler,
    private readonly dataSource: DataSource,
    private readonly applications: LicenceApplicationRepository,
  ) {}

  @Post('licences/applications')
  @ApiCreatedResponse({ type: ApplicationResponse })
  @ApiProblems(400, [404, 'A citizen applying for another citizen'])
  @ApiBodyProblems()
  async create(@Body() body: ApplyForLicenceDto, @CurrentPrincipal() principal: Principal): Promise<ApplicationView> {
    // A citizen applies only for themselves; pretending otherwise gets the same 404 as a stranger's object.
    if (!isOwnerOrAdmin(principal, body.citizenId)) throw new NotFoundException(`citizen ${body.citizenId} not found`);
    return this.apply.execute(body);
  }

  @Get('licences/applications/:id')
  @ApiOkResponse({ type: ApplicationResponse })
  @ApiProblems(400, 404)
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApplicationView> {
    const application = await this.applications.findById(this.dataSource.manager, id);
    if (!application || !isOwnerOrAdmin(principal, application.citizenId)) {
      throw new NotFoundException(`application ${id} not found`);
    }
    return toApplicationView(application);
  }

  @Get('citizens/:citizenId/licences/applications')
  @ApiOkPage(ApplicationResponse)
  @ApiProblems(400, 404)
  async list(
    @Param('citizenId') citizenId: string,
    @Query() page: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ) {
    if (!isOwnerOrAdmin(principal, citizenId)) throw new NotFoundException(`citizen ${citizenId} not found`);
    const after = decodeCursor(UUID_CURSOR, page.cursor);
    const rows = await this.applications.pageOfCitizen(this.dataSource.manager, citizenId, after, page.limit + 1);
    return toPage(rows, page.limit, UUID_CURSOR, (row) => row.id, toApplicationView);
  }
}
