// Compiles one entry point (a service's or tool's src/main.ts) into a single ES module,
// <workspace>/dist/main.js, with esbuild. The workspace libraries (@iot/*) are bundled in from
// their TypeScript sources; every other package stays an import, resolved at run time from
// node_modules, and must be a production dependency, since the images install only those.
// A bundle rather than tsc: the @iot/* packages export their .ts sources (tsx and the tests
// run them as they are), so tsc's per-file output would still import TypeScript from them.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

export interface BuildResult {
  readonly outfile: string;
  /** Packages the bundle imports at run time (besides node: built-ins). */
  readonly externals: readonly string[];
}

/** 'a/b' → 'a', '@s/a/b' → '@s/a': the package a bare import specifier names. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Keeps every bare import except @iot/* out of the bundle, and records which packages they name. */
function externalPackages(found: Set<string>): Plugin {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@iot/')) return undefined;
        if (!args.path.startsWith('node:')) found.add(packageName(args.path));
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * Bundles `<root>/<workspace>/src/main.ts` into `<root>/<workspace>/dist/main.js` (with a source
 * map) and copies the AVRO schemas libs/schema reads next to it (it reads them relative to its
 * own module, which in a bundle is dist/main.js). Throws when the code imports a package that is
 * not in `dependencies`.
 */
export async function buildEntry(
  root: string,
  workspace: string,
  dependencies: ReadonlySet<string>,
): Promise<BuildResult> {
  const outdir = join(root, workspace, 'dist');
  const outfile = join(outdir, 'main.js');
  const found = new Set<string>();
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, workspace, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22.15',
    sourcemap: true,
    // Class and function names stay as written: logs and errors name them.
    keepNames: true,
    logLevel: 'warning',
    plugins: [externalPackages(found)],
  });
  const missing = [...found].filter((name) => !dependencies.has(name));
  if (missing.length > 0)
    throw new Error(
      `${workspace} imports ${missing.join(', ')}, which the root package.json does not list in ` +
        '"dependencies"; the images install production dependencies only: move it there',
    );
  cpSync(join(root, 'libs/schema/avro'), join(outdir, 'avro'), { recursive: true });
  // The operations console's page (libs/console, served by the checkpointer) reads its files
  // relative to its module as well: dist/console-assets/.
  cpSync(join(root, 'libs/console/console-assets'), join(outdir, 'console-assets'), {
    recursive: true,
  });
  return { outfile, externals: [...found].sort() };
}
