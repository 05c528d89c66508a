// A parent hands a typed channel to each of three child processes by name,
// and they stream results back; the parent validates what arrives.
// Run: node examples/channel-workers.mjs
import { channel, receiverFromParent, senderFromParent, spawn } from 'ipckit';

if (process.env.EXAMPLE_ROLE === 'worker') {
  // Child: read jobs, answer each with a result, then close.
  const jobs = receiverFromParent('jobs');
  const results = senderFromParent('results');
  for await (const n of jobs) await results.send({ n, square: n * n, pid: process.pid });
  await results.close();
} else {
  const isResult = (v) => {
    if (typeof v?.n !== 'number' || v.square !== v.n * v.n) throw new Error('not a result');
    return v;
  };
  const [results, incoming] = channel({ validate: isResult });
  const workers = [];
  for (let w = 0; w < 3; w++) {
    const [jobs, jobsRx] = channel();
    spawn(process.execPath, [new URL(import.meta.url).pathname], {
      stdio: 'inherit',
      env: { ...process.env, EXAMPLE_ROLE: 'worker' },
      channels: { jobs: jobsRx, results: results.clone() },
    });
    workers.push(jobs);
  }
  await results.close(); // our own copy: the channel ends when every worker has closed theirs
  for (let n = 1; n <= 9; n++) await workers[n % 3].send(n);
  for (const jobs of workers) await jobs.close();
  let sum = 0;
  for await (const r of incoming) sum += r.square;
  console.log(`sum of squares 1..9 = ${sum}`); // 285
}
