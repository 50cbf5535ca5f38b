import { AppError } from '@canopy/service-kit';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export const STUDIO_PREFIX = '/studio';

/** Hashed bundles never change under one name; everything else is checked on each load. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  const error = new AppError('NOT_FOUND', message);
  return reply.code(error.httpStatus).send(error.toBody());
}

/**
 * Studio (apps/studio, built by `nx build studio` into `dir`) as static files at /studio. Any
 * path under it that is not a file and has no extension is a route of the single-page app
 * (`/studio/executions/x`) and gets index.html, so a reload works; a missing asset is a 404.
 * These routes sit on Fastify directly, so they are not in the OpenAPI document, and they are
 * public (auth-hooks.ts): the page holds no data, the API calls it makes carry the key.
 */
export async function registerStudio(fastify: FastifyInstance, dir: string): Promise<void> {
  await fastify.register(async (scope) => {
    // Swagger UI registers @fastify/static too; one `sendFile` decoration serves both (root given per call).
    if (!scope.hasReplyDecorator('sendFile')) {
      await scope.register(fastifyStatic, { root: dir, serve: false });
    }
    const serve = async (req: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
      const rel = normalize(req.params['*'] ?? '').replace(/^([/\\])+/, '');
      const inside = rel !== '..' && !rel.startsWith(`..${sep}`);
      if (inside && rel !== '' && rel !== '.' && (await isFile(join(dir, rel)))) {
        void reply.header('cache-control', rel.startsWith(`assets${sep}`) ? IMMUTABLE : REVALIDATE);
        return reply.sendFile(rel, dir, { cacheControl: false });
      }
      if (!inside || extname(rel) !== '') {
        return notFound(reply, `no such Studio file: ${req.url}`);
      }
      if (!(await isFile(join(dir, 'index.html')))) {
        return notFound(reply, 'Studio is not built here: run `npx nx build studio` (npm start does it)');
      }
      void reply.header('cache-control', REVALIDATE);
      return reply.type('text/html; charset=utf-8').sendFile('index.html', dir, { cacheControl: false });
    };
    scope.get(STUDIO_PREFIX, serve);
    scope.get(`${STUDIO_PREFIX}/*`, serve);
  });
}
