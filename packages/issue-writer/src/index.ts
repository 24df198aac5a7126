/** @swe-forge/issue-writer public entry. */
export {};
