// Copies the monitor page (plain HTML/CSS/JS) next to the compiled monitor in dist/.
import { cpSync, existsSync } from 'node:fs';

if (existsSync('src/monitor/page')) {
  cpSync('src/monitor/page', 'dist/monitor/page', { recursive: true });
}
