// Child process for the leak tests: boots the default image and reports progress on stdout, then
// either waits to be killed or throws, as the test asks.
import { bootVm } from '../../../harness/run/boot-vm.ts';

const [name, mode] = process.argv.slice(2) as [string, 'wait' | 'throw'];
const vm = await bootVm({ name, defaultImageAs: 'kernel' }, {
  onPhase: (mark) => process.stdout.write(`PHASE ${mark.phase}\n`),
});
process.stdout.write(`BOOTED ${vm.qemuPid}\n`);
if (mode === 'throw') throw new Error('thrown inside a test after the boot');
await new Promise(() => undefined);
