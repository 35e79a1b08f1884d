import { isColumnGlob } from '@salesflow/config';
import { MASK_KEY_ID_COLUMN, type MaskRules } from '@salesflow/masking';
import { MaskRuleInvalidError } from './mask-rule-invalid-error';

/**
 * Every reason the rules of `entity` (as configured: names and globs) cannot be applied to data
 * with these columns, as errors naming the config path and the fix; empty when they can. Pure:
 * the step decides to throw. Globs may match nothing; exact names must exist.
 */
export function checkMaskRules(entity: string, rules: MaskRules, columns: readonly string[]): MaskRuleInvalidError[] {
  const problems: MaskRuleInvalidError[] = [];
  const have = new Set(columns);
  for (const [column, rule] of Object.entries(rules)) {
    const path = `mask.entities.${entity}.${column}`;
    if (!isColumnGlob(column) && !have.has(column)) {
      problems.push(
        new MaskRuleInvalidError(path, `column "${column}" is not in the standardized ${entity} data`, {
          entity,
          column,
          fix: `correct the column name under mask.entities.${entity} or remove the rule (the columns are: ${columns.join(', ')}); if the column was just added to standardize.entities.${entity}.columns, re-run standardize for this ds first`,
        }),
      );
    }
    if (rule.method === 'pattern' && !rule.pattern) {
      problems.push(
        new MaskRuleInvalidError(`${path}.pattern`, 'method pattern needs a pattern', {
          entity,
          column,
          fix: `add pattern: "XXX-XXX-####" (X hides a digit, # keeps one of the last digits) to ${path}`,
        }),
      );
    }
  }
  if (have.has(MASK_KEY_ID_COLUMN)) {
    problems.push(
      new MaskRuleInvalidError(`mask.entities.${entity}`, `the ${entity} data already has a ${MASK_KEY_ID_COLUMN} column`, {
        entity,
        fix: `mask reads processed/${entity} (standardized data), not already-masked data; re-run standardize for this ds`,
      }),
    );
  }
  return problems;
}
