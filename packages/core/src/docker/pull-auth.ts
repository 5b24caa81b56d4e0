import { registryServerKey, type RegistryCredentials } from './credentials-config';

/** The engine's `AuthConfig`, sent base64url-encoded as `X-Registry-Auth` (dockerode's `authconfig`). */
export interface EngineAuthConfig {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly serveraddress: string;
}

/** Credentials in the shape the engine reads, addressed the way the Docker CLI addresses them. */
export function engineAuthConfig(
  credentials: RegistryCredentials,
  registry: string,
): EngineAuthConfig {
  return {
    ...(credentials.username !== undefined && { username: credentials.username }),
    ...(credentials.password !== undefined && { password: credentials.password }),
    ...(credentials.identityToken !== undefined && { identitytoken: credentials.identityToken }),
    serveraddress: registryServerKey(registry),
  };
}
