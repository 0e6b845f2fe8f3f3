// Prints "N passed, N failed" from vitest's JSON report, so a run that executed no test shows.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
if (!existsSync(file)) {
  console.log('0 passed, 0 failed');
  process.exit(0);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
console.log(`${report.numPassedTests ?? 0} passed, ${report.numFailedTests ?? 0} failed`);
