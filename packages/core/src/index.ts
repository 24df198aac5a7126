/** @swe-forge/core public entry. */
export {};
