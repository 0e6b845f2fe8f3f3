#!/usr/bin/env node
// The `otpflow` command. Runs the TypeScript sources through tsx, so `npx otpflow …` works
// from a clone without a build step.
'use strict';
require('tsx/cjs');
const { main } = require('../client/cli.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 70;
  },
);
