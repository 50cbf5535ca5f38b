/**
 * Regenerates libs/sdk/src/generated/openapi.ts from a gateway's live `/openapi.json`:
 *
 *   npx nx run sdk:generate-api                 # starts a throwaway stack (real NATS and Redis)
 *   npx nx run sdk:generate-api -- --url http://127.0.0.1:3000/openapi.json   # a running gateway
 *
 * test/openapi-drift.spec.ts fails while the committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { startStack } from '@canopy/testing';
import { GENERATED_TYPES, typesFromLiveOpenApi } from './openapi-types';

async function main(): Promise<void> {
  const at = process.argv.indexOf('--url');
  const url = at >= 0 ? process.argv[at + 1] : undefined;
  if (url) {
    writeFileSync(GENERATED_TYPES, await typesFromLiveOpenApi(url));
  } else {
    // The document only needs the gateway; the runner makes it ready, history is not needed.
    const stack = await startStack({ history: false, label: 'sdk-generate' });
    try {
      writeFileSync(
        GENERATED_TYPES,
        await typesFromLiveOpenApi(`${stack.gateway.url}/openapi.json`),
      );
    } finally {
      await stack.dispose();
    }
  }
  console.log(`wrote ${GENERATED_TYPES}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
