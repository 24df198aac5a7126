/** @swe-forge/cli public entry. */
export {};
