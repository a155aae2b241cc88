// The UI's one table of strings (English and Persian), the current language, and number/date formatting: Persian
// uses right-to-left layout, Persian digits and the Solar Hijri calendar (Intl's fa-IR-u-ca-persian).
export type Lang = 'en' | 'fa';

const en = {
  app: 'didban',
  'nav.wall': 'Video wall',
  'nav.map': 'Site map',
  'nav.events': 'Events',
  'nav.dashboard': 'Traffic',
  'nav.recordings': 'Recordings',
  'nav.editor': 'Calibration & rules',
  'nav.admin': 'Administration',
  'login.title': 'Sign in to didban',
  'login.user': 'User name',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Wrong user name or password',
  'login.throttled': 'Too many tries; wait and try again',
  logout: 'Sign out',
  language: 'فارسی',
  'user.local': 'local (no login)',
  loading: 'Loading…',
  error: 'Error',
  none: 'Nothing to show',
  camera: 'Camera',
  cameras: 'Cameras',
  all: 'All',
  state: 'State',
  'state.online': 'online',
  'state.offline': 'offline',
  'state.starting': 'starting',
  'state.stopped': 'stopped',
  'state.connecting': 'connecting',
  fps: 'frames/s',
  tracks: 'tracks',
  'wall.columns': 'Columns',
  'wall.close': 'Back to the wall',
  'wall.mode.mse': 'live',
  'wall.mode.mjpeg': 'MJPEG',
  'wall.mode.snapshot': 'snapshots',
  'map.grid': 'Grid: 10 m',
  'map.cursor': 'Cursor',
  'map.global': 'global tracks',
  'map.notgeo': 'Site not geo-referenced: local metres',
  'map.follow': 'Following',
  'map.noground': 'No ground positions for this object (camera not calibrated)',
  'events.follow': 'Follow this object',
  'events.type': 'Type',
  'events.unacked': 'Unacknowledged only',
  'events.time': 'Time',
  'events.rule': 'Rule',
  'events.class': 'Class',
  'events.value': 'Value',
  'events.ack': 'Acknowledge',
  'events.acked': 'Acknowledged',
  'events.snapshot': 'Snapshot',
  'events.clip': 'Clip',
  'events.clip.pending': 'Exporting clip…',
  'events.clip.failed': 'Clip failed',
  'events.more': 'Older events',
  'events.live': 'live',
  'dash.range': 'Range',
  'dash.hour': 'Last hour',
  'dash.day': 'Last 24 h',
  'dash.week': 'Last 7 days',
  'dash.byclass': 'Counts by class',
  'dash.bydirection': 'Counts by direction',
  'dash.overtime': 'Counts per interval',
  'dash.csv': 'Download CSV',
  'dash.total': 'Total',
  'dash.metric': 'Metric',
  'dash.speed': 'Speeds per interval (km/h)',
  'dash.speed.mean': 'mean speed',
  'dash.speed.p85': 'v85',
  'dash.los': 'Density and level of service (0 = A … 5 = F)',
  'dash.density': 'density (veh/km/lane)',
  'dash.los.level': 'level of service',
  'dash.incidents': 'Incidents and near-misses per interval',
  'dash.hotspots': 'Hotspot map',
  'map.hotspots': 'Hotspots (last 24 h)',
  'map.hotspots.count': 'events',
  'map.fov': 'fields of view',
  'rec.title': 'Recordings',
  'rec.export': 'Export range',
  'rec.from': 'From',
  'rec.to': 'To',
  'rec.segments': 'segments',
  'rec.events': 'events',
  'rec.play': 'Play',
  'ed.tool': 'Tool',
  'ed.line': 'Draw line',
  'ed.zone': 'Draw zone',
  'ed.calib': 'Calibration points',
  'ed.finish': 'Finish zone',
  'ed.clear': 'Clear',
  'ed.save': 'Save',
  'ed.saved': 'Saved',
  'ed.name': 'Name',
  'ed.rules': 'Rules',
  'ed.delete': 'Delete',
  'ed.ground': 'Ground x, y (m)',
  'ed.reproj': 'Reprojection error',
  'ed.needfour': 'Four or more point pairs fit the homography',
  'ed.hint.line': 'Click two points on the image',
  'ed.hint.zone': 'Click the corners, then Finish zone',
  'ed.hint.calib': 'Click an image point, then type its ground x, y',
  'admin.users': 'Users',
  'admin.role': 'Role',
  'admin.language': 'Language',
  'admin.audit': 'Audit log',
  'admin.unavailable': 'This server has no user administration routes yet.',
  'admin.me': 'Signed in as',
  'class.unknown': 'unknown',
  'class.person': 'person',
  'class.bicycle': 'bicycle',
  'class.car': 'car',
  'class.motorcycle': 'motorcycle',
  'class.bus': 'bus',
  'class.truck': 'truck',
  'class.animal': 'animal',
  'class.other': 'other',
  'type.line_cross': 'line crossing',
  'type.zone_enter': 'zone entry',
  'type.zone_exit': 'zone exit',
  'type.dwell': 'dwell',
  'type.overspeed': 'overspeed',
  'type.wrong_way': 'wrong way',
  'type.stopped': 'stopped vehicle',
  'type.congestion': 'congestion',
  'type.near_miss': 'near miss',
  'type.camera_offline': 'camera offline',
  'type.camera_online': 'camera online',
  'dir.in': 'in',
  'dir.out': 'out',
  forbidden: 'Not allowed',
  notfound: 'Not found',
} as const;

export type Key = keyof typeof en;

const fa: Record<Key, string> = {
  app: 'دیدبان',
  'nav.wall': 'دیوار تصویر',
  'nav.map': 'نقشه سایت',
  'nav.events': 'رویدادها',
  'nav.dashboard': 'ترافیک',
  'nav.recordings': 'ضبط‌ها',
  'nav.editor': 'کالیبراسیون و قواعد',
  'nav.admin': 'مدیریت',
  'login.title': 'ورود به دیدبان',
  'login.user': 'نام کاربری',
  'login.password': 'گذرواژه',
  'login.submit': 'ورود',
  'login.failed': 'نام کاربری یا گذرواژه نادرست است',
  'login.throttled': 'تلاش‌های زیاد؛ کمی بعد دوباره امتحان کنید',
  logout: 'خروج',
  language: 'English',
  'user.local': 'محلی (بدون ورود)',
  loading: 'در حال بارگذاری…',
  error: 'خطا',
  none: 'موردی نیست',
  camera: 'دوربین',
  cameras: 'دوربین‌ها',
  all: 'همه',
  state: 'وضعیت',
  'state.online': 'برخط',
  'state.offline': 'قطع',
  'state.starting': 'در حال آغاز',
  'state.stopped': 'متوقف',
  'state.connecting': 'در حال اتصال',
  fps: 'فریم/ثانیه',
  tracks: 'مسیر',
  'wall.columns': 'ستون‌ها',
  'wall.close': 'بازگشت به دیوار',
  'wall.mode.mse': 'زنده',
  'wall.mode.mjpeg': 'MJPEG',
  'wall.mode.snapshot': 'تصویر لحظه‌ای',
  'map.grid': 'شبکه: ۱۰ متر',
  'map.cursor': 'نشانگر',
  'map.global': 'مسیرهای سراسری',
  'map.notgeo': 'سایت زمین‌مرجع نیست: متر محلی',
  'map.follow': 'دنبال کردن',
  'map.noground': 'این شیء موقعیت زمینی ندارد (دوربین کالیبره نیست)',
  'events.follow': 'دنبال کردن این شیء',
  'events.type': 'نوع',
  'events.unacked': 'فقط تأییدنشده‌ها',
  'events.time': 'زمان',
  'events.rule': 'قاعده',
  'events.class': 'رده',
  'events.value': 'مقدار',
  'events.ack': 'تأیید',
  'events.acked': 'تأیید شد',
  'events.snapshot': 'تصویر',
  'events.clip': 'کلیپ',
  'events.clip.pending': 'در حال ساخت کلیپ…',
  'events.clip.failed': 'ساخت کلیپ ناموفق بود',
  'events.more': 'رویدادهای قدیمی‌تر',
  'events.live': 'زنده',
  'dash.range': 'بازه',
  'dash.hour': 'یک ساعت اخیر',
  'dash.day': '۲۴ ساعت اخیر',
  'dash.week': '۷ روز اخیر',
  'dash.byclass': 'شمار بر پایه رده',
  'dash.bydirection': 'شمار بر پایه جهت',
  'dash.overtime': 'شمار در هر بازه',
  'dash.csv': 'دریافت CSV',
  'dash.total': 'جمع',
  'dash.metric': 'سنجه',
  'dash.speed': 'سرعت‌ها در هر بازه (کیلومتر بر ساعت)',
  'dash.speed.mean': 'میانگین سرعت',
  'dash.speed.p85': 'سرعت صدک ۸۵',
  'dash.los': 'چگالی و سطح سرویس (۰ = A … ۵ = F)',
  'dash.density': 'چگالی (خودرو بر کیلومتر بر خط)',
  'dash.los.level': 'سطح سرویس',
  'dash.incidents': 'رخدادها و شبه‌تصادف‌ها در هر بازه',
  'dash.hotspots': 'نقشه نقاط پرحادثه',
  'map.hotspots': 'نقاط پرحادثه (۲۴ ساعت اخیر)',
  'map.hotspots.count': 'رویداد',
  'map.fov': 'میدان دید دوربین‌ها',
  'rec.title': 'ضبط‌ها',
  'rec.export': 'خروجی بازه',
  'rec.from': 'از',
  'rec.to': 'تا',
  'rec.segments': 'قطعه',
  'rec.events': 'رویداد',
  'rec.play': 'پخش',
  'ed.tool': 'ابزار',
  'ed.line': 'رسم خط',
  'ed.zone': 'رسم ناحیه',
  'ed.calib': 'نقاط کالیبراسیون',
  'ed.finish': 'پایان ناحیه',
  'ed.clear': 'پاک کردن',
  'ed.save': 'ذخیره',
  'ed.saved': 'ذخیره شد',
  'ed.name': 'نام',
  'ed.rules': 'قواعد',
  'ed.delete': 'حذف',
  'ed.ground': 'x، y زمین (متر)',
  'ed.reproj': 'خطای بازتصویر',
  'ed.needfour': 'برای برازش هموگرافی دست‌کم چهار جفت نقطه لازم است',
  'ed.hint.line': 'دو نقطه روی تصویر کلیک کنید',
  'ed.hint.zone': 'گوشه‌ها را کلیک کنید، سپس «پایان ناحیه»',
  'ed.hint.calib': 'یک نقطه تصویر را کلیک کنید و x، y زمین آن را بنویسید',
  'admin.users': 'کاربران',
  'admin.role': 'نقش',
  'admin.language': 'زبان',
  'admin.audit': 'گزارش ممیزی',
  'admin.unavailable': 'این سرور هنوز مسیرهای مدیریت کاربران را ندارد.',
  'admin.me': 'وارد شده با نام',
  'class.unknown': 'نامشخص',
  'class.person': 'عابر',
  'class.bicycle': 'دوچرخه',
  'class.car': 'خودرو',
  'class.motorcycle': 'موتورسیکلت',
  'class.bus': 'اتوبوس',
  'class.truck': 'کامیون',
  'class.animal': 'حیوان',
  'class.other': 'دیگر',
  'type.line_cross': 'عبور از خط',
  'type.zone_enter': 'ورود به ناحیه',
  'type.zone_exit': 'خروج از ناحیه',
  'type.dwell': 'توقف طولانی',
  'type.overspeed': 'سرعت غیرمجاز',
  'type.wrong_way': 'حرکت خلاف جهت',
  'type.stopped': 'خودروی متوقف',
  'type.congestion': 'ترافیک سنگین',
  'type.near_miss': 'شبه‌تصادف',
  'type.camera_offline': 'قطع دوربین',
  'type.camera_online': 'وصل دوربین',
  'dir.in': 'ورودی',
  'dir.out': 'خروجی',
  forbidden: 'مجاز نیست',
  notfound: 'یافت نشد',
};

export const tables: Record<Lang, Record<Key, string>> = { en, fa };

let current: Lang = 'en';
const listeners = new Set<(l: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function t(key: Key): string {
  return tables[current][key] ?? tables.en[key];
}

export function isLang(v: unknown): v is Lang {
  return v === 'en' || v === 'fa';
}

// Sets the language and the document's direction (Persian: rtl); listeners re-render.
export function setLang(l: Lang, doc: Document | null = typeof document === 'undefined' ? null : document): void {
  current = l;
  if (doc) {
    doc.documentElement.lang = l;
    doc.documentElement.dir = dir(l);
  }
  for (const f of listeners) f(l);
}

export function onLangChange(f: (l: Lang) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function dir(l: Lang): 'rtl' | 'ltr' {
  return l === 'fa' ? 'rtl' : 'ltr';
}

function locale(l: Lang): string {
  return l === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB';
}

// A time in microseconds since the epoch as a date and time in the language's calendar (Persian: Solar Hijri).
export function formatTime(us: number, l: Lang = current, timeZone?: string): string {
  const f = new Intl.DateTimeFormat(locale(l), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  });
  return f.format(new Date(us / 1000));
}

export function formatClock(us: number, l: Lang = current, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale(l), {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(new Date(us / 1000));
}

export function formatNumber(v: number, digits = 0, l: Lang = current): string {
  return new Intl.NumberFormat(l === 'fa' ? 'fa-IR' : 'en-GB', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(v);
}

// Names of the server's enumerations (camera states, object classes, event types, directions) through the table,
// the raw value otherwise (a new type still shows).
function named(prefix: string, s: string): string {
  const k = `${prefix}.${s}` as Key;
  return k in en ? t(k) : s;
}
export const stateName = (s: string) => named('state', s);
export const className = (s: string) => named('class', s);
export const typeName = (s: string) => named('type', s);
export const directionName = (s: string) => named('dir', s);
