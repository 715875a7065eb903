/**
 * Zone abbreviations as Java's `Date.toString()` prints them (`zzz`), for the
 * zones where `Intl` has no short name and writes `GMT+5:30`. The original
 * service ran on Java, and report scripts parse the zone, so Kolkata must read
 * `IST`, Tokyo `JST`, Sydney `AEST`/`AEDT`, São Paulo `BRT`.
 *
 * The table was derived by listing every zone of `Intl.supportedValuesOf
 * ('timeZone')` whose en-US and en-GB short names are numeric (the test keeps
 * it honest: every entry must be such a zone) and writing the name Java's
 * time-zone data gives it. Keys are ICU's canonical IDs (`Asia/Calcutta` for
 * `Asia/Kolkata`), so every alias is found. Zones not listed fall back to
 * `GMT+hh:mm`, which is also what Java prints for a zone it cannot name.
 */

/** Zone → [standard name, daylight-saving name (when the zone has one)]. */
export const javaZoneNames: Readonly<Record<string, readonly [string, string?]>> = {
  // Africa
  'Africa/Addis_Ababa': ['EAT'],
  'Africa/Asmera': ['EAT'],
  'Africa/Dar_es_Salaam': ['EAT'],
  'Africa/Djibouti': ['EAT'],
  'Africa/Kampala': ['EAT'],
  'Africa/Mogadishu': ['EAT'],
  'Africa/Nairobi': ['EAT'],
  'Indian/Antananarivo': ['EAT'],
  'Indian/Comoro': ['EAT'],
  'Indian/Mayotte': ['EAT'],
  'Africa/Bangui': ['WAT'],
  'Africa/Brazzaville': ['WAT'],
  'Africa/Douala': ['WAT'],
  'Africa/Kinshasa': ['WAT'],
  'Africa/Lagos': ['WAT'],
  'Africa/Libreville': ['WAT'],
  'Africa/Luanda': ['WAT'],
  'Africa/Malabo': ['WAT'],
  'Africa/Ndjamena': ['WAT'],
  'Africa/Niamey': ['WAT'],
  'Africa/Porto-Novo': ['WAT'],
  'Africa/Blantyre': ['CAT'],
  'Africa/Bujumbura': ['CAT'],
  'Africa/Gaborone': ['CAT'],
  'Africa/Harare': ['CAT'],
  'Africa/Juba': ['CAT'],
  'Africa/Khartoum': ['CAT'],
  'Africa/Kigali': ['CAT'],
  'Africa/Lubumbashi': ['CAT'],
  'Africa/Lusaka': ['CAT'],
  'Africa/Maputo': ['CAT'],
  'Africa/Windhoek': ['CAT'],
  'Africa/Johannesburg': ['SAST'],
  'Africa/Maseru': ['SAST'],
  'Africa/Mbabane': ['SAST'],
  // The Americas
  'America/Araguaina': ['BRT'],
  'America/Bahia': ['BRT'],
  'America/Belem': ['BRT'],
  'America/Fortaleza': ['BRT'],
  'America/Maceio': ['BRT'],
  'America/Recife': ['BRT'],
  'America/Santarem': ['BRT'],
  'America/Sao_Paulo': ['BRT', 'BRST'],
  'America/Boa_Vista': ['AMT'],
  'America/Campo_Grande': ['AMT'],
  'America/Cuiaba': ['AMT'],
  'America/Manaus': ['AMT'],
  'America/Porto_Velho': ['AMT'],
  'America/Eirunepe': ['ACT'],
  'America/Rio_Branco': ['ACT'],
  'America/Noronha': ['FNT'],
  'America/Buenos_Aires': ['ART'],
  'America/Catamarca': ['ART'],
  'America/Cordoba': ['ART'],
  'America/Jujuy': ['ART'],
  'America/Mendoza': ['ART'],
  'America/Argentina/La_Rioja': ['ART'],
  'America/Argentina/Rio_Gallegos': ['ART'],
  'America/Argentina/Salta': ['ART'],
  'America/Argentina/San_Juan': ['ART'],
  'America/Argentina/San_Luis': ['ART'],
  'America/Argentina/Tucuman': ['ART'],
  'America/Argentina/Ushuaia': ['ART'],
  'America/Asuncion': ['PYT', 'PYST'],
  'America/Bogota': ['COT'],
  'America/Caracas': ['VET'],
  'America/Cayenne': ['GFT'],
  'America/Guayaquil': ['ECT'],
  'America/Guyana': ['GYT'],
  'America/La_Paz': ['BOT'],
  'America/Lima': ['PET'],
  'America/Montevideo': ['UYT'],
  'America/Paramaribo': ['SRT'],
  'America/Santiago': ['CLT', 'CLST'],
  'America/Havana': ['CST', 'CDT'],
  'America/Hermosillo': ['MST'],
  'America/Mazatlan': ['MST'],
  'America/Dawson': ['MST'],
  'America/Whitehorse': ['MST'],
  'America/Miquelon': ['PMST', 'PMDT'],
  'America/Godthab': ['WGT', 'WGST'],
  'America/Scoresbysund': ['EGT', 'EGST'],
  'America/St_Johns': ['NST', 'NDT'],
  'Antarctica/McMurdo': ['NZST', 'NZDT'],
  // Asia
  'Asia/Aden': ['AST'],
  'Asia/Baghdad': ['AST'],
  'Asia/Bahrain': ['AST'],
  'Asia/Kuwait': ['AST'],
  'Asia/Qatar': ['AST'],
  'Asia/Riyadh': ['AST'],
  'Asia/Anadyr': ['ANAT'],
  'Asia/Ashgabat': ['TMT'],
  'Asia/Baku': ['AZT'],
  'Asia/Bangkok': ['ICT'],
  'Asia/Phnom_Penh': ['ICT'],
  'Asia/Saigon': ['ICT'],
  'Asia/Vientiane': ['ICT'],
  'Asia/Bishkek': ['KGT'],
  'Asia/Brunei': ['BNT'],
  'Asia/Calcutta': ['IST'],
  'Asia/Colombo': ['IST'],
  'Asia/Chita': ['YAKT'],
  'Asia/Dhaka': ['BDT'],
  'Asia/Dili': ['TLT'],
  'Asia/Dushanbe': ['TJT'],
  'Asia/Hong_Kong': ['HKT'],
  'Asia/Hovd': ['HOVT'],
  'Asia/Irkutsk': ['IRKT'],
  'Asia/Jakarta': ['WIB'],
  'Asia/Pontianak': ['WIB'],
  'Asia/Makassar': ['WITA'],
  'Asia/Jayapura': ['WIT'],
  'Asia/Jerusalem': ['IST', 'IDT'],
  'Asia/Kabul': ['AFT'],
  'Asia/Kamchatka': ['PETT'],
  'Asia/Karachi': ['PKT'],
  'Asia/Katmandu': ['NPT'],
  'Asia/Khandyga': ['YAKT'],
  'Asia/Krasnoyarsk': ['KRAT'],
  'Asia/Novokuznetsk': ['KRAT'],
  'Asia/Kuala_Lumpur': ['MYT'],
  'Asia/Kuching': ['MYT'],
  'Asia/Macau': ['CST'],
  'Asia/Magadan': ['MAGT'],
  'Asia/Manila': ['PHT'],
  'Asia/Novosibirsk': ['NOVT'],
  'Asia/Omsk': ['OMST'],
  'Asia/Oral': ['ORAT'],
  'Asia/Aqtau': ['AQTT'],
  'Asia/Aqtobe': ['AQTT'],
  'Asia/Pyongyang': ['KST'],
  'Asia/Seoul': ['KST'],
  'Asia/Rangoon': ['MMT'],
  'Asia/Sakhalin': ['SAKT'],
  'Asia/Samarkand': ['UZT'],
  'Asia/Tashkent': ['UZT'],
  'Asia/Shanghai': ['CST'],
  'Asia/Taipei': ['CST'],
  'Asia/Singapore': ['SGT'],
  'Asia/Srednekolymsk': ['SRET'],
  'Asia/Tbilisi': ['GET'],
  'Asia/Tehran': ['IRST', 'IRDT'],
  'Asia/Thimphu': ['BTT'],
  'Asia/Tokyo': ['JST'],
  'Asia/Ulaanbaatar': ['ULAT'],
  'Asia/Urumqi': ['XJT'],
  'Asia/Ust-Nera': ['VLAT'],
  'Asia/Vladivostok': ['VLAT'],
  'Asia/Yakutsk': ['YAKT'],
  'Asia/Yekaterinburg': ['YEKT'],
  'Asia/Yerevan': ['AMT'],
  // The Atlantic
  'Atlantic/Azores': ['AZOT', 'AZOST'],
  'Atlantic/Cape_Verde': ['CVT'],
  'Atlantic/South_Georgia': ['GST'],
  'Atlantic/Stanley': ['FKT'],
  // Australia
  'Australia/Adelaide': ['ACST', 'ACDT'],
  'Australia/Broken_Hill': ['ACST', 'ACDT'],
  'Australia/Darwin': ['ACST'],
  'Australia/Brisbane': ['AEST'],
  'Australia/Lindeman': ['AEST'],
  'Australia/Hobart': ['AEST', 'AEDT'],
  'Australia/Melbourne': ['AEST', 'AEDT'],
  'Australia/Sydney': ['AEST', 'AEDT'],
  'Australia/Eucla': ['ACWST'],
  'Australia/Lord_Howe': ['LHST', 'LHDT'],
  'Australia/Perth': ['AWST'],
  // Europe
  'Europe/Dublin': ['GMT', 'IST'],
  'Europe/Guernsey': ['GMT', 'BST'],
  'Europe/Isle_of_Man': ['GMT', 'BST'],
  'Europe/Jersey': ['GMT', 'BST'],
  'Europe/Istanbul': ['TRT'],
  'Europe/Kirov': ['MSK'],
  'Europe/Minsk': ['MSK'],
  'Europe/Moscow': ['MSK'],
  'Europe/Simferopol': ['MSK'],
  'Europe/Volgograd': ['MSK'],
  'Europe/Samara': ['SAMT'],
  // The Indian Ocean
  'Indian/Chagos': ['IOT'],
  'Indian/Christmas': ['CXT'],
  'Indian/Cocos': ['CCT'],
  'Indian/Kerguelen': ['TFT'],
  'Indian/Mahe': ['SCT'],
  'Indian/Maldives': ['MVT'],
  'Indian/Mauritius': ['MUT'],
  'Indian/Reunion': ['RET'],
  // The Pacific
  'Pacific/Apia': ['WSST', 'WSDT'],
  'Pacific/Auckland': ['NZST', 'NZDT'],
  'Pacific/Chatham': ['CHAST', 'CHADT'],
  'Pacific/Easter': ['EAST', 'EASST'],
  'Pacific/Efate': ['VUT'],
  'Pacific/Enderbury': ['PHOT'],
  'Pacific/Fakaofo': ['TKT'],
  'Pacific/Fiji': ['FJT', 'FJST'],
  'Pacific/Funafuti': ['TVT'],
  'Pacific/Galapagos': ['GALT'],
  'Pacific/Gambier': ['GAMT'],
  'Pacific/Guadalcanal': ['SBT'],
  'Pacific/Guam': ['ChST'],
  'Pacific/Saipan': ['ChST'],
  'Pacific/Kiritimati': ['LINT'],
  'Pacific/Kosrae': ['KOST'],
  'Pacific/Kwajalein': ['MHT'],
  'Pacific/Majuro': ['MHT'],
  'Pacific/Marquesas': ['MART'],
  'Pacific/Midway': ['SST'],
  'Pacific/Pago_Pago': ['SST'],
  'Pacific/Nauru': ['NRT'],
  'Pacific/Niue': ['NUT'],
  'Pacific/Norfolk': ['NFT', 'NFDT'],
  'Pacific/Noumea': ['NCT'],
  'Pacific/Palau': ['PWT'],
  'Pacific/Pitcairn': ['PST'],
  'Pacific/Ponape': ['PONT'],
  'Pacific/Port_Moresby': ['PGT'],
  'Pacific/Rarotonga': ['CKT'],
  'Pacific/Tahiti': ['TAHT'],
  'Pacific/Tarawa': ['GILT'],
  'Pacific/Tongatapu': ['TOT'],
  'Pacific/Truk': ['CHUT'],
  'Pacific/Wake': ['WAKT'],
  'Pacific/Wallis': ['WFT'],
};

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of `timeZone` at `ms`. */
function offsetMinutes(ms: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, f);
  }
  const text = f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(text);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** `GMT+05:30`, `GMT-03:00`, `GMT` — Java's form for a zone without a name. */
export function gmtOffsetName(minutes: number): string {
  if (minutes === 0) return 'GMT';
  const abs = Math.abs(minutes);
  const p = (n: number) => String(n).padStart(2, '0');
  return `GMT${minutes < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

const canonicalIds = new Map<string, string>();

function canonical(timeZone: string): string {
  let id = canonicalIds.get(timeZone);
  if (id === undefined) {
    id = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    canonicalIds.set(timeZone, id);
  }
  return id;
}

/**
 * The name Java prints for `timeZone` at `ms`, for a zone Intl only numbers:
 * the table's standard or daylight name (daylight when the offset is above the
 * year's smaller one), else `GMT+hh:mm`.
 */
export function javaZoneName(ms: number, timeZone: string): string {
  const offset = offsetMinutes(ms, timeZone);
  const names = javaZoneNames[timeZone] ?? javaZoneNames[canonical(timeZone)];
  if (!names) return gmtOffsetName(offset);
  const [standard, daylight] = names;
  if (daylight === undefined) return standard;
  const year = new Date(ms).getUTCFullYear();
  const base = Math.min(offsetMinutes(Date.UTC(year, 0, 1), timeZone), offsetMinutes(Date.UTC(year, 6, 1), timeZone));
  return offset > base ? daylight : standard;
}
