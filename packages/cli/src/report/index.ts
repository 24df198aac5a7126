/** The dataset report: figures from a pipeline run, rendered as self-contained HTML and Markdown. */
export { buildReportData, histogram, linesChanged, median, familyOf, type ReportData, type ReportInput, type StrategyRow, type InstancePoint, type StageTiming, type IssueRow } from './data.js';
export { renderReportHtml, renderReportMarkdown, writeReport } from './render.js';
export { barChart, columnChart, niceTicks, esc } from './svg.js';
