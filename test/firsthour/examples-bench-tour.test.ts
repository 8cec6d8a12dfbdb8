/** The --help examples of bench and tour (the slow ones: each replays traffic or runs the tour). */
import { everyExample, runExamples } from './examples-run.js';

runExamples('bench and tour --help examples work as written', everyExample().help.filter((e) => /^holy (bench|tour) /.test(e.where)));
