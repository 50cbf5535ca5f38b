import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
export const OPENAPI_PATH = '/openapi.json';

function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Canopy')
    .setDescription(
      'Distributed behavior-tree runtime. Errors are `{error:{code,message,...}}` with a stable code; ' +
        'see docs/api.md.',
    )
    .setVersion('0.1.0')
    .build();
  return withNamedWildcards(SwaggerModule.createDocument(app, config));
}

/** What each wildcard route's last segment holds (see `PathWithRest`). */
const WILDCARD_NAMES: Record<string, string> = { keys: 'key', breakpoints: 'nodeId' };
const WILDCARD = new RegExp(`/(${Object.keys(WILDCARD_NAMES).join('|')})/(\\*|\\{path\\})$`);

/**
 * Fastify wildcards must be the last character and are unnamed (`/keys/*`, which the scanner
 * renders `{path}`); the document names them after what they hold (`{key}`, `{nodeId}`).
 */
function withNamedWildcards(document: OpenAPIObject): OpenAPIObject {
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([path, item]) => [
      path.replace(
        WILDCARD,
        (_match, segment: string) => `/${segment}/{${WILDCARD_NAMES[segment]}}`,
      ),
      item,
    ]),
  );
  return { ...document, paths };
}

/** `/openapi.json` (the document) and `/docs` (Swagger UI on it, its assets via @fastify/static). */
export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, buildOpenApiDocument(app), {
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_PATH,
    customSiteTitle: 'Canopy API',
  });
}
