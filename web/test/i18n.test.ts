import { describe, expect, it } from 'vitest';
import { tables, t, setLang, formatTime, formatNumber, dir, stateName } from '../src/i18n';

describe('i18n', () => {
  it('has every key in both languages, none empty', () => {
    const en = Object.keys(tables.en).sort();
    expect(Object.keys(tables.fa).sort()).toEqual(en);
    for (const k of en) {
      expect(tables.en[k as keyof typeof tables.en].length).toBeGreaterThan(0);
      expect(tables.fa[k as keyof typeof tables.fa].length).toBeGreaterThan(0);
    }
  });

  it('switches language and the document direction', () => {
    const doc = { documentElement: { lang: '', dir: '' } } as unknown as Document;
    setLang('fa', doc);
    expect(doc.documentElement.dir).toBe('rtl');
    expect(doc.documentElement.lang).toBe('fa');
    expect(t('nav.events')).toBe('رویدادها');
    expect(stateName('online')).toBe('برخط');
    expect(stateName('weird')).toBe('weird');
    setLang('en', doc);
    expect(doc.documentElement.dir).toBe('ltr');
    expect(t('nav.events')).toBe('Events');
    expect(dir('fa')).toBe('rtl');
  });

  it('formats Persian dates in the Solar Hijri calendar with Persian digits', () => {
    // Nowruz 1403: 2024-03-20 is 1 Farvardin 1403.
    const us = Date.UTC(2024, 2, 20, 12, 0, 0) * 1000;
    expect(formatTime(us, 'fa', 'UTC')).toBe('۱۴۰۳/۰۱/۰۱, ۱۲:۰۰:۰۰');
    expect(formatTime(us, 'en', 'UTC')).toBe('20/03/2024, 12:00:00');
    // The last day of 1402 (29 Esfand) is the day before.
    expect(formatTime(us - 86_400_000_000, 'fa', 'UTC').startsWith('۱۴۰۲/۱۲/۲۹')).toBe(true);
  });

  it('formats numbers with Persian digits in Persian', () => {
    expect(formatNumber(1234.5, 1, 'fa')).toBe('۱٬۲۳۴٫۵');
    expect(formatNumber(1234.5, 1, 'en')).toBe('1,234.5');
  });
});
