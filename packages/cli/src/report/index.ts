/** The dataset report: figures from a pipeline run, rendered as self-contained HTML and Markdown. */
export { buildReportData, histogram, linesChanged, median, familyOf, type ReportData, type ReportInput, type StrategyRow, type InstancePoint, type StageTiming, type IssueRow } from './data.js';
export { renderReportHtml, renderReportMarkdown, writeReport } from './render.js';
export { barChart, columnChart, niceTicks, esc } from './svg.js';
export { recipeSections, trajectoryFigures, trajectoryRunFigures, teacherNote, sftFigures, RECIPE_CSS, type RecipeFigures, type TrajectoryFigures, type TrajectoryRunFigures, type TrajectoryLike, type Spread, type SftFigures, type SftCheckRow, type SftFolderFiles, type TrainFigures, type TrainCheckRow, type VerifyFigures, type Section } from './sections/index.js';
