// An ES module in a .js file: package.json says "type": "module".
export async function handler(event) {
  return { esm: typeof require === "undefined", event };
}
