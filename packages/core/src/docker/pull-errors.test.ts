import { describe, expect, it } from 'vitest';
import { berthError } from '../errors';
import { classifyCreateFailure, classifyStreamFailure, refusesAuth } from './pull-errors';

const target = {
  image: '127.0.0.1:5443/team/site:1',
  registry: '127.0.0.1:5443',
  sentCredentials: false,
};

/** A failed create call as dockerCall reports it: status, and the daemon's JSON in the cause. */
function createFailure(statusCode: number | undefined, message: string) {
  const cause = { statusCode, json: { message } };
  return statusCode === undefined
    ? berthError.dockerApi({ operation: 'image.pull', message, cause })
    : berthError.dockerApi({ operation: 'image.pull', statusCode, message, cause });
}

// The daemon's messages as dockerd 20.10.24 sent them here (see pull-errors.ts).
const NO_CREDENTIALS_HTTP =
  'Head "http://127.0.0.1:5080/v2/team/site/manifests/1": no basic auth credentials';
const WRONG_CREDENTIALS = 'unauthorized: authentication required';
const HTTPS_FALLBACK =
  'error parsing HTTP 400 response body: invalid character \'<\' looking for beginning of value: "<html>The plain HTTP request was sent to HTTPS port</html>"';
const MISSING_TAG =
  'manifest for 127.0.0.1:5000/team/site:nope not found: manifest unknown: manifest unknown';
const HUB_DENIED =
  "pull access denied for nosuch/thing, repository does not exist or may require 'docker login': denied: requested access to the resource is denied";

describe('classifyCreateFailure', () => {
  it('calls the registry refusals dockerd reports with a 500 RegistryAuth', () => {
    for (const message of [NO_CREDENTIALS_HTTP, WRONG_CREDENTIALS]) {
      expect(classifyCreateFailure(createFailure(500, message), target)).toMatchObject({
        kind: 'RegistryAuth',
        registry: '127.0.0.1:5443',
        image: target.image,
        message: expect.stringContaining(message),
      });
    }
  });

  it('classifies by status first: 401/403 are RegistryAuth, 404 is NotFound whatever the text', () => {
    expect(classifyCreateFailure(createFailure(401, 'whatever'), target).kind).toBe('RegistryAuth');
    expect(classifyCreateFailure(createFailure(403, 'whatever'), target).kind).toBe('RegistryAuth');
    expect(classifyCreateFailure(createFailure(404, MISSING_TAG), target)).toMatchObject({
      kind: 'NotFound',
      resource: 'image',
      ref: target.image,
    });
    expect(classifyCreateFailure(createFailure(404, HUB_DENIED), target).kind).toBe('NotFound');
  });

  it('leaves a 500 that names no refusal as ImagePullFailed, and a failure with no status as DockerApi', () => {
    expect(classifyCreateFailure(createFailure(500, HTTPS_FALLBACK), target)).toMatchObject({
      kind: 'ImagePullFailed',
      image: target.image,
      message: expect.stringContaining('plain HTTP request'),
    });
    const transport = createFailure(undefined, 'connect ENOENT /var/run/docker.sock');
    expect(classifyCreateFailure(transport, target)).toBe(transport);
  });
});

describe('classifyStreamFailure', () => {
  it('is ImagePullFailed unless the line carries an auth status or a registry refusal', () => {
    expect(
      classifyStreamFailure({ message: 'filesystem layer verification failed' }, target).kind,
    ).toBe('ImagePullFailed');
    expect(classifyStreamFailure({ message: 'x', code: 401 }, target).kind).toBe('RegistryAuth');
    expect(classifyStreamFailure({ message: WRONG_CREDENTIALS }, target).kind).toBe('RegistryAuth');
  });
});

describe('refusesAuth', () => {
  it('matches the registry client error codes, not words in passing', () => {
    expect(
      refusesAuth('Get "https://auth.example/token": unauthorized: incorrect username or password'),
    ).toBe(true);
    expect(refusesAuth('denied: requested access to the resource is denied')).toBe(true);
    expect(refusesAuth('error parsing HTTP 401 response body: <html>')).toBe(true);
    expect(refusesAuth('manifest for x/unauthorized-things:1 not found')).toBe(false);
    expect(refusesAuth('error parsing HTTP 400 response body: <html>')).toBe(false);
  });
});
