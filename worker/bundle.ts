/**
 * The prebuilt workflow bundles. Two are built because a custom failure converter runs inside
 * the workflow sandbox and so is compiled into the bundle: one plain, one whose failure
 * converter encodes messages (used when encryption is on).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ENCODING_FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { projectFile } from '../config/paths';

export const WORKFLOWS_PATH = resolveWorkflows();
export const DIST_DIR = path.join(path.dirname(projectFile('package.json')), 'dist');
/** Bundle for workers without encryption. */
export const WORKFLOW_BUNDLE_PATH = path.join(DIST_DIR, 'workflow-bundle.js');
/** Bundle with the encoding failure converter, for workers with encryption keys. */
export const ENCRYPTED_WORKFLOW_BUNDLE_PATH = path.join(DIST_DIR, 'workflow-bundle-encrypted.js');

function resolveWorkflows(): string {
  const root = path.dirname(projectFile('package.json'));
  const ts = path.join(root, 'workflows', 'index.ts');
  return existsSync(ts) ? ts : path.join(root, 'dist', 'workflows', 'index.js');
}

/** Where a worker gets its workflow code: the prebuilt bundle when present, else the sources. */
export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowsPath: string };

/**
 * The bundle matching `encrypted` if it was built and is not older than the workflow sources
 * next to it (a stale bundle would run old workflow code), else the sources (bundled at start).
 * An explicit `overridePath` is used as given.
 */
export function workflowSource(encrypted: boolean, overridePath?: string): WorkflowSource {
  if (overridePath) return { workflowBundle: { codePath: overridePath } };
  const codePath = encrypted ? ENCRYPTED_WORKFLOW_BUNDLE_PATH : WORKFLOW_BUNDLE_PATH;
  if (!existsSync(codePath) || newestSourceMs() > statSync(codePath).mtimeMs)
    return { workflowsPath: WORKFLOWS_PATH };
  return { workflowBundle: { codePath } };
}

/** mtime of the newest workflow source file; 0 when only a build is shipped. */
function newestSourceMs(): number {
  const dir = path.dirname(WORKFLOWS_PATH);
  if (!WORKFLOWS_PATH.endsWith('.ts')) return 0;
  return Math.max(
    0,
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(path.join(dir, f)).mtimeMs),
  );
}

const quiet = () => undefined;
const bundlerLogger = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  log: quiet,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

/**
 * Builds one bundle of `workflowsPath` (otpflow's workflows unless given) into `outFile`;
 * `encrypted` compiles in the encoding failure converter.
 */
export async function buildWorkflowBundle(
  outFile: string,
  encrypted: boolean,
  workflowsPath = WORKFLOWS_PATH,
): Promise<string> {
  mkdirSync(path.dirname(outFile), { recursive: true });
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    ...(encrypted ? { failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH } : {}),
    logger: bundlerLogger,
  });
  writeFileSync(outFile, code);
  return outFile;
}

/** Builds both bundles into `outDir` and returns their paths. */
export async function buildWorkflowBundles(outDir = DIST_DIR): Promise<{ plain: string; encrypted: string }> {
  return {
    plain: await buildWorkflowBundle(path.join(outDir, path.basename(WORKFLOW_BUNDLE_PATH)), false),
    encrypted: await buildWorkflowBundle(
      path.join(outDir, path.basename(ENCRYPTED_WORKFLOW_BUNDLE_PATH)),
      true,
    ),
  };
}
