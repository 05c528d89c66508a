// A child streams results over a channel and is told to stop with SIGTERM.
// gracefulShutdown() flushes what it had queued before it exits, so the
// parent loses nothing; the parent signals and awaits the child through a
// pidfd, which can never reach another process that reused the pid.
// Run: node examples/signals-graceful-shutdown.mjs   (Linux)
import { once } from 'node:events';
import { channel, gracefulShutdown, onceSignal, openPidfd, senderFromParent, spawn } from 'ipckit';

if (process.env.EXAMPLE_ROLE === 'child') {
  const shutdown = gracefulShutdown({ timeout: 5000 });
  const results = shutdown.register(senderFromParent('results'));
  // Queue everything at once: far more than the pipe holds.
  for (let i = 0; i < 10_000; i++) results.send({ i, square: i * i }).catch(() => {});
  // Tell the parent we are ready with a signal of our own, then wait.
  process.kill(process.ppid, 'SIGUSR2');
  setInterval(() => {}, 1 << 30);
} else {
  const [tx, rx] = channel();
  const ready = onceSignal('SIGUSR2', { timeout: 10_000 });
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname], {
    stdio: 'inherit',
    env: { ...process.env, EXAMPLE_ROLE: 'child' },
    channels: { results: tx },
  });
  const exit = once(child, 'exit'); // Node reaps it and reports the code
  const pidfd = openPidfd(child);
  const { pid } = await ready;
  console.log(`child ${pid === child.pid ? 'is' : 'is not'} ready; asking it to stop`);
  pidfd.kill('SIGTERM');
  let received = 0;
  for await (const r of rx) if (r.square === r.i * r.i) received++;
  await pidfd.waitExit({ timeout: 10_000 });
  pidfd.close();
  const [code] = await exit;
  console.log(`received ${received} of 10000 results; child exited with code ${code}`); // 143 = 128 + SIGTERM
}
