/** @swe-forge/validator public entry. */
export {};
