// Vite build of the didban web UI: one module entry, hashed assets under /assets/, no inline scripts (the server's
// Content-Security-Policy is default-src 'self'); `npm run dev` proxies /api to a running `didban serve`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': { target: process.env.DIDBAN_URL ?? 'http://127.0.0.1:8080', ws: true } },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
});
