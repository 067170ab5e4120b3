// TCP forwarder: 0.0.0.0:8080 -> the host of TEMPORAL_ADDRESS, port TEMPORAL_UI_UPSTREAM_PORT (8233).
import net from 'node:net';

const host = (process.env.TEMPORAL_ADDRESS ?? 'temporal:7233').split(':')[0];
const port = Number(process.env.TEMPORAL_UI_UPSTREAM_PORT ?? 8233);
const server = net.createServer((client) => {
  const upstream = net.connect({ host, port });
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(8080, '0.0.0.0', () => console.log(`stand-in temporal-ui: 0.0.0.0:8080 -> ${host}:${port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
