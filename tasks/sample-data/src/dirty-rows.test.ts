import { DIRTY_ROWS } from './dirty-rows';

describe('DIRTY_ROWS', () => {
  it('lists 7 customer and 3 transaction rows, 2 of them invalid', () => {
    expect(DIRTY_ROWS).toHaveLength(10);
    expect(DIRTY_ROWS.filter((row) => row.file === 'customers.csv')).toHaveLength(7);
    expect(DIRTY_ROWS.filter((row) => row.file === 'sales_transactions.csv')).toHaveLength(3);
    expect(DIRTY_ROWS.filter((row) => row.invalid).map((row) => row.id)).toEqual(['TXN00000250', 'TXN00000500']);
  });

  it('counts each kind as documented', () => {
    const kinds: Record<string, number> = {};
    for (const row of DIRTY_ROWS) kinds[row.kind] = (kinds[row.kind] ?? 0) + 1;
    expect(kinds).toEqual({
      blank_first_name: 2,
      untrimmed_mixed_case_email: 3,
      untrimmed_name: 2,
      non_numeric_quantity: 1,
      unparseable_timestamp: 1,
      duplicate_row: 1,
    });
  });

  it('is frozen, so no test or caller can change what the generator writes', () => {
    expect(Object.isFrozen(DIRTY_ROWS)).toBe(true);
    expect(DIRTY_ROWS.every((row) => Object.isFrozen(row))).toBe(true);
  });
});
