/** @swe-forge/testkit public entry. */
export {};
