export {
  findingsAtLeast,
  isSeverity,
  severityAtLeast,
  type Finding,
  type Severity,
} from './findings';
