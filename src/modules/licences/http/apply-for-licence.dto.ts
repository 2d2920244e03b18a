import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

const CITIZEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ApplyForLicenceDto {
  @ApiProperty({ pattern: CITIZEN_ID.source })
  @Matches(CITIZEN_ID, { message: 'citizenId must be 1-64 letters, digits, "-" or "_"' })
  citizenId!: string;

  @IsString()
  @Length(1, 200)
  activity!: string;

  @IsString()
  @Length(1, 500)
  premisesAddress!: string;
}
