// A separate process that takes vCPU slots, for the contention and crash tests of HostCpuSlots.
// Usage: slot-holder.ts <dir> <capacity> <vcpus> <holdMs|forever>; prints `acquired <ms> <count>` and
// `released <ms>` (wall-clock ms, comparable across processes).
import { HostCpuSlots } from '../../../../harness/qemu/host-cpu-slots.ts';

const [dir, capacity, vcpus, hold] = process.argv.slice(2) as [string, string, string, string];
const slots = new HostCpuSlots({ dir, capacity: Number(capacity), pollMs: 20 });
const grant = await slots.acquire({ vcpus: Number(vcpus) });
process.stdout.write(`acquired ${Date.now()} ${grant.vcpus}\n`);
if (hold === 'forever') {
  setInterval(() => undefined, 1000);
} else {
  await new Promise((resolve) => setTimeout(resolve, Number(hold)));
  process.stdout.write(`released ${Date.now()}\n`);
  grant.release();
}
