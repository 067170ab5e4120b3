/**
 * The internal app's build. In production the Express API serves `web/dist` at `/`; in
 * development this dev server proxies `/v1` (and the API reference) to the API, so the app
 * always talks to the same origin with relative URLs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(webDir, '..');
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig((): UserConfig => ({
  root: webDir,
  plugins: [react()],
  build: {
    outDir: path.join(webDir, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      output: {
        // click-ui (with its icon, flag and logo sets) changes far less often than the app.
        manualChunks(id: string): string | undefined {
          if (id.includes('/node_modules/@clickhouse/')) return 'click-ui';
          if (id.includes('/node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.WEB_PORT ?? 5173),
    // The contracts (../src/contracts) and zod (../node_modules) live outside web/.
    fs: { allow: [repoRoot] },
    proxy: {
      '/v1': { target: apiUrl, changeOrigin: false },
      '/docs': { target: apiUrl, changeOrigin: false },
    },
  },
}));
