#!/usr/bin/env node
// `iotctl` as a command (this package's "bin"; `npx iotctl …` in a checkout): the TypeScript
// source through tsx where it is present, else the compiled dist/main.js (npm run build).
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
const inCheckout = existsSync(source);
if (inCheckout) (await import('tsx/esm/api')).register();
await import((inCheckout ? source : new URL('../dist/main.js', import.meta.url)).href);
