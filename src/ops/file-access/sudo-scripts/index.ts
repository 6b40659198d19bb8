// Every shell script a useSudo file operation runs, in one place: write.ts writes (put, backups, append),
// read.ts reads (get) and shares staging with a non-root sudo user.
export { appendScript, backupScript, installScript, probeScript, type MadeDir, type StagedFile } from './write.ts';
export { NOTHING_MATCHED, STAGED_MODES, globWord, listScript, parseStagedModes, shareScript, stageScript } from './read.ts';
