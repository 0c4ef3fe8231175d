# pexpect driving the same QEMU boot as the harness bench, for the harness-CPU comparison: spawn QEMU under
# a pty, wait for the guest's "pre-nixos: done", run one command on the serial shell, keep reading for the
# same settle time as the node-pty floor. Prints this process's CPU and QEMU's, in ms, as JSON.
# Usage: python3 pexpect-boot.py <argv.json> <settle-seconds>
import json
import os
import sys
import time

import pexpect

argv = json.load(open(sys.argv[1]))
settle = float(sys.argv[2])
ticks = os.sysconf('SC_CLK_TCK')
started = time.process_time()
child = pexpect.spawn(argv[0], argv[1:], timeout=180, searchwindowsize=2000, dimensions=(24, 80))
child.expect('pre-nixos: done')
child.sendline('cat /run/pre-nixos/storage-status')
child.expect(r'STATE=plan-only\r')
end = time.monotonic() + settle
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    try:
        child.read_nonblocking(4096, timeout=left)
    except pexpect.TIMEOUT:
        break
cpu_ms = (time.process_time() - started) * 1000
fields = open(f'/proc/{child.pid}/stat').read().split(') ')[1].split(' ')
qemu_ms = (int(fields[11]) + int(fields[12])) * 1000 / ticks
child.kill(9)
child.close(force=True)
print(json.dumps({'cpuMs': cpu_ms, 'qemuCpuMs': qemu_ms}))
