import { describe, expect, it } from 'vitest'
import { buildClientUrls, clientTypeFor } from '../../src/webpubsub/client-url'

describe('webpubsub/client-url', () => {
  it('builds wss URLs per protocol exactly as the SDK does', () => {
    const endpoint = 'https://contoso.webpubsub.azure.com'
    expect(buildClientUrls(endpoint, 'chat', 'default', 'T')).toEqual({
      baseUrl: 'wss://contoso.webpubsub.azure.com/client/hubs/chat',
      url: 'wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token=T',
    })
    expect(buildClientUrls(endpoint, 'chat', 'mqtt', 'T').baseUrl).toBe(
      'wss://contoso.webpubsub.azure.com/clients/mqtt/hubs/chat',
    )
    expect(buildClientUrls(endpoint, 'chat', 'socketio', 'T').baseUrl).toBe(
      'wss://contoso.webpubsub.azure.com/clients/socketio/hubs/chat',
    )
  })

  it('maps http endpoints to ws', () => {
    expect(buildClientUrls('http://127.0.0.1:8788', 'h', 'default', 'x').url).toBe(
      'ws://127.0.0.1:8788/client/hubs/h?access_token=x',
    )
  })

  it("sends clientType only for MQTT and Socket.IO, in the SDK's lower case", () => {
    expect(clientTypeFor('default')).toBeUndefined()
    expect(clientTypeFor('mqtt')).toBe('mqtt')
    expect(clientTypeFor('socketio')).toBe('socketio')
  })
})
