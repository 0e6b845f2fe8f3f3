#!/usr/bin/env node
// The `otpflow` command (cli/main.ts). Runs the TypeScript sources through tsx, so
// `npx otpflow …` works from a clone without a build step: its CommonJS hook for `require`,
// its ESM hook for the commands `cli/main.ts` imports when they run.
'use strict';
require('tsx/cjs');

import('tsx/esm')
  .then(() => require('../cli/main.ts').main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
