import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { sqliteFileOf } from './store/database-url.js';

describe('loadConfig DATABASE_URL', () => {
  it('takes a SQLite file path or a postgres:// URL', () => {
    for (const url of [
      './data/baton.db',
      '/var/lib/baton/baton.db',
      'baton.db',
      'postgres://u@h/db',
      'postgresql://h/db',
      'file:./data/baton.db',
      'file:/var/lib/baton/baton.db',
      'file:///var/lib/baton/baton.db',
      'sqlite:data/baton.db',
    ]) {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });

  it('reads file: and sqlite: forms as the file they name, a file URL percent-decoded', () => {
    expect(sqliteFileOf('./data/baton.db')).toBe('./data/baton.db');
    expect(sqliteFileOf('file:./data/baton.db')).toBe('./data/baton.db');
    expect(sqliteFileOf('file:/var/lib/baton.db')).toBe('/var/lib/baton.db');
    expect(sqliteFileOf('file:///var/lib/my%20baton.db')).toBe('/var/lib/my baton.db');
    expect(sqliteFileOf('FILE://localhost/var/lib/baton.db')).toBe('/var/lib/baton.db');
    expect(sqliteFileOf('sqlite:data/baton.db')).toBe('data/baton.db');
    expect(sqliteFileOf(':memory:')).toBe(':memory:');
  });

  it('serves a memory database from one process: WORKERS is 1, and more is refused', () => {
    expect(loadConfig({ DATABASE_URL: ':memory:' }).workers).toBe(1);
    expect(loadConfig({ DATABASE_URL: ':memory:', WORKERS: '1' }).workers).toBe(1);
    expect(() => loadConfig({ DATABASE_URL: ':memory:', WORKERS: '2' })).toThrow(
      'WORKERS must be 1 with DATABASE_URL=:memory:',
    );
    expect(loadConfig({ DATABASE_URL: './baton.db', WORKERS: '2' }).workers).toBe(2);
  });

  it('refuses a file URL of another host, and a URL that names no file', () => {
    expect(() => loadConfig({ DATABASE_URL: 'file://fileserver/share/baton.db' })).toThrow(
      'DATABASE_URL is a file:// URL of another host',
    );
    for (const url of ['file:', 'sqlite:', 'file://']) {
      expect(() => loadConfig({ DATABASE_URL: url }), url).toThrow(/DATABASE_URL (names no SQLite file|is a file)/);
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
      expect(message).toContain('DATABASE_URL must be a SQLite file path (or file:…) or a postgres:// URL');
      expect(message).toContain(`${url.split(':')[0]}://`);
      expect(message).not.toContain('hunter2secret');
    }
  });
});
