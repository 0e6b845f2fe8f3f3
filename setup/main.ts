/**
 * `otpflow setup [--dry-run]`: makes Infobip's 2FA applications and templates match the
 * applications file, idempotently, and prints what it created or changed.
 */
import { ensureApplication, type EnsureResult, type SetupChange } from './applications';
import type { OtpflowConfig } from '../config/types';
import { createInfobipClient, InfobipError } from '../infobip';
import { ExitCode } from '../cli/exit-codes';
import { startCommand } from '../cli/process-command';

export const SETUP_USAGE = `Usage: otpflow setup [--dry-run]

Makes the Infobip account at INFOBIP_BASE_URL (key INFOBIP_API_KEY) match the applications
file (OTPFLOW_CONFIG, default otpflow.config.json): creates missing applications and
templates, updates those that differ. Running it again changes nothing.

Options:
  --dry-run   print what would change, change nothing
  --help      show this help`;

/** Outcome per application name. */
export type SetupReport = { application: string; result: EnsureResult }[];

/** Runs setup for every declared application, printing one line per change through `out`. */
export async function runSetup(
  config: Pick<OtpflowConfig, 'applications' | 'infobip'>,
  options: { dryRun?: boolean; out?: (line: string) => void } = {},
): Promise<SetupReport> {
  const out = options.out ?? ((l: string) => console.log(l));
  const infobip = createInfobipClient({ baseUrl: config.infobip.baseUrl, apiKey: config.infobip.apiKey });
  const report: SetupReport = [];
  const would = options.dryRun ? 'would ' : '';
  try {
    for (const app of config.applications) {
      const result = await ensureApplication(infobip, app, { dryRun: options.dryRun });
      report.push({ application: app.name, result });
      if (result.changes.length === 0) {
        out(`${app.name}: up to date (application ${result.applicationId})`);
        continue;
      }
      for (const change of result.changes) out(`${app.name}: ${would}${describe(change)}`);
    }
  } finally {
    await infobip.close();
  }
  return report;
}

function describe(c: SetupChange): string {
  const what = c.target === 'APPLICATION' ? `application ${c.name}` : `template ${c.name}`;
  const verb = c.action === 'CREATE' ? 'create' : 'update';
  const id = c.id ? ` (${c.id})` : '';
  const fields = c.fields?.length ? `: ${c.fields.join(', ')}` : '';
  return `${verb} ${what}${id}${fields}`;
}

/** The CLI; resolves with the exit status and never throws for bad configuration or Infobip errors. */
export async function runSetupCli(argv: string[]): Promise<number> {
  const config = startCommand('setup', SETUP_USAGE, argv, ['--dry-run']);
  if (typeof config === 'number') return config;
  const dryRun = argv.includes('--dry-run');
  console.log(
    `${dryRun ? 'Dry run: ' : ''}Infobip ${config.infobip.baseUrl} ← ${config.applications.length} application(s) from ${config.configFile}`,
  );
  try {
    const report = await runSetup(config, { dryRun });
    const changes = report.reduce((n, r) => n + r.result.changes.length, 0);
    console.log(
      changes === 0 ? 'Nothing to change.' : `${changes} change(s) ${dryRun ? 'would be made' : 'made'}.`,
    );
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof InfobipError) {
      console.error(`otpflow setup failed: ${err.message}`);
      return ExitCode.FAILED;
    }
    throw err;
  }
}
