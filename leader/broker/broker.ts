/** The broker behind an interface: the embedded aedes, or an external broker we only point at. */
export interface Broker {
  /** `mqtt://host:port` for MQTT over TCP. */
  readonly url: string;
  /** `ws://host:port/mqtt` for browsers, when this broker serves WebSocket. */
  readonly wsUrl: string | null;
  readonly kind: 'embedded' | 'external';
  /** Connected clients (embedded only; null when unknown). */
  connectedClients(): number | null;
  close(): Promise<void>;
}

/** An external broker (mosquitto, EMQX): nothing to run, just its address. */
export function externalBroker(url: string, wsUrl: string | null = null): Broker {
  return { url, wsUrl, kind: 'external', connectedClients: () => null, close: async () => undefined };
}
