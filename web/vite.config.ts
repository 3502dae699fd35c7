import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';

// One HTML page per URL the Teams app manifests name (and the landing, privacy
// and terms pages). Each page is written as <path>/index.html; every script and
// stylesheet goes to assets/ with a content hash in its name, which the handler
// caches for good.
const pages = {
  landing: 'index.html',
  privacy: 'privacy/index.html',
  terms: 'terms/index.html',
  calendarConfig: 'calendar-pro/config/index.html',
  calendarContent: 'calendar-pro/content/index.html',
  bookingConfig: 'booking-room-pro/config/index.html',
  bookingContent: 'booking-room-pro/content/index.html',
};

export default defineConfig({
  plugins: [
    react(),
    {
      // dist/ is committed with this placeholder only (the Go embed needs a file
      // on a fresh clone); the build empties dist/, so put it back.
      name: 'keep-dist-placeholder',
      closeBundle() {
        writeFileSync(resolve(import.meta.dirname, 'dist/.gitkeep'), '');
      },
    },
  ],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline script anywhere: the pages' CSP allows scripts from the origin only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      input: Object.fromEntries(Object.entries(pages).map(([k, v]) => [k, resolve(import.meta.dirname, v)])),
    },
  },
});
