import { generateLocations } from './generate-locations';
import { LOCATION_COLUMNS } from './sample-schema';

const locations = [...generateLocations({ seed: 42, count: 50 })];

describe('generateLocations', () => {
  it('yields count stores with sequential ids, all columns, deterministically', () => {
    expect(locations).toHaveLength(50);
    expect(locations[0]?.location_id).toBe('LOC0001');
    expect(locations[49]?.location_id).toBe('LOC0050');
    for (const row of locations) expect(Object.keys(row)).toEqual([...LOCATION_COLUMNS]);
    expect([...generateLocations({ seed: 42, count: 50 })]).toEqual(locations);
  });

  it('gives unique store names and known regions, even with more stores than cities', () => {
    const many = [...generateLocations({ seed: 42, count: 150 })];
    expect(new Set(many.map((row) => row.store_name)).size).toBe(150);
    for (const row of many) expect(['Northeast', 'Southeast', 'Midwest', 'Southwest', 'West']).toContain(row.region);
  });
});
