/** @swe-forge/procedural-bugs public entry. */
export {};
