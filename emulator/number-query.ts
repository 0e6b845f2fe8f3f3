/** `POST /number/1/query`: synchronous Number Lookup for 1–1000 numbers. */
import { badRequest } from './errors';
import { bodyObject } from './validate';
import { newId, type ApiHandler } from './context';
import { lookupNumber } from './lookup-table';

/** Infobip's text for a request over the synchronous limit. */
export const TOO_MANY_DESTINATIONS =
  'Number of destinations is limited to 1000. For larger requests use /number/1/notify API endpoint.';

export const queryNumbers: ApiHandler = (ctx, req) => {
  const to = bodyObject(req.body).to;
  if (to === undefined || to === null)
    throw badRequest('Invalid request: to must not be null', { to: ['must not be null'] });
  if (!Array.isArray(to))
    throw badRequest('Invalid request: to must be an array of phone numbers', { to: ['must be an array'] });
  if (to.length === 0)
    throw badRequest('Invalid request: to must contain at least one number', {
      to: ['size must be between 1 and 1000'],
    });
  if (to.length > 1000) throw badRequest(TOO_MANY_DESTINATIONS);
  const wrong: Record<string, string[]> = {};
  to.forEach((n, i) => {
    if (typeof n !== 'string') wrong[`to[${i}]`] = ['must be a string'];
  });
  if (Object.keys(wrong).length > 0)
    throw badRequest(`Invalid request: ${Object.keys(wrong).join(', ')} must be strings`, wrong);
  return {
    status: 200,
    body: { bulkId: newId(), results: (to as string[]).map((n) => lookupNumber(n, ctx.lookupTable)) },
  };
};
