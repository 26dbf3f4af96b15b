// Preloaded (`node --import`) into the service processes that tests and the chaos driver start,
// never into a deployment. A driver that dies without cleaning up (out of memory, kill -9)
// would otherwise leave its services running, still consuming from the shared servers. When
// this process is handed to another parent, the one that started it is gone: stop gracefully.
const parent = process.ppid;

setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1_000).unref();
