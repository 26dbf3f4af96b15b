// `npm run bench -- <name>`: runs bench/<name>.ts, which writes bench/results/<name>.json.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (name === undefined || !existsSync(`${dir}${name}.ts`)) {
  process.stderr.write(
    `bench: ${name === undefined ? 'name a benchmark' : `no benchmark "${name}"`}; ` +
      `available: ${available.join(', ') || 'none yet'} (npm run bench -- <name>)\n`,
  );
  process.exit(2);
}
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', `${dir}${name}.ts`, ...process.argv.slice(3)],
  {
    stdio: 'inherit',
  },
);
process.exit(run.status ?? 1);
