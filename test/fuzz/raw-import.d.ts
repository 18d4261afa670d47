// Types Vite's `?raw` imports (a file's text as a string), used to read src/errors.ts in workerd.
declare module '*?raw' {
  const text: string
  export default text
}
