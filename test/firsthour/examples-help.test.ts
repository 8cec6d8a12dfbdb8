/** The --help examples of verify, models, roi, migrate, rollback and mock. */
import { everyExample, runExamples } from './examples-run.js';

const SLOW = /^holy (bench|tour) /;
runExamples('--help examples work as written', everyExample().help.filter((e) => e.where !== 'holy --help' && !SLOW.test(e.where)));
