// tools/check-manifest.mjs: write only the manifest, not a "customElements" entry into package.json.
export default { packagejson: false };
