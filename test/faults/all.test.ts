/** The whole fault suite (`npm run test:faults`): every scenario of test/faults/suite.ts. */
import { defineFaultSuite } from './suite.js';

defineFaultSuite('all');
