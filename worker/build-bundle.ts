/** `npm run build` step: writes the prebuilt workflow bundles to `dist/` for production workers. */
import { buildWorkflowBundles } from './bundle';

buildWorkflowBundles().then(
  ({ plain, encrypted }) => console.log(`Workflow bundles written: ${plain}, ${encrypted}`),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
