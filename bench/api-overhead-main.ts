/** `npx node bench/api-overhead-main.ts [seconds] [rounds]`: the API-overhead section alone, printed (docs untouched). */
import { benchApiOverhead } from './api-overhead.ts';

const section = await benchApiOverhead(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 5));
console.log(JSON.stringify(section, null, 2));
