// The web app's guard in `make lint`: ESLint's recommended rules, and the few habits that keep
// a page from failing quietly on a child's phone.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "../static/"] },
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.browser },
    rules: {
      // `x == null` is the one loose comparison kept: null or undefined, said once.
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["public/sw.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "script", globals: globals.serviceworker },
  },
  {
    files: ["*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.node },
  },
];
