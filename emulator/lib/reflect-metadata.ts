// A minimal Reflect metadata polyfill: @peculiar/x509 loads tsyringe, which refuses to start without one.
// Only what TypeScript's emitted decorator metadata and tsyringe use; avoids another dependency.
type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown
  getOwnMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown
  defineMetadata?: (key: unknown, value: unknown, target: object, property?: PropertyKey) => void
  metadata?: (key: unknown, value: unknown) => (target: object, property?: PropertyKey) => void
}

const reflect = Reflect as MetadataReflect
if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, Map<PropertyKey | undefined, Map<unknown, unknown>>>()
  const entries = (target: object, property?: PropertyKey) => {
    let byProperty = store.get(target)
    if (!byProperty) store.set(target, (byProperty = new Map()))
    let byKey = byProperty.get(property)
    if (!byKey) byProperty.set(property, (byKey = new Map()))
    return byKey
  }
  reflect.defineMetadata = (key, value, target, property) => {
    entries(target, property).set(key, value)
  }
  reflect.getOwnMetadata = (key, target, property) => store.get(target)?.get(property)?.get(key)
  reflect.getMetadata = (key, target, property) => {
    // Metadata is inherited along the prototype chain, as in the reflect-metadata proposal.
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const value = store.get(t)?.get(property)?.get(key)
      if (value !== undefined) return value
    }
    return undefined
  }
  reflect.metadata = (key, value) => (target, property) =>
    reflect.defineMetadata!(key, value, target, property)
}

export {}
