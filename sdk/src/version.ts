/** SDK version sent as `X-Client-Version` and in `library`; build.mjs checks it against package.json. */
export const VERSION = '0.1.0';
export const LIBRARY_NAME = 'reel-sdk';
