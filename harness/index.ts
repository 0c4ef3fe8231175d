// The public API of boot-harness: re-exports only. Anything not listed here is internal and may change.

// Booting
export { bootVm } from './run/boot-vm.ts';
export { BootedVm, type BootHooks } from './boot/booted-vm.ts';
export type { ObservedRun, RunObserver } from './boot/run-observer.ts';
export type { BootOptions, DiskOption, KeyInjection, NicModel, NicOption } from './boot/boot-options.ts';
export type { NicRecord } from './boot/nic-setup.ts';
export type { BootPhase, PhaseMark } from './boot/boot-phase.ts';
export type { BootReport } from './boot/boot-report.ts';
export type { CheckEvidence, CheckResult } from './checks/check-result.ts';
export { locateDefaultImage, DefaultImageMissingError, type DefaultImage, type LocateDefaultImageOptions } from './boot/default-image.ts';
export { chooseAccelerator, type Accelerator, type AcceleratorRequest, type AcceleratorVerdict } from './qemu/accelerator-probe.ts';
export { QemuExitedError } from './qemu/qemu-process.ts';

// The VGA screen, silent boots, power and link control
export { VgaScreen, VgaTimeoutError, OcrUnavailableError, type VgaText, type VgaTextMethod, type VgaMatch, type ExpectVgaOptions } from './qemu/vga-screen.ts';
export type { VgaDisplayMode } from './qemu/vga-text-mode.ts';
export { BootTimeoutError, diagnoseSilentBoot, type SilentBootCause, type SilentBootDiagnosis } from './boot/silent-boot.ts';
export { PowerControlTimeoutError, type BootOrder } from './boot/power-control.ts';

// L2 networking: MACs, test segments (namespace + bridge + dnsmasq), errors
export { deterministicMac, parseMac, MacCollisionError, type MacAddress } from './net/mac-address.ts';
export { TestSegment, SegmentHost, SegmentError, type SegmentLease, type SegmentReservation, type TestSegmentOptions } from './net/l2/test-segment.ts';
export { L2UnavailableError, probeL2Capability, type L2Capability } from './net/l2/l2-capability.ts';
export { NetworkSetupError } from './net/l2/ip-command.ts';
export { BridgeMissingError } from './net/l2/bridge-link.ts';

// Checks
export { runPreNixosChecks, type PreNixosExpectations, type PreNixosOutcome } from './checks/pre-nixos-suite.ts';
export {
  collectServiceLog,
  dhcpLease,
  nicNotRenamed,
  nicRenamed,
  sshReachable,
  sshUnreachable,
  storageStatus,
  type LeaseExpectation,
  type StorageStatus,
  type StorageStatusOptions,
} from './checks/pre-nixos-checks.ts';
export { parseStorageStatus, parseStorageStatusWith, type StorageStatusFormat, type StorageStatusReading } from './checks/storage-status-parser.ts';
export { unitSucceeded } from './checks/systemd-unit.ts';
export { linkFlapChecks, type LinkFlapOptions, type LinkFlapTarget } from './checks/link-flap.ts';

// Console, shell and SSH
export {
  SerialConsole,
  EOF,
  TIMEOUT,
  ConsoleClosedError,
  ConsoleFailureError,
  ExpectTimeoutError,
  defaultFailurePatterns,
  type ExpectMatch,
  type ExpectOptions,
  type FailurePattern,
  type Pattern,
} from './console/serial-console.ts';
export type { ConsoleTransport, TransportExit } from './console/console-transport.ts';
export type { LineDrawing } from './console/dec-special-graphics.ts';
export { ShellSession, ShellSessionError, ShellCommandTimeoutError, type ShellLogin } from './console/shell-session.ts';
export { SshSession, SshNotReadyError, SshKeyUnusableError, SshCommandTimeoutError, type SshTarget } from './ssh/ssh-client.ts';

// Commands over any runner
export type { CommandResult, CommandRunner, ExecuteOptions } from './command/command-runner.ts';
export { succeed, fail, waitUntilSucceeds, CommandFailedError, CommandRetryTimeoutError, type RetryOptions } from './command/command-assertions.ts';

// Errors
export { HarnessError, UsageError } from './errors.ts';

// Failure classes, retries and timeout scale
export { classifyFailure, retryLine, type AttemptRecord, type FailureClass, type FailureClassification, type FailureFacts, type RetryRecord } from './boot/failure-class.ts';
export { parseTimeoutScale, type TimeoutScale, type TimeoutScaleRequest } from './boot/timeout-scale.ts';
export type { ImageFileIdentity, ImageIdentity } from './boot/image-identity.ts';

// Comparing runs (last good against first bad)
export { compareRuns, type RecordedRun, type RunComparison, type CheckDifference, type PhaseDifference, type ConsoleDivergence } from './compare/run-comparison.ts';
export { loadRun, locateRun } from './compare/load-run.ts';
export { renderComparisonMarkdown, renderComparisonText } from './compare/comparison-text.ts';
export { maskConsoleNoise } from './compare/console-noise.ts';

// Reports
export { renderJunit } from './report/junit-report.ts';
export { renderStepSummary, type StepSummaryInput } from './report/step-summary.ts';
export { writeReports, type WriteReportsOptions } from './report/write-reports.ts';
export { AsciicastWriter } from './report/asciicast-writer.ts';
export { RunRecorder } from './report/run-recorder.ts';
export { captureScreen } from './qemu/screendump.ts';
