import { jsonTooDeep, nestingTooDeep } from '@canopy/contracts';
import type { FastifyInstance } from 'fastify';

/**
 * Every parsed JSON body of every route is checked for depth right after parsing, before Nest's
 * pipes, handlers or `JSON.stringify` (which overflows the stack on a value some thousand levels
 * deep, a 500 once) see it: deeper than `maxDepth` is 400 NESTING_TOO_DEEP.
 */
export function installJsonDepthLimit(fastify: FastifyInstance, maxDepth: number): void {
  fastify.addHook('preValidation', (req, reply, done) => {
    if (!jsonTooDeep(req.body, maxDepth)) return done();
    void reply.code(400).send(nestingTooDeep(maxDepth, 'request body'));
  });
}
