/** @swe-forge/env-builder public entry. */
export {};
