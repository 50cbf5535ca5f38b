import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';

// Served by the gateway under /studio (apps/gateway/src/studio): every asset URL starts there.
// `vite -c apps/studio/vite.config.mts` serves it standalone for development, proxying the API.
const gateway = process.env.CANOPY_GATEWAY ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/studio/',
  plugins: [react()],
  // @canopy/sdk/rest from its sources, as Jest resolves it (jest.preset.js): the `canopy-source`
  // condition of libs/sdk/package.json's exports map, before the browser defaults.
  resolve: { conditions: ['canopy-source', ...defaultClientConditions] },
  build: {
    outDir: resolve(import.meta.dirname, '../../dist/apps/studio'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '^/(trees|executions|blackboard|keys|ws|events)': { target: gateway, ws: true },
    },
  },
});
