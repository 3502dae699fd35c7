import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Plugin } from 'vite';

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

/**
 * Changes to a dependency's published code, applied as the build reads it.
 * Each names the exact version it was written for and the exact text it
 * replaces, which must occur once: the build fails otherwise, so an upgrade
 * makes someone look at the change again (and drop it when the library has
 * its own fix). Only for MIT-licensed code, which may be changed and shipped.
 */
const patches: { pkg: string; version: string; file: string; why: string; find: string; replace: string }[] = [
  {
    // EventCalendar's month grid gives each event it mounts a first top margin
    // read from its day cell's head (a layout read), in an effect that runs
    // between the other events' content writes: one forced layout of the
    // whole grid per event, quadratic in the events of a month (seconds for
    // a busy one). The events of the grid proper are all positioned again
    // right after mounting (the view's reposition), so they skip that first
    // read; events without an id (the drag and resize previews, which are
    // not repositioned) keep it.
    pkg: '@event-calendar/core',
    version: '5.15.0',
    file: 'dist/index.js',
    why: 'day-grid Event: no layout read per mounted event before the reposition pass',
    find: 'if (!inPopup()) $.set(margin, height(getDayEl().firstElementChild) || 1, true);',
    replace: 'if (!inPopup() && !$$props.chunk.id) $.set(margin, height(getDayEl().firstElementChild) || 1, true);',
  },
];

function patchDependencies(): Plugin {
  return {
    name: 'patch-dependencies',
    enforce: 'pre',
    transform(code, id) {
      for (const p of patches) {
        const root = '/node_modules/' + p.pkg + '/';
        if (!id.split('?')[0].endsWith(root + p.file)) continue;
        const dir = id.slice(0, id.lastIndexOf(root) + root.length);
        const { version } = JSON.parse(readFileSync(dir + 'package.json', 'utf8'));
        if (version !== p.version) this.error(`${p.pkg} is ${version}, the patch "${p.why}" was written for ${p.version}: check it again`);
        if (code.split(p.find).length !== 2) this.error(`${p.pkg} ${p.file}: the text the patch "${p.why}" replaces is not there once`);
        code = code.replace(p.find, () => p.replace);
      }
      return code;
    },
  };
}

export default defineConfig({
  plugins: [
    patchDependencies(),
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
  // The dev server would pre-bundle the dependency without the patches.
  optimizeDeps: { exclude: patches.map((p) => p.pkg) },
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
