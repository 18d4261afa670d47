// Values the global setup provides to the Worker tests (vitest's provide/inject).
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorUrl: string
  }
}
