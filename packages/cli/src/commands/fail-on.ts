import { Option } from 'commander';
import { FAIL_ON_CHOICES } from '../render/findings';

/** `--fail-on <severity>`, shared by the probes and the audit. */
export function failOnOption(): Option {
  return new Option(
    '--fail-on <severity>',
    'exit 1 when a finding is at least this severe (none: never)',
  )
    .choices(FAIL_ON_CHOICES)
    .default('critical');
}
