#!/usr/bin/env node
// Entry point for `npx dynalab`. The sources are TypeScript; tsx (a runtime dependency) compiles them on
// load so a fresh clone needs only `npm ci` — no build step to forget.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
