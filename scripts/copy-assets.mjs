// Copies the monitor page (plain HTML/CSS/JS) next to the compiled monitor in dist/, and makes the
// CLI executable: tsc writes it without the exec bit, and `npx herald` in a checkout runs the file.
import { chmodSync, cpSync, existsSync } from 'node:fs';

if (existsSync('src/monitor/page')) {
  cpSync('src/monitor/page', 'dist/monitor/page', { recursive: true });
}
if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);
