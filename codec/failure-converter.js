// Failure converter that moves failure messages and stack traces into an encoded payload,
// so the payload codec encrypts them too. Plain JavaScript on purpose: the worker loads it
// with require() and the workflow bundler includes it, from sources and from a build alike.
/* eslint-disable @typescript-eslint/no-require-imports */
/* global exports */
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
