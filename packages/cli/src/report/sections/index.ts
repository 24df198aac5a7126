/** The report sections of the stages after the instances: trajectories, SFT dataset, training plan, best of K. */
import { sftSection, type SftFigures } from './sft.js';
import { trainSection, type TrainFigures } from './train.js';
import { trajectoriesSection, type TrajectoryFigures } from './trajectories.js';
import { verifySection, type VerifyFigures } from './verify.js';

export { badge, pct, fmtNum, type Section } from './common.js';
export { trajectoryFigures, trajectoryRunFigures, teacherNote, trajectoriesSection, type TrajectoryFigures, type TrajectoryRunFigures, type TrajectoryLike, type Spread } from './trajectories.js';
export { sftFigures, sftSection, type SftFigures, type SftCheckRow, type SftFolderFiles } from './sft.js';
export { trainSection, weightsNote, type TrainFigures, type TrainCheckRow } from './train.js';
export { verifySection, type VerifyFigures } from './verify.js';

/** Figures of the recipe stages that ran (absent: not configured or skipped). */
export interface RecipeFigures {
  trajectories?: TrajectoryFigures;
  sft?: SftFigures;
  train?: TrainFigures;
  verify?: VerifyFigures;
}

/** The recipe sections in pipeline order, each as HTML and Markdown. */
export function recipeSections(r: RecipeFigures | undefined): { html: string; md: string } {
  const parts = [r?.trajectories && trajectoriesSection(r.trajectories), r?.sft && sftSection(r.sft), r?.train && trainSection(r.train), r?.verify && verifySection(r.verify)].filter((x) => !!x);
  return { html: parts.map((p) => p.html).join('\n'), md: parts.map((p) => p.md).join('\n') };
}

/** CSS of the recipe sections (badges, notes), appended to the report's. */
export const RECIPE_CSS = `
h3{font-size:16px;margin:22px 0 8px}
.note{background:#eff6ff;border:1px solid #bfdbfe;border-radius:6px;padding:8px 12px;margin:8px 0}
.note.warn{background:#fffbeb;border-color:#fde68a}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.pass{background:#dcfce7;color:#166534}.badge.warn{background:#fef9c3;color:#854d0e}.badge.fail{background:#fee2e2;color:#991b1b}.badge.skip{background:#f3f4f6;color:#4b5563}
.badge.accepted{outline:2px dashed #f59e0b}
.fix{color:#6b7280;font-size:13px}
table.checks td{vertical-align:top}
ul.figures{font-size:13px;color:#4b5563}
`;
