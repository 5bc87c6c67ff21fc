/*
 * What the reader needs from `xl/workbook.xml` beyond what exceljs gives it right. The file is
 * written by Excel, LibreOffice, Google Sheets and libraries alike, so its booleans are read as
 * XML Schema defines them ("1", "true", "0", "false"), not as Excel writes them.
 */

const WORKBOOK_PROPERTIES = /<(?:[\w.-]+:)?workbookPr\b([^>]*)>/;
const DATE_1904 = /\sdate1904\s*=\s*(["'])\s*(\w*)\s*\1/;

/** True when the workbook counts dates from 1904-01-01 (`<workbookPr date1904="1|true">`). */
export function date1904Of(workbookXml: string): boolean {
  const attributes = WORKBOOK_PROPERTIES.exec(workbookXml)?.[1] ?? "";
  const value = DATE_1904.exec(attributes)?.[2];
  return value === "1" || value === "true";
}
