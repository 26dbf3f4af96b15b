// The image's /app without Docker (the Dockerfile's runtime stage): the package manifests,
// production dependencies only (`npm ci --omit=dev --ignore-scripts`, no workspace links),
// each service's dist/ and iotctl's bin/ and dist/, no sources. The compiled-services test
// runs the services from it; the images benchmark weighs it. Call after `npm run build`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGE_SERVICES = ['ingest', 'aggregator', 'writer', 'checkpointer'] as const;

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

/** Lays the image's /app out in `app` (an empty folder) from the checkout at `root`. */
export function layOutImage(root: string, app: string): void {
  for (const file of ['package.json', 'package-lock.json'])
    cpSync(join(root, file), join(app, file));
  for (const group of ['libs', 'services', 'tools'])
    for (const name of readdirSync(join(root, group))) {
      const manifest = join(group, name, 'package.json');
      if (existsSync(join(root, manifest))) cpSync(join(root, manifest), join(app, manifest));
    }
  // --prefer-offline: the checkout's own `npm ci` has filled the cache.
  run(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
    app,
  );
  rmSync(join(app, 'node_modules/@iot'), { recursive: true, force: true });
  rmSync(join(app, 'node_modules/.bin'), { recursive: true, force: true });
  for (const dir of [
    ...IMAGE_SERVICES.map((s) => `services/${s}/dist`),
    'tools/iotctl/bin',
    'tools/iotctl/dist',
  ])
    cpSync(join(root, dir), join(app, dir), { recursive: true });
}
