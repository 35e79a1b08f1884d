import { findValueLikeNames } from './index';

describe('findValueLikeNames', () => {
  it('finds a data row read as a header, by position and kind only', () => {
    const row = ['CUST-00042', 'Emily', 'Lopez', 'emily.lopez1@example.com', '515-555-6908', '2024-03-01', '12.50', '٤٢'];
    const found = findValueLikeNames(row);
    expect(found.map((f) => f.index)).toEqual([3, 4, 5, 6, 7]);
    expect(JSON.stringify(found)).not.toMatch(/emily|lopez|515/i);
  });
  it('passes real column names', () => {
    expect(findValueLikeNames(['customer_id', 'First Name', 'e-mail', 'phone_1', 'address line 2', 'zip code', 'amount ($)', 'Σ total'])).toEqual([]);
  });
});
