import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * Swagger UI at /docs without @fastify/static (which @nestjs/swagger's UI needs on Fastify but
 * the workspace does not ship): the page and a fixed list of assets from swagger-ui-dist, the
 * UI bundle @nestjs/swagger itself depends on.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

function assetsDir(): string {
  const fromSwagger = createRequire(require.resolve('@nestjs/swagger'));
  return dirname(fromSwagger.resolve('swagger-ui-dist/package.json'));
}

function page(docsPath: string, specUrl: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Canopy API</title>
  <link rel="stylesheet" href="${docsPath}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${docsPath}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${docsPath}/swagger-ui-bundle.js"></script>
  <script src="${docsPath}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(specUrl)},
      dom_id: '#swagger-ui',
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
    });
  </script>
</body>
</html>`;
}

/** Registers GET `docsPath` (the page) and `docsPath/<asset>` on Fastify, outside Nest's routing. */
export function serveSwaggerUi(fastify: FastifyInstance, docsPath: string, specUrl: string): void {
  const dir = assetsDir();
  const html = page(docsPath, specUrl);
  fastify.get(docsPath, (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  for (const [file, type] of Object.entries(ASSETS)) {
    fastify.get(`${docsPath}/${file}`, async (_req, reply) =>
      reply
        .type(type)
        .header('cache-control', 'public, max-age=86400')
        .send(await readFile(join(dir, file))),
    );
  }
}
