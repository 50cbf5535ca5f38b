import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME, ROLE_EXTENSION } from '../auth/access';

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
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An API key or a JWT (docs/security.md)' },
      BEARER_SCHEME,
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .build();
  return withAuthErrors(withNamedWildcards(SwaggerModule.createDocument(app, config)));
}

const AUTH_ERRORS: Record<string, string> = {
  '401': 'UNAUTHENTICATED',
  '403': 'FORBIDDEN',
  '429': 'RATE_LIMITED',
};

/** Every authenticated operation (it has a role) can also answer 401, 403 and 429. */
function withAuthErrors(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !(ROLE_EXTENSION in operation))
        continue;
      const responses = (operation as { responses: Record<string, { description: string }> })
        .responses;
      for (const [status, code] of Object.entries(AUTH_ERRORS)) {
        const existing = responses[status];
        responses[status] = existing
          ? { ...existing, description: `${existing.description}, ${code}` }
          : { description: code, ...errorContent(responses) };
      }
    }
  }
  return document;
}

/** The error body schema, taken from an error response the operation already documents. */
function errorContent(responses: Record<string, unknown>): Record<string, unknown> {
  const withContent = Object.entries(responses).find(
    ([status, response]) =>
      Number(status) >= 400 &&
      typeof response === 'object' &&
      response !== null &&
      'content' in response,
  );
  return withContent ? { content: (withContent[1] as { content: unknown }).content } : {};
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
