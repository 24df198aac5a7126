/** @swe-forge/combine public entry. */
export {};
