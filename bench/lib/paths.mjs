// Repository paths, resolved from this file so the bench runs from any working directory.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH, '..');
export const DIST = path.join(BENCH, 'dist');
