// Route guards: pages send a visitor to sign in (and back); the API answers 401 in its own JSON shape.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../lib/accounts.ts';

export async function requirePageUser(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.user && request.authenticatedBy === 'session') return;
  if (request.method === 'GET') {
    return reply.redirect(`/auth/login?return_to=${encodeURIComponent(request.url)}`, 303);
  }
  return reply.status(401).view('error', {
    title: 'Please sign in',
    message: 'Your session has ended. Sign in again and repeat what you were doing.',
    retry: '/auth/login',
  });
}

export function signedInUser(request: FastifyRequest): User {
  if (!request.user) throw new Error('route reached without a signed-in user (missing guard)');
  return request.user;
}
