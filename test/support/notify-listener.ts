import pg from 'pg';

/** The outbox channel's notifications, collected on a connection of its own until `close()`. */
export interface NotifyListener {
  received: string[];
  close: () => Promise<void>;
}

export async function listenForOutboxNotifies(databaseUrl: string): Promise<NotifyListener> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const received: string[] = [];
  client.on('notification', (n) => received.push(n.channel));
  await client.query('LISTEN outbox_message');
  return { received, close: () => client.end() };
}
