// `berth name` as a process, without the full program (see fast-path.ts): bin.ts chooses it.
import { runFastName } from './fast-name';
import { fastNameCall } from './fast-path';
import { processIo } from './process-io';

const io = processIo();
const call = fastNameCall(process.argv.slice(2), io.env);
if (!call) throw new Error('bin-name.cjs ran for a command line fast-path.ts does not take');
void runFastName(call, io).then((code) => {
  process.exitCode = code;
});
