import { forbiddenJsonKey, forbiddenKey, jsonTooDeep, nestingTooDeep } from '@canopy/contracts';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error';

/**
 * The one `application/json` body parser of every service. Fastify's own answers every refusal,
 * including valid JSON with a `__proto__` key, "Body is not valid JSON"; this one says what was
 * refused: BAD_JSON for text that does not parse, NESTING_TOO_DEEP past `maxDepth` (checked before
 * anything recursive sees the value), FORBIDDEN_KEY for a `__proto__` or `constructor.prototype`
 * key, with its path. `JSON.parse` itself never changes a prototype; the keys are refused because
 * code after it (plain assignment, `Object.assign`) would.
 */
export function installJsonBodyParser(fastify: FastifyInstance, maxDepth: number): void {
  // Fastify's own JSON parser goes (Nest adds none: its bodyParser is off in bootstrap.ts).
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    if (typeof text !== 'string' || text.trim() === '') {
      return done(new AppError('BAD_JSON', 'the body is empty; send a JSON value (or no content-type)'), undefined);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return done(new AppError('BAD_JSON', `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    if (jsonTooDeep(body, maxDepth)) {
      return done(AppError.fromBody(nestingTooDeep(maxDepth, 'request body')), undefined);
    }
    const path = forbiddenJsonKey(body);
    if (path !== undefined) return done(AppError.fromBody(forbiddenKey(path, 'the request body')), undefined);
    done(null, body);
  });
}
