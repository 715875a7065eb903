import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig DATABASE_URL', () => {
  it('takes a SQLite file path or a postgres:// URL', () => {
    for (const url of [
      './data/baton.db',
      '/var/lib/baton/baton.db',
      'baton.db',
      'postgres://u@h/db',
      'postgresql://h/db',
    ]) {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });

  it('refuses a URL of another database instead of opening a SQLite file of that name, without echoing its password', () => {
    for (const url of ['mysql://admin:hunter2secret@db.example.net/baton', 'sqlite://data/baton.db', 'mongodb://h/x']) {
      let message = '';
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('DATABASE_URL must be a SQLite file path or a postgres:// URL');
      expect(message).toContain(`${url.split(':')[0]}://`);
      expect(message).not.toContain('hunter2secret');
    }
  });
});
