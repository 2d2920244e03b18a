import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AuthenticationMiddleware } from './authentication.middleware.js';
import { TokenService } from './token.service.js';

/** Bearer-token authentication for every route; see {@link AccessGuard} for authorisation. */
@Global()
@Module({
  providers: [TokenService, AuthenticationMiddleware],
  exports: [TokenService],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuthenticationMiddleware).forRoutes('*');
  }
}
