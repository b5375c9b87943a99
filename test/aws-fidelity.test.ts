/**
 * The templates judged by AWS's own data, one file per question in test/fidelity/: IAM statements
 * by the Service Authorization Reference (iam.ts), every call table simulated with AWS's policy
 * evaluation (iam-simulation.ts), the routes of every in-VPC function (reachability.ts), every
 * alarm and dashboard metric by AWS's metric specs (metrics.ts). Imported into one test file so
 * the shipped app and the examples synthesize once for all four (test/support/synthesized-apps.ts).
 */
import './fidelity/iam';
import './fidelity/iam-simulation';
import './fidelity/reachability';
import './fidelity/metrics';
