// Prints <count> free local ports (one per line) whose cluster bus port (port + 10000, which a Redis
// Cluster node also listens on) is free and valid too: `node scripts/redis-cluster/free-ports.cjs 3`.
const { createServer } = require('node:net');

const listen = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });

async function main(count) {
  const ports = [];
  while (ports.length < count) {
    const port = await listen(0);
    if (port === undefined || port + 10000 > 65535 || ports.includes(port)) continue;
    if ((await listen(port + 10000)) !== undefined) ports.push(port);
  }
  console.log(ports.join('\n'));
}

main(Number(process.argv[2] ?? 3));
