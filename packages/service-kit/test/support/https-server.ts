// A real local HTTPS server (self-signed TLS certificate for localhost/127.0.0.1) that
// serves fixed bodies by path and records every request, standing in for sns.<region>.amazonaws.com.
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from './certificates.ts';

export type RecordingServer = {
  port: number;
  tlsCertPem: string;
  requests: string[];
  routes: Map<string, { status: number; body: string }>;
  close(): Promise<void>;
};

export async function startHttpsServer(): Promise<RecordingServer> {
  const tls = await selfSignedCertificate('localhost', [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ]);
  const requests: string[] = [];
  const routes = new Map<string, { status: number; body: string }>();
  const server: Server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const route = routes.get(path.split('?')[0]!) ?? routes.get(path);
    res.writeHead(route?.status ?? 404, { 'content-type': 'text/plain' });
    res.end(route?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tlsCertPem: tls.certPem,
    requests,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
