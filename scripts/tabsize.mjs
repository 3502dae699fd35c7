// make bench: the gzipped JS and CSS each tab page loads for its first screen
// (the scripts, module preloads and stylesheets its HTML names), beside the
// 300 KB target; inside Teams the page also loads TeamsJS (a chunk of its own,
// imported only when framed), counted apart.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = new URL('../web/dist/', import.meta.url).pathname;
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const assets = readdirSync(join(dist, 'assets'));
const teamsChunk = assets.find((f) => f.endsWith('.js') && readFileSync(join(dist, 'assets', f), 'utf8').includes('validDomains'));
const teamsKB = teamsChunk ? gz('assets/' + teamsChunk) / 1024 : 0;
for (const page of ['calendar-pro/config', 'calendar-pro/content', 'booking-room-pro/config', 'booking-room-pro/content']) {
  const html = readFileSync(join(dist, page, 'index.html'), 'utf8');
  const files = [...new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]))];
  const kb = files.reduce((n, f) => n + gz(f), 0) / 1024;
  console.log(
    `first screen of /${page}: ${kb.toFixed(0)} KB gzipped JS+CSS (target <= 300 KB), ratio to target ${(kb / 300).toFixed(2)};` +
      ` in Teams with TeamsJS ${(kb + teamsKB).toFixed(0)} KB, ratio ${((kb + teamsKB) / 300).toFixed(2)}`,
  );
}
