import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { CITIZEN_ID_PATTERN } from '../../debts/index.js';

export class ApplyForLicenceDto {
  @ApiProperty({ pattern: CITIZEN_ID_PATTERN.source })
  @Matches(CITIZEN_ID_PATTERN, { message: 'citizenId must be 1-64 letters, digits, "-" or "_"' })
  citizenId!: string;

  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  activity!: string;

  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  premisesAddress!: string;
}
